//! Geo commands (spec group `geo`), as Redis's geo.c: a geo set is a sorted set whose
//! scores are 52-bit geohashes ([`crate::db::geohash`] has the math).
//!
//! - `mod.rs`: GEOADD (a ZADD of the encoded scores), GEOPOS, GEOHASH, GEODIST, and what
//!   the files share: reading positions, units and sizes, writing distances and
//!   coordinates as the pinned server writes them.
//! - `search.rs`: GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and their `_RO`
//!   forms (`georadiusGeneric`): the option walk in Redis's order, the scan of the nine
//!   cells, the reply or the stored result.
//! - `order.rs`: the orders Redis leaves results in (glibc's merge sort for ASC/DESC,
//!   Redis's partial quicksort for COUNT), so that ties come out as redis-server's.
//!
//! All are walk handlers: Redis reads their words itself and answers the first problem.
//! Version differences: up to 6.2 units are case-sensitive (and their error says
//! `m, km, ft, mi`), distances are `%.4f` and the haversine has no meridian shortcut;
//! from Redis 8.0 coordinates are written as doubles (`addReplyDouble`) instead of
//! `%.17Lf` trimmed.

pub mod order;
pub mod search;

use crate::cmd::sorted_set::d2string;
use crate::cmd::{typed, Look};
use crate::db::geohash::{self, Haversine};
use crate::db::{Value, ZSet};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::grammar::parse_f64;
use crate::spec::Profile;

/// The geo set at `key` looked up for reading (a hit or a miss, WRONGTYPE for another type).
pub(crate) fn geo_set<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c mut ZSet>, Reply> {
    typed(ctx, key, Look::Read, Value::as_zset_mut)
}

/// The formula the pinned server measures with.
pub(crate) fn haversine(p: &Profile) -> Haversine {
    if p.redis_at_least(7, 0) {
        Haversine::MeridianShortcut
    } else {
        Haversine::Plain
    }
}

/// Whether `w` reads as `token` the way C's `strcasecmp` sees a Redis string: up to its
/// first NUL (`"withdist\0x"` is WITHDIST).
pub(crate) fn is_word(w: &[u8], token: &str) -> bool {
    error::c_bytes(w).eq_ignore_ascii_case(token.as_bytes())
}

/// A longitude and latitude (`extractLongLatOrReply`): two floats, then the WGS84 limits.
pub(crate) fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), Reply> {
    let lon = parse_f64(lon).ok_or(Reply::err(error::NOT_FLOAT))?;
    let lat = parse_f64(lat).ok_or(Reply::err(error::NOT_FLOAT))?;
    if !(geohash::LONG_MIN..=geohash::LONG_MAX).contains(&lon) || !(geohash::LAT_MIN..=geohash::LAT_MAX).contains(&lat)
    {
        return Err(Reply::err(error::geo_invalid_pair(lon, lat)));
    }
    Ok((lon, lat))
}

/// A unit's size in meters (`extractUnitOrReply`); case-sensitive up to 6.2.
pub(crate) fn unit(p: &Profile, w: &[u8]) -> Result<f64, Reply> {
    let u = error::c_bytes(w);
    let is = |t: &str| if p.redis_at_least(7, 0) { u.eq_ignore_ascii_case(t.as_bytes()) } else { u == t.as_bytes() };
    if is("m") {
        Ok(1.0)
    } else if is("km") {
        Ok(1000.0)
    } else if is("ft") {
        Ok(0.3048)
    } else if is("mi") {
        Ok(1609.34)
    } else {
        Err(Reply::err(error::geo_unsupported_unit(p)))
    }
}

/// A size that must be a non-negative float: `need` names it when it is not a float.
fn size(w: &[u8], need: &'static str) -> Result<f64, Reply> {
    parse_f64(w).ok_or(Reply::err(need))
}

/// `radius unit` (`extractDistanceOrReply`): the radius and the unit's meters.
pub(crate) fn radius(p: &Profile, r: &[u8], u: &[u8]) -> Result<(f64, f64), Reply> {
    let r = size(r, error::GEO_NEED_RADIUS)?;
    if r < 0.0 {
        return Err(Reply::err(error::GEO_RADIUS_NEGATIVE));
    }
    Ok((r, unit(p, u)?))
}

/// `width height unit` (`extractBoxOrReply`): both sizes read before either is checked.
pub(crate) fn box_size(p: &Profile, w: &[u8], h: &[u8], u: &[u8]) -> Result<(f64, f64, f64), Reply> {
    let w = size(w, error::GEO_NEED_WIDTH)?;
    let h = size(h, error::GEO_NEED_HEIGHT)?;
    if h < 0.0 || w < 0.0 {
        return Err(Reply::err(error::GEO_BOX_NEGATIVE));
    }
    Ok((w, h, unit(p, u)?))
}

/// A distance as the pinned server writes it: four decimals, from 7.0 by scaling and
/// rounding to an integer (`fixedpoint_d2string`, `llrint` ties to even), before by
/// `%.4f` (the exact decimal rounded).
pub(crate) fn distance_text(p: &Profile, d: f64) -> String {
    if !p.redis_at_least(7, 0) {
        return c_fixed(d, 4);
    }
    if d == 0.0 {
        return "0.0000".into();
    }
    let scaled = (d * 10000.0).round_ties_even();
    // x86-64's llrint gives the "integer indefinite" LLONG_MIN for NaN and overflow.
    let two63 = (1u64 << 63) as f64;
    let v = if scaled > -two63 && scaled < two63 { scaled as i64 } else { i64::MIN };
    let (sign, mag) = (if v < 0 { "-" } else { "" }, v.unsigned_abs());
    format!("{sign}{}.{:04}", mag / 10000, mag % 10000)
}

/// C's `%.Nf` of a double (glibc: the exact value rounded, ties to even).
fn c_fixed(d: f64, decimals: usize) -> String {
    if d.is_nan() {
        return if d.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    format!("{d:.decimals$}")
}

/// A coordinate as the pinned server writes it: up to 7.4 `%.17Lf` with trailing zeros
/// trimmed (`addReplyHumanLongDouble`; a double widened to a long double is exact, so its
/// exact decimal rounded to 17 places), from Redis 8.0 a double (`addReplyDouble`).
pub(crate) fn coordinate(p: &Profile, d: f64) -> Reply {
    if p.redis_at_least(8, 0) {
        return Reply::DoubleText(d2string(d));
    }
    let mut s = c_fixed(d, 17);
    if s.contains('.') {
        s.truncate(s.trim_end_matches('0').len());
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    Reply::DoubleText(s)
}

/// A position as GEOPOS and WITHCOORD reply it.
pub(crate) fn position(p: &Profile, (lon, lat): (f64, f64)) -> Reply {
    Reply::Array(vec![coordinate(p, lon), coordinate(p, lat)])
}

/// GEOADD key [NX|XX] [CH] longitude latitude member [...]: the flags (only up front),
/// the triples' count, NX with XX, every position, then ZADD's work on the scores.
pub fn geoadd(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [key, rest @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let (mut nx, mut xx, mut i) = (false, false, 0);
    let mut zadd = vec![key.clone()];
    while let Some(w) = rest.get(i) {
        let flag = if is_word(w, "nx") {
            nx = true;
            "nx"
        } else if is_word(w, "xx") {
            xx = true;
            "xx"
        } else if is_word(w, "ch") {
            "ch"
        } else {
            break;
        };
        zadd.push(flag.as_bytes().to_vec());
        i += 1;
    }
    let triples = &rest[i..];
    if !triples.len().is_multiple_of(3) || (nx && xx) {
        return Err(Reply::err(error::SYNTAX));
    }
    for t in triples.chunks(3) {
        let (lon, lat) = lon_lat(&t[0], &t[1])?;
        zadd.push(geohash::encode_score(lon, lat).to_string().into_bytes());
        zadd.push(t[2].clone());
    }
    crate::cmd::sorted_set::zadd(ctx, &zadd)
}

/// The scores of `members` in the geo set at `key` (`None` for a missing member; all
/// `None` for a missing key).
fn scores(ctx: &mut Ctx<'_>, key: &[u8], members: &[Vec<u8>]) -> Result<Vec<Option<f64>>, Reply> {
    let z = geo_set(ctx, key)?;
    Ok(members.iter().map(|m| z.as_ref().and_then(|z| z.score(m))).collect())
}

/// GEOPOS key [member ...]: each member's position, a null array for a missing one.
pub fn geopos(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let p = ctx.profile();
    let [key, members @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let found = scores(ctx, key, members)?;
    let out = found.into_iter().map(|s| s.map_or(Reply::NilArray, |s| position(&p, geohash::decode_score(s))));
    Ok(Reply::Array(out.collect()))
}

/// GEOHASH key [member ...]: each member's standard 11-character geohash, or null.
pub fn geohash(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [key, members @ ..] = words else { return Err(Reply::err(error::SYNTAX)) };
    let found = scores(ctx, key, members)?;
    let out = found.into_iter().map(|s| s.map_or(Reply::Nil, |s| Reply::bulk(&geohash::standard_string(s)[..])));
    Ok(Reply::Array(out.collect()))
}

/// GEODIST key member1 member2 [M|KM|FT|MI]: the unit first (and a syntax error for more
/// words), then the key; null when the key or either member is missing.
pub fn geodist(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let p = ctx.profile();
    let to_meters = match words {
        [_, _, _] => 1.0,
        [_, _, _, u] => unit(&p, u)?,
        _ => return Err(Reply::err(error::SYNTAX)),
    };
    let Some(z) = geo_set(ctx, &words[0])? else { return Ok(Reply::Nil) };
    let (Some(a), Some(b)) = (z.score(&words[1]), z.score(&words[2])) else { return Ok(Reply::Nil) };
    let ((lon1, lat1), (lon2, lat2)) = (geohash::decode_score(a), geohash::decode_score(b));
    let d = geohash::distance(haversine(&p), lon1, lat1, lon2, lat2) / to_meters;
    Ok(Reply::bulk(distance_text(&p, d)))
}
