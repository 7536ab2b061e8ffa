//! Transfer record parser (state file): never panics; a decoded transfer encodes and decodes
//! to the same.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let fields: Vec<String> = text.split('\t').map(str::to_string).collect();
    if let Ok(t) = cwmpd::proto::transfer::record::decode(&fields) {
        let again = cwmpd::proto::transfer::record::decode(&cwmpd::proto::transfer::record::encode(&t)).expect("round trip");
        assert_eq!(again, t);
    }
});
