#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kycmedia_fuzz::server::json_bodies(data));
