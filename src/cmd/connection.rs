//! Connection commands (spec group `connection`).

use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;
use crate::spec::generated::*;

/// PING [message]: `PONG`, or the message as a bulk string.
pub fn ping(_ctx: &mut Ctx<'_>, a: Ping<'_>) -> CmdResult {
    Ok(match a.message {
        Some(m) => Reply::bulk(m),
        None => Reply::simple("PONG"),
    })
}
