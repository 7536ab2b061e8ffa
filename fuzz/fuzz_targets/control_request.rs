//! Control-socket request parser: never panics; a parsed request formats and parses back.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    if let Ok(req) = cwmpd::control::parse(&line) {
        let again = cwmpd::control::parse(&cwmpd::control::format(&req));
        if !line.contains('\n') && !line.contains('\r') {
            assert!(again.is_ok());
        }
    }
});
