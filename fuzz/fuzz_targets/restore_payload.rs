#![no_main]
//! See `fakeredis::fuzzing::restore_payload` for the generator and its oracles.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fakeredis::fuzzing::restore_payload(data));
