//! Lua scripting (feature `lua`: mlua with a vendored Lua 5.1, as Redis embeds): one Lua
//! state per server, scripts cached by their SHA-1, and `redis.call`/`redis.pcall` running
//! commands through [`crate::dispatch::call`] with the script's own session, at the time
//! the script started.
//!
//! As in Redis 7: a script runs in an environment whose globals are read-only (reading a
//! missing one is `Script attempted to access nonexistent global variable`, writing any is
//! `Attempt to modify a readonly table`), also for the library tables; `loadfile`,
//! `dofile`, `print`, `getfenv`, `setfenv`, `newproxy` and `debug` are gone. Errors carry Redis's decoration (`script: <sha>, on
//! @user_script:<line>.`), computed by an error handler like Redis's own. Redis 6.2 (and
//! KeyDB) and Dragonfly differ as `dialect.rs` says: errors are strings there.
//!
//! The Lua side of the environment is `prelude.lua`, run once per state.

pub mod sha1;

#[cfg(feature = "lua")]
mod args;
#[cfg(feature = "lua")]
mod cjson;
#[cfg(feature = "lua")]
mod cmsgpack;
#[cfg(feature = "lua")]
mod lstruct;

#[cfg(feature = "lua")]
mod dialect;
#[cfg(feature = "lua")]
mod engine;
#[cfg(feature = "lua")]
pub mod functions;
#[cfg(feature = "lua")]
mod sandbox;

#[cfg(feature = "lua")]
pub use engine::{ScriptRun, Scripting};
