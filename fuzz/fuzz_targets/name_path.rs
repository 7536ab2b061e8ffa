//! Parameter-name parser: never panics; an accepted name prints back unchanged; the name
//! parsed once at the codec edge (`cwmp::name::Name`) gives back the same parse.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let parsed = cwmpd::proto::path::parse(&s);
    let name = cwmpd::proto::name::Name::new(s.as_ref());
    assert_eq!(name.path(), parsed.clone());
    if let Ok(p) = parsed {
        assert_eq!(p.to_string(), s);
        let _ = cwmpd::proto::path::parse(&p.schema_form());
    }
});
