//! Apply status file parser (`transfer::apply_job::Outcome`): never panics; a parsed status
//! serializes and parses to the same outcome and gives a FaultStruct of 0 or 9018.
#![no_main]
use cwmpd::shell::transfer::apply_job::Outcome;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(outcome) = Outcome::decode(text) {
            assert_eq!(Outcome::decode(&outcome.encode()), Some(outcome.clone()));
            assert!(matches!(outcome.fault().fault_code, 0 | 9018));
        }
    }
});
