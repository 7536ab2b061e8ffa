//! Control-socket request parser (`cwmpd::shell::control`): never panics; whatever parses formats
//! back to one escaped line that parses to the same request, and any argument list the
//! command line could pass (fields split at NUL bytes) either is refused or survives the
//! wire form unchanged, spaces, tabs, newlines and empty arguments included.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(req) = cwmpd::shell::control::parse(&text) {
        let line = cwmpd::shell::control::format(&req);
        assert_eq!(line.find('\n'), Some(line.len() - 1), "one line");
        assert_eq!(cwmpd::shell::control::parse(&line).ok(), Some(req));
    }
    let args: Vec<String> = text.split('\0').map(String::from).collect();
    if let Ok(req) = cwmpd::shell::control::Request::from_args(&args) {
        assert_eq!(cwmpd::shell::control::parse(&cwmpd::shell::control::format(&req)).ok(), Some(req));
    }
});
