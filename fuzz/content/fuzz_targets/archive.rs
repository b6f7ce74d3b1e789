#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| firebreak_fuzz_content::archive(data));
