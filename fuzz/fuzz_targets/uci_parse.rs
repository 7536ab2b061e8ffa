//! UCI parser: never panics; a parsed file written back parses to the same sections. The
//! configuration built on it (section and option checks, the ACS URL) never panics either.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(file) = cwmpd::config::uci::parse(&text) {
        let again = cwmpd::config::uci::parse(&file.to_string()).expect("written file must parse");
        assert_eq!(again.sections.len(), file.sections.len());
        for (a, b) in again.sections.iter().zip(&file.sections) {
            assert_eq!((&a.kind, &a.name), (&b.kind, &b.name));
            let va: Vec<_> = a.values.iter().map(|(n, v, _)| (n, v)).collect();
            let vb: Vec<_> = b.values.iter().map(|(n, v, _)| (n, v)).collect();
            assert_eq!(va, vb);
        }
    }
    let _ = cwmpd::config::Config::parse(&text);
});
