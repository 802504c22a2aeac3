//! LATENCY: the latency monitor (events at or over `latency-monitor-threshold` ms; the
//! fake records none: its commands do not stall the server for milliseconds) and the
//! per-command histograms of `latency-tracking`, reported as Redis's HdrHistogram log
//! iterator reports them (cumulative counts at 1024 ns * 2^k, in µs).

use super::help_reply;
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::{CommandStat, Ctx};

fn extra_words(ctx: &Ctx<'_>) -> Reply {
    Reply::err_bytes(error::subcommand_syntax("LATENCY", ctx.argv.get(1).map_or(&b""[..], |w| w)))
}

/// LATENCY LATEST: no event was recorded.
pub fn latency_latest(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    if !words.is_empty() {
        return Err(extra_words(ctx));
    }
    Ok(Reply::Array(Vec::new()))
}

/// LATENCY HISTORY event.
pub fn latency_history(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    if words.len() != 1 {
        return Err(extra_words(ctx));
    }
    Ok(Reply::Array(Vec::new()))
}

/// LATENCY GRAPH event: no samples of any event.
pub fn latency_graph(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [event] = words else { return Err(extra_words(ctx)) };
    Err(Reply::err_bytes(error::latency_no_samples(event)))
}

/// LATENCY RESET [event ...]: how many events were reset (none).
pub fn latency_reset(_ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Int(0))
}

/// LATENCY DOCTOR: the report of a monitor that is off, or that saw nothing.
pub fn latency_doctor(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    if !words.is_empty() {
        return Err(extra_words(ctx));
    }
    let text = if ctx.st.config.get_i64("latency-monitor-threshold") == 0 {
        error::LATENCY_DOCTOR_DISABLED
    } else {
        error::LATENCY_DOCTOR_QUIET
    };
    Ok(Reply::Verbatim("txt", format!("{text}\n").into_bytes()))
}

/// One command's `calls` and `histogram_usec`.
fn cdf(stat: &CommandStat) -> Reply {
    let total: u64 = stat.latency.values().sum();
    let mut points = Vec::new();
    let (mut previous, mut level) = (0u64, 1024u64);
    while previous < total {
        let top = level - 1;
        let count: u64 = stat.latency.range(..=top).map(|(_, n)| n).sum();
        if count > previous {
            points.push((Reply::Int((top / 1000) as i64), Reply::Int(count as i64)));
        }
        previous = count;
        level = match level.checked_mul(2) {
            Some(l) => l,
            None => break,
        };
    }
    Reply::Map(vec![
        (Reply::bulk("calls"), Reply::Int(total as i64)),
        (Reply::bulk("histogram_usec"), Reply::Map(points)),
    ])
}

/// LATENCY HISTOGRAM [command ...]: each named command (and a container's subcommands)
/// that has run, or every one.
pub fn latency_histogram(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let p = ctx.profile();
    let mut names: Vec<&'static str> = Vec::new();
    let with_subs = |c: &'static crate::spec::CommandSpec, out: &mut Vec<&'static str>| {
        out.push(c.fullname);
        out.extend(c.subcommands.iter().filter(|s| s.available(&p)).map(|s| s.fullname));
    };
    if words.is_empty() {
        for c in crate::spec::all_commands().iter().copied().filter(|c| c.available(&p)) {
            with_subs(c, &mut names);
        }
    } else {
        for w in words {
            let lower = String::from_utf8_lossy(w).to_ascii_lowercase();
            let mut parts = lower.splitn(2, '|');
            let Some(top) = parts.next().and_then(|t| crate::spec::lookup_on(t.as_bytes(), &p)) else { continue };
            match parts.next() {
                Some(sub) => names.extend(top.subcommand(sub.as_bytes(), &p).map(|s| s.fullname)),
                None => with_subs(top, &mut names),
            }
        }
    }
    let stats = &ctx.st.stats.commands;
    let entries = names
        .into_iter()
        .filter_map(|n| stats.get(n).filter(|s| !s.latency.is_empty()).map(|s| (Reply::bulk(n.as_bytes()), cdf(s))))
        .collect();
    Ok(Reply::Map(entries))
}

/// LATENCY HELP.
pub fn latency_help(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    if !words.is_empty() {
        return Err(extra_words(ctx));
    }
    let mut lines = vec![
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
    ];
    if ctx.profile().redis_at_least(7, 0) {
        lines.extend([
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ]);
    }
    Ok(help_reply("LATENCY", &lines))
}
