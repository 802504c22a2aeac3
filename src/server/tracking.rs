//! Client-side caching: the keys tracking clients have read (one table for every
//! database, as Redis keeps it), the BCAST prefixes, and the invalidation messages, sent as
//! a RESP3 `invalidate` push or, to a RESP2 client's redirect target that subscribes to
//! anything, as a `message` on `__redis__:invalidate`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bytes::Bytes;

use super::clients::{ClientMeta, Frame};
use crate::reply::Reply;

/// A tracking client's options (CLIENT TRACKING ON ...).
#[derive(Debug, Clone, Default)]
pub struct TrackState {
    /// The client invalidations go to (0: this one).
    pub redirect: u64,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// The redirect target went away.
    pub broken: bool,
    pub prefixes: BTreeSet<Bytes>,
}

/// The tracking tables.
#[derive(Debug, Default)]
pub struct Tracking {
    /// Key -> the clients that read it since it last changed.
    keys: HashMap<Bytes, BTreeSet<u64>>,
    /// BCAST prefix -> its clients, and the keys changed since the last broadcast with the
    /// client that changed each last.
    prefixes: BTreeMap<Bytes, Prefix>,
}

#[derive(Debug, Default)]
struct Prefix {
    clients: BTreeSet<u64>,
    changed: BTreeMap<Bytes, Option<u64>>,
}

impl Tracking {
    /// Whether any client tracks keys (a write then invalidates).
    pub fn is_active(&self) -> bool {
        !self.keys.is_empty() || !self.prefixes.is_empty()
    }

    /// Remembers that `client` read `key`.
    pub fn remember(&mut self, client: u64, key: &[u8]) {
        match self.keys.get_mut(key) {
            Some(ids) => {
                ids.insert(client);
            }
            None => {
                self.keys.insert(Bytes::copy_from_slice(key), BTreeSet::from([client]));
            }
        }
    }

    pub fn add_prefix(&mut self, client: u64, prefix: &[u8]) {
        self.prefixes.entry(Bytes::copy_from_slice(prefix)).or_default().clients.insert(client);
    }

    /// Drops a client's prefixes (it stopped tracking or went away).
    pub fn forget_prefixes(&mut self, client: u64, prefixes: &BTreeSet<Bytes>) {
        for p in prefixes {
            if let Some(e) = self.prefixes.get_mut(p) {
                e.clients.remove(&client);
                if e.clients.is_empty() {
                    self.prefixes.remove(p);
                }
            }
        }
    }

    /// INFO's `tracking_total_keys`, `tracking_total_items`, `tracking_total_prefixes`.
    pub fn totals(&self) -> (usize, usize, usize) {
        (self.keys.len(), self.keys.values().map(BTreeSet::len).sum(), self.prefixes.len())
    }

    /// `key` changed (by client `by`, or by the server: expiry): the clients that read it
    /// are told, and the key is forgotten; BCAST prefixes note it for the next broadcast.
    /// Returns the invalidations to send, `(tracking client, key)`.
    fn take_readers(&mut self, key: &[u8], by: Option<u64>) -> Vec<u64> {
        for (p, e) in self.prefixes.iter_mut() {
            if key.starts_with(p) {
                e.changed.insert(Bytes::copy_from_slice(key), by);
            }
        }
        if self.keys.is_empty() {
            return Vec::new();
        }
        self.keys.remove(key).map(|ids| ids.into_iter().collect()).unwrap_or_default()
    }
}

/// Where one invalidation goes, and how: the frame for the receiving client.
fn message(resp3_target: bool, keys: Option<Vec<Bytes>>) -> Reply {
    let payload = match keys {
        Some(keys) => Reply::Array(keys.into_iter().map(Reply::Bulk).collect()),
        None => Reply::Nil,
    };
    if resp3_target {
        Reply::Push(vec![Reply::Bulk(Bytes::from_static(b"invalidate")), payload])
    } else {
        Reply::Push(vec![
            Reply::Bulk(Bytes::from_static(b"message")),
            Reply::Bulk(Bytes::from_static(b"__redis__:invalidate")),
            payload,
        ])
    }
}

/// Sends an invalidation of `keys` (None: everything, after a FLUSH) for the tracking
/// client `id`: to it (RESP3), or to its redirect target (a RESP3 client, or a RESP2 one
/// that subscribes to something); a target that went away marks the redirect broken (and
/// tells a RESP3 tracker). `current`: the client whose command runs now, whose own
/// messages follow its reply.
pub fn send(st: &mut super::State, id: u64, keys: Option<Vec<Bytes>>, current: u64) {
    let now = st.clock_ms;
    let clients = &mut st.clients;
    let Some(me) = clients.get(&id) else { return };
    let Some(t) = &me.tracking else { return };
    let (redirect, tracker_resp3) = (t.redirect, me.resp == 3);
    let target = if redirect == 0 { id } else { redirect };
    let Some(dst) = clients.get(&target) else {
        if let Some(me) = clients.get_mut(&id) {
            if let Some(t) = &mut me.tracking {
                t.broken = true;
            }
            if tracker_resp3 {
                let push = Reply::Push(vec![
                    Reply::Bulk(Bytes::from_static(b"tracking-redir-broken")),
                    Reply::Int(redirect as i64),
                ]);
                if deliver(me, push, id == current, now) {
                    st.overflowed.push(id);
                }
            }
        }
        return;
    };
    let resp3 = dst.resp == 3;
    if !resp3 && (redirect == 0 || !dst.subs.any()) {
        return; // a RESP2 client gets invalidations only through a subscribed redirect target
    }
    let frame = message(resp3, keys);
    if let Some(dst) = clients.get_mut(&target) {
        if deliver(dst, frame, target == current, now) {
            st.overflowed.push(target);
        }
    }
}

/// Queues a push for `c`: after the reply when `c` runs the command that caused it.
/// True if that closed `c` for passing its output limit.
fn deliver(c: &mut ClientMeta, frame: Reply, after_reply: bool, now: i64) -> bool {
    if after_reply {
        c.after_reply.push(Frame::Push(frame));
        false
    } else {
        c.push(frame, now)
    }
}

/// `key` changed: invalidates it for every client that read it (a NOLOOP client's own
/// writes excepted). `by`: the client whose command changed it (None: expiry).
pub fn invalidate(st: &mut super::State, key: &[u8], by: Option<u64>) {
    if st.tracking.keys.is_empty() && st.tracking.prefixes.is_empty() {
        return;
    }
    let readers = st.tracking.take_readers(key, by);
    let current = by.unwrap_or(0);
    for id in readers {
        let skip = st
            .clients
            .get(&id)
            .and_then(|m| m.tracking.as_ref())
            .is_none_or(|t| t.bcast || (t.noloop && by == Some(id)));
        if !skip {
            send(st, id, Some(vec![Bytes::copy_from_slice(key)]), current);
        }
    }
}

/// FLUSHDB/FLUSHALL: every tracking client gets a null invalidation, and the table empties.
pub fn flush(st: &mut super::State, current: u64) {
    let trackers: Vec<u64> = st.clients.values().filter(|m| m.tracking.is_some()).map(|m| m.id).collect();
    st.tracking.keys.clear();
    for id in trackers {
        send(st, id, None, current);
    }
}

/// Sends each BCAST prefix's changed keys (byte order, one message per prefix) to its
/// clients; a NOLOOP client is not told of the keys it changed last itself.
pub fn broadcast(st: &mut super::State) {
    if st.tracking.prefixes.values().all(|p| p.changed.is_empty()) {
        return;
    }
    let mut out = Vec::new();
    for p in st.tracking.prefixes.values_mut() {
        let changed = std::mem::take(&mut p.changed);
        if changed.is_empty() {
            continue;
        }
        out.push((p.clients.iter().copied().collect::<Vec<_>>(), changed));
    }
    for (ids, changed) in out {
        for id in ids {
            let noloop = st.clients.get(&id).and_then(|m| m.tracking.as_ref()).is_some_and(|t| t.noloop);
            let keys: Vec<Bytes> =
                changed.iter().filter(|(_, by)| !(noloop && **by == Some(id))).map(|(k, _)| k.clone()).collect();
            if !keys.is_empty() {
                send(st, id, Some(keys), 0);
            }
        }
    }
}
