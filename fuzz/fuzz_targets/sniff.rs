#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kycmedia_fuzz::pure::sniff_bytes(data));
