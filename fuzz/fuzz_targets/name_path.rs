//! Parameter-name parser: never panics; an accepted name prints back unchanged; the name
//! parsed once at the codec edge (`cwmp::name::Name`) gives back the same parse; the
//! addressing rules of TR-069 Amd 6 3.6.1 hold for every accepted name: every `[alias]` is a
//! valid Alias value, `*` never ends a parameter name, and `Name::is_addressed` agrees with
//! the segments.
#![no_main]
use cwmpd::proto::path::{self, Segment};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let parsed = path::parse(&s);
    let name = cwmpd::proto::name::Name::new(s.as_ref());
    assert_eq!(name.path(), parsed.clone());
    if let Ok(p) = parsed {
        assert_eq!(p.to_string(), s);
        let _ = path::parse(&p.schema_form());
        for seg in &p.segments {
            if let Segment::Alias(a) = seg {
                assert!(path::valid_alias(a), "{a:?}");
            }
        }
        assert!(p.partial || p.segments.last() != Some(&Segment::Wildcard));
        assert_eq!(name.is_addressed(), p.has_wildcard() || p.has_alias());
    } else {
        assert!(!name.is_addressed());
    }
});
