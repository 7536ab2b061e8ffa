//! Property tests of value validation and encoding over every compiled parameter (TR-106
//! 3.2 data types; TR-069 Amd 6 A.3.2.1 9006/9007): generated values of each base type are
//! accepted exactly when they fit the facets, an accepted value is canonical (validating it
//! again gives it back), a value that passes survives the SOAP round trip with its xsi:type,
//! and out-of-range numbers, bad booleans and over-long strings are refused with 9007.
//! A seeded xorshift PRNG keeps runs reproducible.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use cwmpd::proto::fault::FaultCode;
use cwmpd::proto::rpc::{Body, Envelope, ParameterValueStruct, ValueType};
use cwmpd::schema::{self, value::canonical, Base, ParamSpec};

mod prng;

use prng::Rng;

fn candidate(r: &mut Rng, spec: &ParamSpec) -> String {
    if let Some(e) = spec.facets.enums.get(r.below(spec.facets.enums.len() as u64 + 1) as usize) {
        return e.to_string();
    }
    match spec.base {
        Base::Boolean => ["true", "false", "1", "0", "yes", "TRUE"][r.below(6) as usize].to_string(),
        Base::Int | Base::Long => (r.next() as i64 >> r.below(63)).to_string(),
        Base::UnsignedInt | Base::UnsignedLong => (r.next() >> r.below(64)).to_string(),
        Base::DateTime => {
            ["2026-11-25T10:00:00Z", "0001-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "x"][r.below(4) as usize].into()
        }
        _ => {
            let len = r.below(80) as usize;
            (0..len).map(|_| (b'a' + r.below(26) as u8) as char).collect()
        }
    }
}

fn all_params() -> Vec<&'static ParamSpec> {
    schema::objects().iter().flat_map(|o| o.params.iter()).collect()
}

#[test]
fn accepted_values_are_canonical_and_round_trip() {
    let mut r = Rng(0x5eed_cafe_f00d_0001);
    let params = all_params();
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..20_000 {
        let spec = params[r.below(params.len() as u64) as usize];
        let text = candidate(&mut r, spec);
        match canonical(spec, &text, None) {
            Ok(v) => {
                accepted += 1;
                assert_eq!(canonical(spec, &v, None), Ok(v.clone()), "{} {text:?}", spec.name);
                let p = ParameterValueStruct {
                    name: "Device.X".into(),
                    value: v.clone(),
                    value_type: Some(spec.base.value_type()),
                };
                let env = Envelope {
                    namespace: Default::default(),
                    header: Default::default(),
                    body: Body::SetParameterValues { parameter_list: vec![p], parameter_key: "k".into() },
                };
                let back = cwmpd::proto::soap::decode(cwmpd::proto::soap::encode(&env).as_bytes()).unwrap();
                let Body::SetParameterValues { parameter_list, .. } = back.body else { panic!() };
                assert_eq!(canonical(spec, &parameter_list[0].value, parameter_list[0].value_type), Ok(v));
            }
            Err(code) => {
                refused += 1;
                assert!(matches!(code.0, 9006 | 9007), "{} {text:?}: {code:?}", spec.name);
            }
        }
    }
    assert!(accepted > 5_000 && refused > 1_000, "{accepted} accepted, {refused} refused");
}

#[test]
fn bounds_of_every_numeric_and_sized_parameter_hold() {
    for spec in all_params() {
        let f = spec.facets;
        if f.list || !f.enums.is_empty() {
            continue;
        }
        match spec.base {
            Base::UnsignedInt => {
                assert_eq!(
                    canonical(spec, "4294967296", None),
                    Err(FaultCode::INVALID_PARAMETER_VALUE),
                    "{}",
                    spec.name
                );
                assert_eq!(canonical(spec, "-1", None), Err(FaultCode::INVALID_PARAMETER_VALUE), "{}", spec.name);
                for b in f.range {
                    if let Some(max) = b.max.filter(|m| *m < i128::from(u32::MAX)) {
                        let over = (max + 1).to_string();
                        let inside = f.range.iter().any(|o| o.contains(max + 1));
                        assert_eq!(canonical(spec, &over, None).is_ok(), inside, "{} {over}", spec.name);
                    }
                }
            }
            Base::Boolean => {
                assert_eq!(canonical(spec, "1", Some(ValueType::Boolean)), Ok("true".into()));
                assert_eq!(canonical(spec, "on", None), Err(FaultCode::INVALID_PARAMETER_VALUE));
            }
            Base::String if f.patterns.is_empty() => {
                if let Some(max) = f.size.iter().filter_map(|b| b.max).max() {
                    let long = "x".repeat(max as usize + 1);
                    assert_eq!(canonical(spec, &long, None), Err(FaultCode::INVALID_PARAMETER_VALUE), "{}", spec.name);
                }
            }
            _ => {}
        }
    }
}

/// A list parameter's default is served in the wire form: the schema's `[]` (the empty
/// list) is the empty string, `[0,1]` is `0,1` (TR-106 3.2.3); GenieACS rewrote `[]`
/// every session; such a default passes validation as it stands.
#[test]
fn list_defaults_are_wire_form_and_valid() {
    let mut lists = 0;
    for o in schema::objects() {
        for p in o.params.iter() {
            let Some(d) = p.default else { continue };
            if p.facets.list {
                lists += 1;
                assert!(!d.starts_with('[') && !d.ends_with(']'), "{}{}: default {d:?}", o.path, p.name);
            }
        }
    }
    assert!(lists > 50, "only {lists} list parameters with defaults");
    let log_ref = schema::object("Device.NAT.PortMapping.{i}.").and_then(|o| o.param("LogRef")).unwrap();
    assert_eq!(log_ref.default, Some(""));
    let prio = schema::object("Device.Bridging.Bridge.{i}.Port.{i}.").and_then(|o| o.param("PriorityRegeneration"));
    assert_eq!(prio.unwrap().default, Some("0,1,2,3,4,5,6,7"));
    assert_eq!(canonical(prio.unwrap(), "0,1,2,3,4,5,6,7", None).as_deref(), Ok("0,1,2,3,4,5,6,7"));
}
