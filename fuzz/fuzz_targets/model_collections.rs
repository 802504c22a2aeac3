#![no_main]
//! See `fakeredis::fuzzing::model_collections` for the generator and its oracles.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fakeredis::fuzzing::model_collections(data));
