//! GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER, GEORADIUS_RO and
//! GEORADIUSBYMEMBER_RO: one walk, as Redis's `georadiusGeneric`.
//!
//! The source key is looked up first (WRONGTYPE before anything else); GEORADIUS reads its
//! centre and radius, GEORADIUSBYMEMBER its member (when the key exists) and radius; then
//! the options, each checked as it is read (a FROMMEMBER that is not in the set fails at
//! once, a missing key lets the walk go on); then the checks across options; a missing key
//! answers an empty array (or deletes the destination). The search scans the score ranges
//! of up to nine cells in Redis's order, so unsorted results (and COUNT ANY's pick) come
//! out in redis-server's order.

use bytes::Bytes;

use super::order::{partial_sort, stable_sort, Dir};
use super::{box_size, distance_text, geo_set, haversine, is_word, lon_lat, position, radius};
use crate::cmd::sorted_set::range::store_result;
use crate::db::geohash::{self, Figure, Shape};
use crate::db::{ScoreBound, ZSet};
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::grammar::parse_i64;
use crate::spec::Profile;

/// A found member: what a reply or a stored result needs.
#[derive(Debug, Clone)]
pub struct Point {
    pub member: Bytes,
    pub lon: f64,
    pub lat: f64,
    /// From the centre, in meters until the reply converts it.
    pub dist: f64,
    pub score: f64,
}

/// Which command runs the walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// GEORADIUS: `key longitude latitude radius unit`.
    Coords,
    /// GEORADIUSBYMEMBER: `key member radius unit`.
    Member,
    /// GEOSEARCH (`store`: GEOSEARCHSTORE, `destination` first).
    Search { store: bool },
}

/// The options a walk collected.
#[derive(Default)]
struct Options {
    withdist: bool,
    withhash: bool,
    withcoord: bool,
    any: bool,
    dir: Option<Dir>,
    count: i64,
    store: Option<Vec<u8>>,
    storedist: bool,
}

/// The members of `z` in the cell's score range, in the set's order, that lie in `shape`
/// (appended to `out` until it holds `limit`, 0: no limit).
fn scan_cell(
    z: &ZSet,
    cell: geohash::GeoHash,
    shape: &Shape,
    f: geohash::Haversine,
    limit: usize,
    out: &mut Vec<Point>,
) {
    let (min, max) = geohash::cell_scores(cell);
    let (min, max) = (min as f64, max as f64);
    let from = z.below_score(ScoreBound { value: min, exclusive: false });
    for (member, score) in z.iter_from(from, false) {
        if score >= max {
            break;
        }
        let (lon, lat) = geohash::decode_score(score);
        if let Some(dist) = shape.reaches(f, lon, lat) {
            out.push(Point { member: member.clone(), lon, lat, dist, score });
        }
        if !out.is_empty() && limit != 0 && out.len() >= limit {
            break;
        }
    }
}

/// Every member of `z` in `shape`, cell by cell (`membersOfAllNeighbors`): a cell left out
/// is skipped, and so is one equal to the last cell scanned (with huge radii neighbours
/// coincide) unless that was the centre's.
pub fn find_in(z: &ZSet, shape: &Shape, f: geohash::Haversine, limit: usize) -> Vec<Point> {
    let cells = shape.search_cells();
    let mut out = Vec::new();
    let mut last = 0;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() || (last != 0 && *cell == cells[last]) {
            continue;
        }
        if !out.is_empty() && limit != 0 && out.len() >= limit {
            break;
        }
        scan_cell(z, *cell, shape, f, limit, &mut out);
        last = i;
    }
    out
}

/// Reads the command's words in `georadiusGeneric`'s order, up to the checks across
/// options: the search area and the options. `z` is the source (`None`: missing); `name`
/// the command as typed, for GEOSEARCH's errors.
fn walk(
    p: &Profile,
    z: Option<&ZSet>,
    words: &[Vec<u8>],
    (form, nostore): (Form, bool),
    name: &[u8],
) -> Result<(Shape, Options), Reply> {
    let word = |i: usize| words.get(i).map_or(&[][..], |w| &w[..]);
    let member_at = |m: &[u8]| z.and_then(|z| z.score(m)).map(geohash::decode_score);
    let mut shape = Shape { lon: 0.0, lat: 0.0, figure: Figure::Radius(0.0), conversion: 0.0 };
    let mut o = Options::default();
    let base = match form {
        Form::Coords => {
            (shape.lon, shape.lat) = lon_lat(word(1), word(2))?;
            let (r, conversion) = radius(p, word(3), word(4))?;
            (shape.figure, shape.conversion) = (Figure::Radius(r), conversion);
            5
        }
        Form::Member => {
            // On a missing key neither the member nor the radius is read.
            if z.is_some() {
                (shape.lon, shape.lat) = member_at(word(1)).ok_or(Reply::err(error::GEO_UNDECODABLE_MEMBER))?;
                let (r, conversion) = radius(p, word(2), word(3))?;
                (shape.figure, shape.conversion) = (Figure::Radius(r), conversion);
            }
            4
        }
        Form::Search { store } => {
            if store {
                o.store = Some(word(0).to_vec());
            }
            1 + usize::from(store)
        }
    };
    let search = matches!(form, Form::Search { .. });
    let searchstore = form == Form::Search { store: true };
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let remaining = words.len().saturating_sub(base);
    let mut i = 0;
    while i < remaining {
        let arg = word(base + i);
        let at = |k: usize| word(base + i + k);
        let has = |n: usize| i + n < remaining;
        if is_word(arg, "withdist") {
            o.withdist = true;
        } else if is_word(arg, "withhash") {
            o.withhash = true;
        } else if is_word(arg, "withcoord") {
            o.withcoord = true;
        } else if is_word(arg, "any") {
            o.any = true;
        } else if is_word(arg, "asc") {
            o.dir = Some(Dir::Asc);
        } else if is_word(arg, "desc") {
            o.dir = Some(Dir::Desc);
        } else if is_word(arg, "count") && has(1) {
            o.count = parse_i64(at(1)).ok_or(Reply::err(error::NOT_INTEGER))?;
            if o.count <= 0 {
                return Err(Reply::err(error::GEO_COUNT_POSITIVE));
            }
            i += 1;
        } else if (is_word(arg, "store") || is_word(arg, "storedist")) && has(1) && !nostore && !search {
            o.store = Some(at(1).to_vec());
            o.storedist = is_word(arg, "storedist");
            i += 1;
        } else if is_word(arg, "storedist") && searchstore {
            o.storedist = true;
        } else if is_word(arg, "frommember") && has(1) && search && !fromloc {
            // Looked up at once when the key exists; a missing key lets the walk go on.
            if z.is_some() {
                (shape.lon, shape.lat) = member_at(at(1)).ok_or(Reply::err(error::GEO_UNDECODABLE_MEMBER))?;
            }
            frommember = true;
            i += 1;
        } else if is_word(arg, "fromlonlat") && has(2) && search && !frommember {
            (shape.lon, shape.lat) = lon_lat(at(1), at(2))?;
            fromloc = true;
            i += 2;
        } else if is_word(arg, "byradius") && has(2) && search && !bybox {
            let (r, conversion) = radius(p, at(1), at(2))?;
            (shape.figure, shape.conversion) = (Figure::Radius(r), conversion);
            byradius = true;
            i += 2;
        } else if is_word(arg, "bybox") && has(3) && search && !byradius {
            let (width, height, conversion) = box_size(p, at(1), at(2), at(3))?;
            (shape.figure, shape.conversion) = (Figure::Box { width, height }, conversion);
            bybox = true;
            i += 3;
        } else {
            return Err(Reply::err(error::SYNTAX));
        }
        i += 1;
    }
    if o.store.is_some() && (o.withdist || o.withhash || o.withcoord) {
        return Err(Reply::err(error::geo_store_with_options(p, searchstore)));
    }
    if search && !(frommember || fromloc) {
        return Err(Reply::Error(error::geo_exactly_one_from(name).into()));
    }
    if search && !(byradius || bybox) {
        return Err(Reply::Error(error::geo_exactly_one_by(name).into()));
    }
    if o.any && o.count == 0 {
        return Err(Reply::err(error::GEO_ANY_NEEDS_COUNT));
    }
    Ok((shape, o))
}

fn run(ctx: &mut Ctx<'_>, words: &[Vec<u8>], form: Form, nostore: bool) -> CmdResult {
    let p = ctx.profile();
    let name = ctx.argv.first().cloned().unwrap_or_default();
    let src = match form {
        Form::Search { store: true } => words.get(1),
        _ => words.first(),
    };
    let Some(src) = src else { return Err(Reply::err(error::SYNTAX)) };
    let z = geo_set(ctx, src)?;
    let (shape, o) = walk(&p, z.as_deref(), words, (form, nostore), &name)?;
    let Some(z) = z else {
        return match o.store {
            Some(dst) => store_result(ctx, &dst, ZSet::new(false), "del"),
            None => Ok(Reply::Array(Vec::new())),
        };
    };
    // COUNT without ANY means the nearest ones: ascending unless DESC was asked.
    let dir = o.dir.or((o.count != 0 && !o.any).then_some(Dir::Asc));
    let limit = if o.any { usize::try_from(o.count).unwrap_or(usize::MAX) } else { 0 };
    let mut found = find_in(z, &shape, haversine(&p), limit);
    if found.is_empty() && o.store.is_none() {
        return Ok(Reply::Array(Vec::new()));
    }
    let returned = match usize::try_from(o.count) {
        Ok(c) if c != 0 && c < found.len() => c,
        _ => found.len(),
    };
    match dir {
        Some(dir) if returned == found.len() => stable_sort(&mut found, dir),
        Some(dir) => partial_sort(&mut found, dir, returned - 1),
        None => {}
    }
    found.truncate(returned);
    for pt in &mut found {
        pt.dist /= shape.conversion;
    }
    match o.store {
        Some(ref dst) => store(ctx, dst, &found, o.storedist, matches!(form, Form::Search { .. })),
        None => Ok(reply(&p, found, &o)),
    }
}

/// The found members, each alone or with its distance, hash and position as asked.
fn reply(p: &Profile, found: Vec<Point>, o: &Options) -> Reply {
    let extras = o.withdist || o.withhash || o.withcoord;
    let item = |pt: Point| {
        if !extras {
            return Reply::Bulk(pt.member);
        }
        let mut item = vec![Reply::Bulk(pt.member)];
        if o.withdist {
            item.push(Reply::bulk(distance_text(p, pt.dist)));
        }
        if o.withhash {
            item.push(Reply::Int(pt.score as i64));
        }
        if o.withcoord {
            item.push(position(p, (pt.lon, pt.lat)));
        }
        Reply::Array(item)
    };
    Reply::Array(found.into_iter().map(item).collect())
}

/// The found members stored at `dst` as a sorted set scored by geohash or (`storedist`)
/// by distance in the unit asked; an empty result deletes `dst`.
fn store(ctx: &mut Ctx<'_>, dst: &[u8], found: &[Point], storedist: bool, search: bool) -> CmdResult {
    let enc = ctx.enc();
    let mut out = ZSet::new(false);
    for pt in found {
        out.set(&enc, &pt.member, if storedist { pt.dist } else { pt.score });
    }
    // Built as a skiplist, converted when it fits a listpack.
    let longest = found.iter().map(|pt| pt.member.len()).max().unwrap_or(0);
    out.listpack = out.len() <= enc.zset_entries && longest <= enc.zset_value;
    let event = if search { "geosearchstore" } else { "georadiusstore" };
    store_result(ctx, dst, out, event)
}

/// GEOSEARCH key FROMMEMBER member | FROMLONLAT longitude latitude
/// BYRADIUS radius unit | BYBOX width height unit [ASC|DESC] [COUNT count [ANY]]
/// [WITHCOORD] [WITHDIST] [WITHHASH].
pub fn geosearch(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    run(ctx, words, Form::Search { store: false }, true)
}

/// GEOSEARCHSTORE destination source ... [STOREDIST]: WITH* options are refused.
pub fn geosearchstore(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    run(ctx, words, Form::Search { store: true }, true)
}

/// GEORADIUS key longitude latitude radius unit [WITHCOORD] [WITHDIST] [WITHHASH]
/// [COUNT count [ANY]] [ASC|DESC] [STORE key | STOREDIST key].
pub fn georadius(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    run(ctx, words, Form::Coords, false)
}

/// GEORADIUS_RO: GEORADIUS without STORE and STOREDIST.
pub fn georadius_ro(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    run(ctx, words, Form::Coords, true)
}

/// GEORADIUSBYMEMBER key member radius unit ...: on a missing key neither the member nor
/// the radius is read.
pub fn georadiusbymember(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    run(ctx, words, Form::Member, false)
}

/// GEORADIUSBYMEMBER_RO: GEORADIUSBYMEMBER without STORE and STOREDIST.
pub fn georadiusbymember_ro(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    run(ctx, words, Form::Member, true)
}
