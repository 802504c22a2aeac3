//! MEMORY HELP, DOCTOR and PURGE (read from Redis's `object.c`). DOCTOR reports on the
//! fake's memory estimate (INFO's `used_memory`): under 5 MB the instance is "empty"; the
//! other reports (peaks, fragmentation, buffers, cached scripts) never apply to it.

use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;

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
