//! The geohash a geo set keeps in its scores, and the geometry of a search over it, as
//! Redis computes them (geohash.c, geohash_helper.c): a geo set is a sorted set whose
//! score is a 52-bit geohash (26 bits of latitude in the even positions, 26 of longitude
//! in the odd ones, over the Web Mercator range of latitudes).
//!
//! It lives in `db/` beside [`ZSet`](super::ZSet) because it is the encoding of stored
//! data (any reader of a geo set decodes the same scores the same way) and carries no
//! command logic: no context, no replies, no profile beyond the [`Haversine`] a caller
//! picks. It also keeps its public functions out of the handler scan of `src/cmd/`.
//!
//! Every floating-point expression keeps Redis's order of operations, so that distances,
//! bounding boxes and decoded coordinates come out bit for bit as redis-server's (both
//! call the platform's `sin`, `cos`, `asin`).

use std::f64::consts::PI;

/// 26 bits per coordinate: the 52-bit scores.
pub const STEP_MAX: u8 = 26;
/// The latitude limits of EPSG:900913 (Redis cannot index the poles).
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
/// Redis's earth radius (the quadratic mean radius of WGS-84), in meters.
pub const EARTH_RADIUS_M: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
const DEG_TO_RAD: f64 = PI / 180.0;

fn deg_rad(d: f64) -> f64 {
    d * DEG_TO_RAD
}

fn rad_deg(r: f64) -> f64 {
    r / DEG_TO_RAD
}

/// A range of one coordinate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The longitude and latitude ranges geo sets are encoded over.
pub const WGS84: (Range, Range) = (Range { min: LONG_MIN, max: LONG_MAX }, Range { min: LAT_MIN, max: LAT_MAX });
/// The ranges of the standard geohash (GEOHASH's strings).
pub const STANDARD: (Range, Range) = (Range { min: -180.0, max: 180.0 }, Range { min: -90.0, max: 90.0 });

/// A geohash of `step` bits per coordinate. Step 0 with no bits is the "zero" hash a
/// search uses for a neighbour it leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GeoHash {
    pub bits: u64,
    pub step: u8,
}

/// The cell a hash names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub lon: Range,
    pub lat: Range,
}

/// Spreads the low 32 bits of `x` over the even bit positions and those of `y` over the
/// odd ones.
fn interleave(x: u32, y: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = u64::from(v);
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        (v | (v << 1)) & 0x5555_5555_5555_5555
    }
    spread(x) | (spread(y) << 1)
}

/// The inverse of [`interleave`]: the even bits in the low half, the odd bits in the high.
fn deinterleave(v: u64) -> u64 {
    fn gather(mut v: u64) -> u64 {
        v &= 0x5555_5555_5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
        v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
        (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF
    }
    gather(v) | (gather(v >> 1) << 32)
}

impl GeoHash {
    pub const ZERO: GeoHash = GeoHash { bits: 0, step: 0 };

    pub fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// `lon`,`lat` at `step` bits over the given ranges; `None` outside them (or outside
    /// the WGS84 limits, which Redis checks first whatever the ranges) or for a step
    /// outside 1..=32.
    pub fn encode(ranges: (Range, Range), lon: f64, lat: f64, step: u8) -> Option<GeoHash> {
        let (lon_r, lat_r) = ranges;
        if step == 0 || step > 32 {
            return None;
        }
        let outside = |v: f64, lo: f64, hi: f64| v > hi || v < lo;
        if outside(lon, LONG_MIN, LONG_MAX) || outside(lat, LAT_MIN, LAT_MAX) {
            return None;
        }
        if lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max {
            return None;
        }
        let scale = (1u64 << step) as f64;
        let lat_offset = (lat - lat_r.min) / (lat_r.max - lat_r.min) * scale;
        let lon_offset = (lon - lon_r.min) / (lon_r.max - lon_r.min) * scale;
        Some(GeoHash { bits: interleave(lat_offset as u32, lon_offset as u32), step })
    }

    /// [`encode`](Self::encode) over the ranges geo sets use.
    pub fn encode_wgs84(lon: f64, lat: f64, step: u8) -> Option<GeoHash> {
        GeoHash::encode(WGS84, lon, lat, step)
    }

    /// The cell of the hash over the given ranges (`None` for the zero hash).
    pub fn decode(self, ranges: (Range, Range)) -> Option<Area> {
        if self.is_zero() {
            return None;
        }
        let (lon_r, lat_r) = ranges;
        let sep = deinterleave(self.bits);
        let (ilat, ilon) = (sep as u32, (sep >> 32) as u32);
        let cells = (1u64 << self.step.min(63)) as f64;
        let (lat_scale, lon_scale) = (lat_r.max - lat_r.min, lon_r.max - lon_r.min);
        // The upper edge's index is a 32-bit sum in C: it wraps past 2^32 - 1.
        let edge = |i: u32, min: f64, scale: f64| min + (f64::from(i) * 1.0 / cells) * scale;
        Some(Area {
            lat: Range { min: edge(ilat, lat_r.min, lat_scale), max: edge(ilat.wrapping_add(1), lat_r.min, lat_scale) },
            lon: Range { min: edge(ilon, lon_r.min, lon_scale), max: edge(ilon.wrapping_add(1), lon_r.min, lon_scale) },
        })
    }

    /// The hash shifted to the top of 52 bits: the score it covers from.
    pub fn align52(self) -> u64 {
        self.bits.wrapping_shl(u32::from(52u8.wrapping_sub(self.step.wrapping_mul(2))))
    }

    /// The hash of the cell `dx` columns east and `dy` rows north (each -1, 0 or 1),
    /// wrapping around at the edges of the grid.
    fn moved(self, dx: i8, dy: i8) -> GeoHash {
        let width = 64 - u32::from(self.step) * 2;
        let odd = 0xaaaa_aaaa_aaaa_aaaau64;
        let even = 0x5555_5555_5555_5555u64;
        let shift = |mask: u64| mask.checked_shr(width).unwrap_or(0);
        let step_along = |lane: u64, other_mask: u64, lane_mask: u64, d: i8| {
            let zz = shift(other_mask);
            let moved = if d > 0 {
                lane.wrapping_add(zz.wrapping_add(1))
            } else {
                (lane | zz).wrapping_sub(zz.wrapping_add(1))
            };
            moved & shift(lane_mask)
        };
        let mut bits = self.bits;
        if dx != 0 {
            bits = step_along(bits & odd, even, odd, dx) | (bits & even);
        }
        if dy != 0 {
            bits = (bits & odd) | step_along(bits & even, odd, even, dy);
        }
        GeoHash { bits, step: self.step }
    }

    /// The eight neighbours, in the order a search visits them after the cell itself:
    /// north, south, east, west, north-east, north-west, south-east, south-west.
    pub fn neighbours(self) -> [GeoHash; 8] {
        [
            self.moved(0, 1),
            self.moved(0, -1),
            self.moved(1, 0),
            self.moved(-1, 0),
            self.moved(1, 1),
            self.moved(-1, 1),
            self.moved(1, -1),
            self.moved(-1, -1),
        ]
    }
}

/// The 52-bit hash of a score as redis-server reads it: C's conversion of a double to
/// `uint64_t` as x86-64 compiles it (negative values wrap, out-of-range ones give the
/// "integer indefinite" pattern), so that a score ZADD put there decodes the same.
pub fn score_bits(score: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    let cvt = |v: f64| if v > -TWO63 && v < TWO63 { v as i64 as u64 } else { 1u64 << 63 };
    if score < TWO63 {
        cvt(score)
    } else {
        cvt(score - TWO63) ^ (1u64 << 63)
    }
}

/// The position a score stands for: its cell's centre, clamped to the WGS84 limits.
/// `(longitude, latitude)`.
pub fn decode_score(score: f64) -> (f64, f64) {
    let hash = GeoHash { bits: score_bits(score), step: STEP_MAX };
    let area = hash.decode(WGS84).unwrap_or(Area { lon: WGS84.0, lat: WGS84.1 });
    let lon = ((area.lon.min + area.lon.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// The score GEOADD stores for a position already checked to be within the limits.
pub fn encode_score(lon: f64, lat: f64) -> u64 {
    GeoHash::encode_wgs84(lon, lat, STEP_MAX).map_or(0, GeoHash::align52)
}

/// GEOHASH's 11-character string of a stored score: the position decoded, re-encoded
/// over the standard -90..90 latitudes, five bits a character, the eleventh always `0`.
pub fn standard_string(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = decode_score(score);
    let bits = GeoHash::encode(STANDARD, lon, lat, STEP_MAX).map_or(0, |h| h.bits);
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().enumerate().take(10) {
        *c = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    out
}

/// Which great-circle formula the pinned server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Haversine {
    /// Redis 6.2: the plain haversine everywhere.
    Plain,
    /// Redis 7.0 on: along a meridian (no longitude difference) the latitude difference
    /// alone, and box searches check the latitude first.
    MeridianShortcut,
}

/// The distance in meters along a meridian between two latitudes.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_M * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// The great-circle distance in meters between two positions.
pub fn distance(f: Haversine, lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (lon1r, lon2r) = (deg_rad(lon1), deg_rad(lon2));
    let v = ((lon2r - lon1r) / 2.0).sin();
    if f == Haversine::MeridianShortcut && v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1r, lat2r) = (deg_rad(lat1), deg_rad(lat2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

/// The area of a search: a circle or an axis-aligned box (in the unit given) around a
/// centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure {
    Radius(f64),
    Box { width: f64, height: f64 },
}

/// A search area: its centre, figure and the unit's size in meters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub lon: f64,
    pub lat: f64,
    pub figure: Figure,
    /// Meters per unit of the figure's sizes.
    pub conversion: f64,
}

/// How many bits per coordinate the search cells get for a radius, as Redis estimates
/// them: the largest step whose cell still spans the radius, less one for latitudes
/// beyond 66 degrees and another beyond 80.
pub fn steps_for_radius(range_m: f64, lat: f64) -> u8 {
    if range_m == 0.0 {
        return 26;
    }
    let (mut range, mut step) = (range_m, 1i32);
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

impl Shape {
    /// The half extents in meters: (north-south, east-west).
    fn half_extents(&self) -> (f64, f64) {
        match self.figure {
            Figure::Radius(r) => (self.conversion * r, self.conversion * r),
            Figure::Box { width, height } => (self.conversion * (height / 2.0), self.conversion * (width / 2.0)),
        }
    }

    /// The bounding box of the area: `[min_lon, min_lat, max_lon, max_lat]`, its east and
    /// west edges taken at the latitude nearer the pole (where a degree is shortest).
    pub fn bounding_box(&self) -> [f64; 4] {
        let (height, width) = self.half_extents();
        let lat_delta = rad_deg(height / EARTH_RADIUS_M);
        let lon_delta_top = rad_deg(width / EARTH_RADIUS_M / deg_rad(self.lat + lat_delta).cos());
        let lon_delta_bottom = rad_deg(width / EARTH_RADIUS_M / deg_rad(self.lat - lat_delta).cos());
        let delta = if self.lat < 0.0 { lon_delta_bottom } else { lon_delta_top };
        [self.lon - delta, self.lat - lat_delta, self.lon + delta, self.lat + lat_delta]
    }

    /// The radius in meters the cells are sized for: a circle's, or a box's half diagonal.
    fn radius_m(&self) -> f64 {
        let r = match self.figure {
            Figure::Radius(r) => r,
            Figure::Box { width, height } => ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt(),
        };
        r * self.conversion
    }

    /// The cells a search scans, in Redis's order: the centre's cell, then its neighbours
    /// as [`GeoHash::neighbours`] lists them, a neighbour the area cannot reach replaced by
    /// [`GeoHash::ZERO`] (geohashCalculateAreasByShapeWGS84).
    pub fn search_cells(&self) -> [GeoHash; 9] {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounding_box();
        let mut steps = steps_for_radius(self.radius_m(), self.lat);
        let at = |steps: u8| {
            let hash = GeoHash::encode(WGS84, self.lon, self.lat, steps).unwrap_or(GeoHash { bits: 0, step: steps });
            (hash, hash.neighbours())
        };
        let area_of = |h: GeoHash| h.decode(WGS84).unwrap_or(Area { lon: WGS84.0, lat: WGS84.1 });
        let (mut hash, mut n) = at(steps);
        // North, south, east, west: too near the area's edge, the cells must be larger.
        let (north, south, east, west) = (area_of(n[0]), area_of(n[1]), area_of(n[2]), area_of(n[3]));
        let decrease =
            north.lat.max < max_lat || south.lat.min > min_lat || east.lon.max < max_lon || west.lon.min > min_lon;
        if steps > 1 && decrease {
            steps -= 1;
            (hash, n) = at(steps);
        }
        let area = area_of(hash);
        if steps >= 2 {
            // Indexes into `n`: N 0, S 1, E 2, W 3, NE 4, NW 5, SE 6, SW 7.
            let mut clear = |ix: [usize; 3]| ix.iter().for_each(|&i| n[i] = GeoHash::ZERO);
            if area.lat.min < min_lat {
                clear([1, 7, 6]);
            }
            if area.lat.max > max_lat {
                clear([0, 4, 5]);
            }
            if area.lon.min < min_lon {
                clear([3, 7, 5]);
            }
            if area.lon.max > max_lon {
                clear([2, 6, 4]);
            }
        }
        [hash, n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]]
    }

    /// Whether the point at `lon`,`lat` lies in the area, and its distance in meters from
    /// the centre if so. A box checks its north-south extent along the meridian and its
    /// east-west extent along the point's parallel.
    pub fn reaches(&self, f: Haversine, lon: f64, lat: f64) -> Option<f64> {
        match self.figure {
            Figure::Radius(r) => {
                let d = distance(f, self.lon, self.lat, lon, lat);
                // A NaN distance (antipodes rounding past 1) is not "greater": it is in.
                (d.partial_cmp(&(r * self.conversion)) != Some(std::cmp::Ordering::Greater)).then_some(d)
            }
            Figure::Box { width, height } => {
                let (w, h) = (width * self.conversion, height * self.conversion);
                let lat_d = match f {
                    Haversine::MeridianShortcut => lat_distance(lat, self.lat),
                    Haversine::Plain => distance(f, lon, lat, lon, self.lat),
                };
                if f == Haversine::MeridianShortcut && lat_d > h / 2.0 {
                    return None;
                }
                let lon_d = distance(f, lon, lat, self.lon, lat);
                if lon_d > w / 2.0 || (f == Haversine::Plain && lat_d > h / 2.0) {
                    return None;
                }
                Some(distance(f, self.lon, self.lat, lon, lat))
            }
        }
    }
}

/// The scores `[min, max)` a cell covers.
pub fn cell_scores(h: GeoHash) -> (u64, u64) {
    (h.align52(), GeoHash { bits: h.bits.wrapping_add(1), step: h.step }.align52())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_round_trips() {
        for (x, y) in [(0u32, 0u32), (1, 0), (0, 1), (0x3ff_ffff, 0x155_5555), (u32::MAX, 7)] {
            let v = deinterleave(interleave(x, y));
            assert_eq!((v as u32, (v >> 32) as u32), (x, y));
        }
    }

    #[test]
    fn palermo_scores_as_redis_does() {
        // GEOADD Sicily 13.361389 38.115556 "Palermo": ZSCORE 3479099956230698.
        assert_eq!(encode_score(13.361389, 38.115556), 3479099956230698);
        assert_eq!(&standard_string(3479099956230698.0), b"sqc8b49rny0");
    }

    #[test]
    fn score_bits_follow_x86() {
        assert_eq!(score_bits(-1.0), u64::MAX);
        assert_eq!(score_bits(1.5), 1);
        assert_eq!(score_bits(f64::INFINITY), 0);
        assert_eq!(score_bits(-1e300), 1 << 63);
        assert_eq!(score_bits(1e19), 10_000_000_000_000_000_000);
    }
}
