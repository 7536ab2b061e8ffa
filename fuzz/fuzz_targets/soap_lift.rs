//! The GetParameterValues fast path (proto::soap::lift): on every input, `decode` (which
//! tries it first) and `decode_without_lift` (the general parser only) give the same
//! envelope, or both refuse it.
#![no_main]
use cwmpd::proto::soap::decode::decode_without_lift;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match (cwmpd::proto::soap::decode(data), decode_without_lift(data)) {
        (Ok(fast), Ok(general)) => assert_eq!(fast, general, "the fast path changed the envelope"),
        (Err(_), Err(_)) => {}
        (fast, general) => panic!("the paths disagree: {fast:?} / {general:?}"),
    }
});
