#![no_main]
//! See `fakeredis::fuzzing::command_args` for the generator and its oracles.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fakeredis::fuzzing::command_args(data));
