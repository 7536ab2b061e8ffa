//! Value validation and pattern matching (TR-106 facets): never panic, always terminate;
//! an accepted value is canonical (validating it again gives it back unchanged). The first
//! two bytes pick a parameter of the schema; a 0 byte splits an arbitrary pattern from the
//! text it is matched against.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((pick, rest)) = data.split_first_chunk::<2>() else { return };
    let text = String::from_utf8_lossy(rest);
    let params: Vec<&cwmpd::schema::ParamSpec> =
        cwmpd::schema::objects().iter().flat_map(|o| o.params.iter()).collect();
    let spec = params[usize::from(u16::from_le_bytes(*pick)) % params.len()];
    if let Ok(v) = cwmpd::schema::value::canonical(spec, &text, None) {
        assert_eq!(cwmpd::schema::value::canonical(spec, &v, None), Ok(v.clone()), "{} {v:?}", spec.name);
    }
    if let Some((pattern, subject)) = text.split_once('\0') {
        let _ = cwmpd::schema::pattern::full_match(pattern, subject);
    }
});
