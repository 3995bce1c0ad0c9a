#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kycmedia_fuzz::server::content_decoding(data));
