//! Decoding real-style envelopes (GenieACS, acsrs, default namespaces, CDATA and entities)
//! and bad input: each gets the right error or fault, never a panic. Every fixture is also
//! re-encoded and decoded again to check the round trip is stable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use cwmpd::proto::rpc::{Body, CwmpNamespace, ValueType};
use cwmpd::proto::soap::{self, DecodeErrorKind};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/soap/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn stable(bytes: &[u8]) -> cwmpd::proto::rpc::Envelope {
    let env = soap::decode(bytes).unwrap();
    let again = soap::decode(soap::encode(&env).as_bytes()).unwrap();
    assert_eq!(again, env, "decode(encode(decode(x))) differs");
    env
}

#[test]
fn genieacs_set_parameter_attributes_with_empty_notification() {
    let env = stable(&fixture("genieacs-spa.xml"));
    assert_eq!(env.header.id.as_deref(), Some("1a2b3c"));
    let Body::SetParameterAttributes { parameter_list } = env.body else { panic!() };
    assert_eq!(parameter_list[0].notification, Some(2));
    assert!(parameter_list[0].notification_change);
    assert_eq!(parameter_list[1].notification, None, "empty <Notification/> accepted");
    assert_eq!(parameter_list[1].access_list, vec!["Subscriber".to_string()]);
}

#[test]
fn genieacs_set_parameter_values_types_and_entities() {
    let env = stable(&fixture("genieacs-spv.xml"));
    let Body::SetParameterValues { parameter_list, parameter_key } = env.body else { panic!() };
    assert_eq!(parameter_key, "key 1");
    assert_eq!(parameter_list[0].value_type, Some(ValueType::DateTime));
    assert_eq!(parameter_list[0].value, "2026-11-25T05:00:00.000Z");
    assert_eq!(parameter_list[1].value, "1");
    assert_eq!(parameter_list[2].value, "a & b <c>");
}

#[test]
fn acsrs_messages_in_the_cwmp_1_0_namespace() {
    let env = stable(&fixture("acsrs-gpn.xml"));
    assert_eq!(env.namespace, CwmpNamespace::V1_0);
    assert_eq!(env.body, Body::GetParameterNames { parameter_path: "Device.".into(), next_level: false });
    let env = stable(&fixture("acsrs-gpv.xml"));
    let Body::GetParameterValues { parameter_names } = env.body else { panic!() };
    assert_eq!(parameter_names, vec!["Device.DeviceInfo.SerialNumber", "Device.ManagementServer."]);
}

#[test]
fn default_namespaces_whitespace_and_hold_requests() {
    let env = stable(&fixture("default-ns-inform-response.xml"));
    assert_eq!(env.header.id.as_deref(), Some("42"));
    assert_eq!(env.header.hold_requests, Some(true));
    assert_eq!(env.header.no_more_requests, None, "NoMoreRequests is ignored");
    assert_eq!(env.body, Body::InformResponse { max_envelopes: 1 });
}

#[test]
fn cdata_and_character_references() {
    let env = stable(&fixture("cdata-spv.xml"));
    let Body::SetParameterValues { parameter_list, .. } = env.body else { panic!() };
    assert_eq!(parameter_list[0].value, "<raw & \"quoted\">\u{263A}");
}

fn request(body: &str) -> Vec<u8> {
    format!(
        r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:c="urn:dslforum-org:cwmp-1-2"><e:Header><c:ID e:mustUnderstand="1">bad-1</c:ID></e:Header><e:Body>{body}</e:Body></e:Envelope>"#
    )
    .into_bytes()
}

fn kind(bytes: &[u8]) -> (DecodeErrorKind, Option<u32>, Option<String>) {
    let e = soap::decode(bytes).expect_err("must fail");
    (e.kind.clone(), e.fault().map(|f| f.fault_code), e.id)
}

#[test]
fn bad_input_gets_the_right_error() {
    assert!(matches!(kind(b"not xml at all").0, DecodeErrorKind::NotXml(_)));
    assert!(matches!(kind(b"\xff\xfe").0, DecodeErrorKind::NotXml(_)));
    let bomb =
        br#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><l>&b;</l>"#;
    assert!(matches!(kind(bomb).0, DecodeErrorKind::NotXml(_)));
    let wrong_env = br#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>"#;
    assert!(matches!(kind(wrong_env).0, DecodeErrorKind::NotSoap(_)));
    let unknown_ns = br#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:c="urn:dslforum-org:cwmp-9-9"><e:Body><c:GetRPCMethods/></e:Body></e:Envelope>"#;
    assert!(matches!(kind(unknown_ns).0, DecodeErrorKind::UnknownNamespace(_)));
    let (k, code, id) = kind(&request("<c:Frobnicate/>"));
    assert!(matches!(k, DecodeErrorKind::UnknownMethod(_)));
    assert_eq!((code, id.as_deref()), (Some(9000), Some("bad-1")), "9000 with the ID kept");
    let (_, code, _) = kind(&request(
        "<c:GetParameterNames><ParameterPath>Device.</ParameterPath><NextLevel>maybe</NextLevel></c:GetParameterNames>",
    ));
    assert_eq!(code, Some(9003));
    let (_, code, _) =
        kind(&request("<c:GetParameterNames><ParameterPath>Device.</ParameterPath></c:GetParameterNames>"));
    assert_eq!(code, Some(9003), "missing element");
    let long = format!("<c:Reboot><CommandKey>{}</CommandKey></c:Reboot>", "k".repeat(33));
    assert_eq!(kind(&request(&long)).1, Some(9003), "CommandKey over 32");
    let gpv = |n: usize| {
        let names: String = (0..n).map(|i| format!("<string>Device.N{i}</string>")).collect();
        request(&format!("<c:GetParameterValues><ParameterNames>{names}</ParameterNames></c:GetParameterValues>"))
    };
    // Every leaf of a large tree named explicitly is a request, not an attack.
    let Body::GetParameterValues { parameter_names } = soap::decode(&gpv(51_000)).unwrap().body else { panic!() };
    assert_eq!(parameter_names.len(), 51_000);
    assert_eq!(kind(&gpv(65_537)).1, Some(9004), "too many entries");
    let big = vec![b' '; soap::MAX_ENVELOPE_BYTES + 1];
    assert_eq!(kind(&big).0, DecodeErrorKind::TooLarge);
    let two = request("<c:GetRPCMethods/><c:FactoryReset/>");
    assert!(matches!(kind(&two).0, DecodeErrorKind::NotSoap(_)));
    let bad_type = request(
        r#"<c:SetParameterValues xmlns:x="http://www.w3.org/2001/XMLSchema-instance" xmlns:t="http://www.w3.org/2001/XMLSchema"><ParameterList><ParameterValueStruct><Name>A</Name><Value x:type="t:float">1</Value></ParameterValueStruct></ParameterList><ParameterKey/></c:SetParameterValues>"#,
    );
    assert_eq!(kind(&bad_type).1, Some(9003), "unknown xsi:type");
}

#[test]
fn unknown_must_understand_header_is_refused_other_unknown_headers_ignored() {
    let mu = br#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:c="urn:dslforum-org:cwmp-1-2" xmlns:x="urn:x"><e:Header><c:ID e:mustUnderstand="1">m-1</c:ID><x:Secret e:mustUnderstand="1">1</x:Secret></e:Header><e:Body><c:GetRPCMethods/></e:Body></e:Envelope>"#;
    let e = soap::decode(mu).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::MustUnderstand("Secret".into()));
    assert_eq!(e.id.as_deref(), Some("m-1"));
    let optional = String::from_utf8_lossy(mu).replace(r#"<x:Secret e:mustUnderstand="1">"#, "<x:Secret>");
    assert_eq!(soap::decode(optional.as_bytes()).unwrap().body, Body::GetRPCMethods);
}

#[test]
fn truncated_envelopes_never_panic() {
    let full = fixture("genieacs-spv.xml");
    for cut in 0..full.len() {
        let _ = soap::decode(&full[..cut]);
    }
}

#[test]
fn every_fixture_round_trips_stably() {
    let dir = format!("{}/tests/fixtures/soap", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        stable(&bytes);
        n += 1;
    }
    assert!(n >= 8);
}

#[test]
fn version_headers_only_exist_in_the_cwmp_1_2_namespace() {
    let env = stable(&fixture("mixed-ns-headers.xml"));
    assert_eq!(env.namespace, CwmpNamespace::V1_1);
    assert_eq!((env.header.session_timeout, env.header.supported_cwmp_versions), (None, None));
}

#[test]
fn an_overlong_id_is_cut_and_stays_stable() {
    let id = format!("{}{}b", "a".repeat(250), " ".repeat(10));
    let env = stable(&request("<c:GetRPCMethods/>"));
    assert_eq!(env.header.id.as_deref(), Some("bad-1"));
    let raw = String::from_utf8(request("<c:GetRPCMethods/>")).unwrap().replace("bad-1", &id);
    let env = stable(raw.as_bytes());
    assert_eq!(env.header.id.unwrap(), "a".repeat(250), "cut at 256 characters, then trimmed");
}

/// The GetParameterValues fast path (`soap::lift`) gives the envelope the general parser
/// gives, takes the plain form, and leaves every other form (comments, CDATA, entities,
/// a look-alike array inside a comment, another RPC's ParameterNames) to the general path.
#[test]
fn parameter_names_fast_path_agrees_with_the_parser() {
    use soap::decode::decode_without_lift;
    let acsrs = String::from_utf8(fixture("acsrs-gpv.xml")).unwrap();
    let many: String = (1..=3000).map(|i| format!("<string>Device.X.{i}.Y</string>\n")).collect();
    let big = acsrs
        .replace("<string>Device.DeviceInfo.SerialNumber</string><string>Device.ManagementServer.</string>", &many);
    let decoy = acsrs.replace(
        "<soapenv:Body>",
        "<!-- GetParameterValues <ParameterNames><string>Decoy</string></ParameterNames> --><soapenv:Body>",
    );
    let variants = [
        (acsrs.clone(), true),
        (big.clone(), true),
        (acsrs.replace("<string>Device.Dev", "<string> \n Device.Dev"), true),
        (acsrs.replace("<string>Device.Dev", "<!----><string>Device.Dev"), false),
        (acsrs.replace("Device.ManagementServer.", "<![CDATA[Device.ManagementServer.]]>"), false),
        (acsrs.replace("Device.ManagementServer.", "Device.Management&#83;erver."), false),
        (acsrs.replace("Device.ManagementServer.", "Device.Bad Name"), false),
        (decoy.clone(), true),
        (acsrs.replace("GetParameterValues", "GetParameterAttributes"), false),
        (acsrs.replace("</ParameterNames>", "</ParameterNames><ParameterNames/>"), true),
    ];
    for (i, (text, plain)) in variants.iter().enumerate() {
        assert_eq!(soap::lift::parameter_names(text, 256).is_some(), *plain, "variant {i}");
        let (fast, general) = (soap::decode(text.as_bytes()), decode_without_lift(text.as_bytes()));
        assert_eq!(fast.is_ok(), general.is_ok(), "variant {i}: {fast:?} / {general:?}");
        if let (Ok(f), Ok(g)) = (fast, general) {
            assert_eq!(f, g, "variant {i}");
        }
    }
    let Body::GetParameterValues { parameter_names } = soap::decode(big.as_bytes()).unwrap().body else { panic!() };
    assert_eq!(parameter_names.len(), 3000);
    assert_eq!(parameter_names[2999].as_str(), "Device.X.3000.Y");
    let Body::GetParameterValues { parameter_names } = soap::decode(decoy.as_bytes()).unwrap().body else { panic!() };
    assert_eq!(parameter_names.len(), 2, "the array in the comment is not the one read");
}
