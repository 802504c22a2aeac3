//! Handwritten command handlers, one module per spec `group`. `build.rs` finds a handler
//! by its name (`pub fn get`, `pub fn client_setname`) and wires it to the generated
//! parser; each takes the context and the command's generated typed arguments.

pub mod acl;
pub mod bitfield;
pub mod bitmap;
pub mod blocking;
pub mod clients;
pub mod cluster;
pub(crate) mod collection;
pub mod connection;
pub mod dump;
pub mod generic;
pub mod geo;
pub mod hash;
pub mod hash_ttl;
pub mod hyperloglog;
pub mod list;
pub mod migrate;
pub mod pubsub;
pub mod scripting;
pub mod server;
pub mod set;
pub mod sort;
pub mod sorted_set;
pub mod stream;
pub mod string;
pub mod tracking;
pub mod transactions;

use crate::db::{StrValue, Value};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::{Ctx, State};

/// The string stored at `key`, `None` if absent, WRONGTYPE if another type.
pub(crate) fn get_str<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c mut StrValue>, Reply> {
    let now = ctx.now;
    match ctx.db().get_mut(key, now) {
        None => Ok(None),
        Some(e) => e.value.as_str_mut().map(Some).ok_or(Reply::err(error::WRONGTYPE)),
    }
}

/// How a command looks its key up: as Redis's `lookupKeyRead` (which counts a keyspace
/// hit or miss) or `lookupKeyWrite`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Look {
    Read,
    Write,
}

/// The value at `key` as the type `pick` selects: `None` when missing, WRONGTYPE when the
/// key holds another type. Expires the key lazily and touches its access time.
pub(crate) fn typed<'c, T: ?Sized>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
    look: Look,
    pick: fn(&mut Value) -> Option<&mut T>,
) -> Result<Option<&'c mut T>, Reply> {
    let now = ctx.now;
    let st = &mut *ctx.st;
    let db = ctx.sess.db.min(st.dbs.len() - 1);
    let missed = look == Look::Read && !st.dbs[db].contains(key, now);
    if missed {
        // A read's miss (after a lazy expiry, reported first) is the `keymiss` event.
        ctx.notify(crate::server::config::NOTIFY_KEY_MISS, "keymiss", key);
    }
    let st = &mut *ctx.st;
    let found = st.dbs[db].get_mut(key, now);
    if look == Look::Read {
        if found.is_some() {
            st.stats.keyspace_hits += 1;
        } else {
            st.stats.keyspace_misses += 1;
        }
    }
    match found {
        None => Ok(None),
        Some(e) => pick(&mut e.value).map(Some).ok_or(Reply::err(error::WRONGTYPE)),
    }
}

/// The value at `key` as the type `pick` selects, created by `make` when missing
/// (WRONGTYPE when the key holds another type).
pub(crate) fn typed_or_create<'c, T: ?Sized>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
    pick: fn(&mut Value) -> Option<&mut T>,
    make: impl FnOnce() -> Value,
) -> Result<&'c mut T, Reply> {
    let now = ctx.now;
    if ctx.db().get_mut(key, now).is_none() {
        ctx.db().set(key, make(), None, now);
    }
    typed(ctx, key, Look::Write, pick)?.ok_or(Reply::err(error::WRONGTYPE))
}

/// After a write to `key`: records it, and deletes it when its collection is empty.
pub(crate) fn written(ctx: &mut Ctx<'_>, key: &[u8]) {
    let now = ctx.now;
    let emptied = ctx.db().get_live(key, now).is_some_and(|e| e.value.is_empty_collection());
    if emptied {
        ctx.db().remove(key);
    }
    ctx.touched(key);
    if emptied {
        ctx.notify(crate::server::config::NOTIFY_GENERIC, "del", key);
    }
}

/// After a write to `key` that reports `event` (class `class`): the event, then as
/// [`written`] (a `del` for an emptied collection).
pub(crate) fn written_as(ctx: &mut Ctx<'_>, key: &[u8], class: u32, event: &'static str) {
    ctx.notify(class, event, key);
    written(ctx, key);
}

/// Stores a computed collection (`len` elements) at `dst` in place of whatever was there,
/// without a TTL, or deletes `dst` when the result is empty (the STORE commands); `len`.
/// `event` (class `class`) is reported for a stored result, `del` for a deleted `dst`.
pub(crate) fn store_collection(
    ctx: &mut Ctx<'_>,
    dst: &[u8],
    value: Value,
    len: usize,
    (class, event): (u32, &'static str),
) -> CmdResult {
    let now = ctx.now;
    if len == 0 {
        if ctx.db().remove(dst).is_some() {
            ctx.touched(dst);
            ctx.notify(crate::server::config::NOTIFY_GENERIC, "del", dst);
        }
    } else {
        ctx.db().set(dst, value, None, now);
        ctx.touched(dst);
        ctx.notify(class, event, dst);
    }
    Ok(Reply::Int(len as i64))
}

/// Looks `key` up as Redis's `lookupKeyWrite` (and the key lookups of most commands) do:
/// expires it lazily and touches its access time (a shared integer's too). Whether it
/// exists.
pub(crate) fn lookup(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    let now = ctx.now;
    ctx.db().get_mut(key, now).is_some()
}

/// A read lookup that found nothing: the `keymiss` event.
pub(crate) fn read_miss(ctx: &mut Ctx<'_>, key: &[u8]) {
    ctx.notify(crate::server::config::NOTIFY_KEY_MISS, "keymiss", key);
}

/// Reads `key` for a read command: counts a keyspace hit or miss.
pub(crate) fn read_str(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<Option<bytes::Bytes>, Reply> {
    let r = get_str(ctx, key)?.map(|s| s.data.to_bytes());
    if r.is_some() {
        ctx.st.stats.keyspace_hits += 1;
    } else {
        ctx.st.stats.keyspace_misses += 1;
        read_miss(ctx, key);
    }
    Ok(r)
}

/// A database index: `DB index is out of range` unless it names one of the databases (the
/// overlay's ranges have already checked SELECT's, MOVE's and COPY's while parsing).
pub(crate) fn db_index(st: &State, n: i64) -> Result<usize, Reply> {
    usize::try_from(n).ok().filter(|&i| i < st.dbs.len()).ok_or(Reply::err(error::DB_INDEX_OUT_OF_RANGE))
}

pub(crate) fn str_value(data: &[u8]) -> Value {
    Value::Str(StrValue::encoded(data))
}
