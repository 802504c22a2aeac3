//! MEMORY HELP, DOCTOR, PURGE and USAGE (read from Redis's `object.c`; USAGE's figure is
//! [`crate::db::memory`]'s). DOCTOR reports on the
//! fake's memory estimate (INFO's `used_memory`): under 5 MB the instance is "empty"; the
//! other reports (peaks, fragmentation, buffers, cached scripts) never apply to it.

use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::grammar::parse_i64;

use super::help_reply;

/// Below this `used_memory`, DOCTOR calls the instance empty.
const DOCTOR_EMPTY_BELOW: u64 = 5 * 1024 * 1024;

/// MEMORY HELP.
pub fn memory_help(_ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    Ok(help_reply(
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    ))
}

/// MEMORY DOCTOR: a verbatim text report.
pub fn memory_doctor(ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    let (used, _) = super::info::used_memory(ctx);
    let text = if used < DOCTOR_EMPTY_BELOW {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
    } else {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
    };
    Ok(Reply::Verbatim("txt", text.as_bytes().to_vec()))
}

/// MEMORY PURGE: there is nothing to give back.
pub fn memory_purge(_ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::ok())
}

/// MEMORY USAGE key [SAMPLES count] (overlay `walk`): options first (SAMPLES 0 samples
/// everything), then the key as stored, expired or not (`dbFind`), or nil.
pub fn memory_usage(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let Some((key, opts)) = words.split_first() else { return Err(Reply::err(error::SYNTAX)) };
    let mut samples = 5usize;
    let mut i = 0;
    while i < opts.len() {
        if !opts[i].eq_ignore_ascii_case(b"samples") || i + 1 >= opts.len() {
            return Err(Reply::err(error::SYNTAX));
        }
        let n = parse_i64(&opts[i + 1]).ok_or(Reply::err(error::NOT_INTEGER))?;
        samples = match n {
            ..=-1 => return Err(Reply::err(error::SYNTAX)),
            0 => usize::MAX,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        i += 2;
    }
    let fill = ctx.st.config.get_i64("list-max-listpack-size");
    let node_bytes = usize::try_from(ctx.st.config.get_i64("stream-node-max-bytes")).unwrap_or(4096);
    let usage = ctx.db().find(key).map(|e| crate::db::memory::usage(key, e, samples, fill, node_bytes));
    Ok(usage.map_or(Reply::Nil, |n| Reply::Int(n as i64)))
}
