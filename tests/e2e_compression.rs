//! End to end, HTTP compression (TR-069 Amd 6 3.4.7): the ACS sets
//! ManagementServer.HTTPCompression to GZIP, the next session's messages go gzip-coded and
//! the ACS's gzip answers are read; an ACS that answers 415 gets the session uncompressed.
//! HTTPCompression takes only `Disabled` or a value of HTTPCompressionSupported (9007).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::rpc::{Body, ParameterValueStruct, ValueType};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{self, AcsAuth, SessionRecord, TestAcs, TestAcsConfig};
use std::time::Duration;
use support::{Daemon, DaemonConfig, TempDir};

const WAIT: Duration = Duration::from_secs(20);

fn set(value: &str) -> Body {
    Body::SetParameterValues {
        parameter_list: vec![ParameterValueStruct {
            name: "Device.ManagementServer.HTTPCompression".into(),
            value: value.into(),
            value_type: Some(ValueType::String),
        }],
        parameter_key: format!("compression-{value}"),
    }
}

fn cr_url(s: &SessionRecord) -> String {
    let p = s.inform.parameter_list.iter().find(|p| p.name == "Device.ManagementServer.ConnectionRequestURL");
    p.unwrap().value.clone()
}

#[test]
fn gzip_sessions_and_415_fallback() {
    let dir = TempDir::new("compression");
    let acs = TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap();
    acs.set_coding(false, true);
    acs.push(
        Body::GetParameterValues { parameter_names: vec!["Device.ManagementServer.HTTPCompressionSupported".into()] },
        Some(Expect::Response("GetParameterValuesResponse".into())),
    );
    acs.push(set("Compress"), Some(Expect::Fault(9003)));
    acs.push(set("GZIP"), Some(Expect::Response("SetParameterValuesResponse".into())));
    let config = DaemonConfig::new(&acs.url()).write(dir.path());
    let daemon = Daemon::start(dir.path(), &config);
    assert!(acs.wait_sessions(1, WAIT), "{}", daemon.log_text());
    let first = acs.sessions()[0].clone();
    for e in &first.exchanges {
        assert!(e.check.is_ok(), "{:?}: {:?}", e.request, e.check);
    }
    match &first.exchanges[0].answer {
        Some(Body::GetParameterValuesResponse { parameter_list }) => {
            assert_eq!(parameter_list[0].value, "GZIP,Deflate")
        }
        other => panic!("{other:?}"),
    }
    let plain = acs.coding();
    assert_eq!((plain.coded_requests, plain.coded_answers), (0, 0), "the first session was not compressed");

    // Session 2: gzip both ways (the CPE accepts gzip, this ACS sends it).
    let url = cr_url(&first);
    assert_eq!(testacs::connection_request(&url, "cr-user", "cr-secret").unwrap(), 200);
    assert!(acs.wait_sessions(2, WAIT), "{}", daemon.log_text());
    let coded = acs.coding();
    assert!(coded.coded_requests >= 1 && coded.coded_answers >= 1, "{coded:?}");
    assert_eq!(acs.sessions()[1].event_codes(), vec!["6 CONNECTION REQUEST".to_string()]);

    // Session 3: this ACS now refuses coded messages; the session completes uncompressed.
    acs.set_coding(true, false);
    assert_eq!(testacs::connection_request(&url, "cr-user", "cr-secret").unwrap(), 200);
    assert!(acs.wait_sessions(3, WAIT), "{}", daemon.log_text());
    let after = acs.coding();
    assert_eq!(after.refused, 1, "one 415, then plain for the session: {after:?}");
    assert_eq!(after.coded_requests, coded.coded_requests);
    assert!(daemon.log_text().contains("(415)"), "{}", daemon.log_text());
}
