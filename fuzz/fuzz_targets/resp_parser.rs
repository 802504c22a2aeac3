#![no_main]
//! See `fakeredis::fuzzing::resp_parser` for the generator and its oracles.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fakeredis::fuzzing::resp_parser(data));
