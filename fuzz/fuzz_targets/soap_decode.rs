//! SOAP envelope decoder: never panics; whatever decodes re-encodes and decodes to the same.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = cwmpd::proto::soap::decode(data) {
        let xml = cwmpd::proto::soap::encode(&env);
        let again = cwmpd::proto::soap::decode(xml.as_bytes()).expect("re-encoded envelope must decode");
        assert_eq!(again, env, "decode -> encode -> decode is not stable");
    }
});
