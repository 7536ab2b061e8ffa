//! End to end: two whole service models served through the external backend (issue 17 item
//! 5; docs/external-backend.md) by `cwmpd-test-plugin-service`, a TEST plugin that serves
//! the rows and values of `tests/service_models/*.data`: TR-135 STBService:1.4 (a set-top
//! box) and TR-196 FAPService:2.1 (an LTE femto cell), with the real `cwmpd` and the test
//! ACS on loopback. GetParameterNames/GetParameterValues over each whole subtree (nested
//! tables, instance numbers, `…NumberOfEntries`); SetParameterValues of every base type,
//! where a value the schema refuses gets 9007 (TR-069 Amd 6 A.3.2.1) and never reaches the
//! plugin (its journal shows every request it received); AddObject/DeleteObject on TR-196's
//! writable tables up to a table's maxEntries (9004), refused on read-only tables (9005);
//! rows the plugin adds and drops itself keep the other rows' numbers; a change the plugin
//! pushes gives a `4 VALUE CHANGE` Inform (3.7.1.5); a plugin killed mid-session makes only
//! its own subtree fault (9002).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "service_models/harness.rs"]
mod harness;
mod support;

use cwmpd::proto::rpc::{Body, SetParameterAttributesStruct, ValueType};
use cwmpd::testacs::script::Expect;
use harness::*;
use std::time::{Duration, Instant};
use support::TempDir;

const STB: &str = "Device.Services.STBService.";
const FAP: &str = "Device.Services.FAPService.";
const FE: &str = "Device.Services.STBService.1.Components.FrontEnd.";
const MAIN: &str = "Device.Services.STBService.1.ServiceMonitoring.MainStream.1.";
const LTE: &str = "Device.Services.FAPService.1.CellConfig.LTE.RAN.NeighborList.LTECell.";

#[test]
fn tr135_set_top_box_tables_and_writes() {
    let dir = TempDir::new("svc-stb");
    let (socket, log) = (dir.path().join("stb.sock"), dir.path().join("stb.journal"));
    let mut plugin = SocketPlugin::start("stb", &socket, &log);
    let acs = acs();
    acs.push(gpn(STB), None);
    acs.push(gpv(&[STB]), None);
    let good = owned(&[
        ("Device.Services.STBService.1.Enable".into(), "false", ValueType::Boolean),
        (format!("{FE}1.IP.IGMP.DSCPMark"), "46", ValueType::UnsignedInt),
        (format!("{FE}1.IP.IGMP.VLANIDMark"), "100", ValueType::Int),
        (format!("{FE}1.DVBT.Modulation.Constellation"), "16QAM", ValueType::String),
        (format!("{FE}2.IP.ServiceConnect.URI"), "rtp://239.1.1.2:5004", ValueType::String),
        (
            "Device.Services.STBService.1.ServiceMonitoring.TimeReference".into(),
            "2026-12-07T06:30:00Z",
            ValueType::DateTime,
        ),
        (format!("{MAIN}PacketsLostByEventHistogramIntervals"), "1,3,9", ValueType::String),
    ]);
    let long = "x".repeat(257);
    let mut bad = owned(&[
        ("Device.Services.STBService.1.Enable".into(), "maybe", ValueType::Boolean),
        (format!("{FE}1.IP.IGMP.DSCPMark"), "64", ValueType::UnsignedInt),
        (format!("{FE}1.IP.IGMP.VLANIDMark"), "-2", ValueType::Int),
        (format!("{FE}1.DVBT.Modulation.Constellation"), "256QAM", ValueType::String),
        ("Device.Services.STBService.1.ServiceMonitoring.TimeReference".into(), "yesterday", ValueType::DateTime),
        (format!("{MAIN}Gmin"), "-1", ValueType::UnsignedInt),
    ]);
    bad.push((format!("{FE}2.IP.ServiceConnect.URI"), long, ValueType::String));
    acs.push(spv(&good, "k1"), Some(Expect::Response("SetParameterValuesResponse".into())));
    acs.push(spv(&bad, "k2"), Some(Expect::Fault(9003)));
    let status = owned(&[(format!("{FE}1.Status"), "Disabled", ValueType::String)]);
    acs.push(spv(&status, "k3"), Some(Expect::Fault(9003)));
    // TR-135's tables are read-only: no AddObject or DeleteObject reaches the plugin.
    acs.push(add(FE, "k4"), Some(Expect::Fault(9005)));
    let entry = format!("{MAIN}EventLog.Entry.");
    acs.push(
        Body::DeleteObject { object_name: format!("{entry}1."), parameter_key: "k5".into() },
        Some(Expect::Fault(9005)),
    );
    acs.push(gpv(&[STB]), None);
    let (cfg, d) = start(&acs, dir.path(), &[backend("stb", STB, Some(&socket), "stb", &log)]);
    let s = session(&acs, &d, 0);
    for e in &s.exchanges {
        assert!(e.check.is_ok(), "{:?}: {:?}\n{}", e.expect, e.answer, d.log_text());
    }
    read_whole_subtree(&s, "stb");
    let first = values(&s, 1);
    assert_eq!(first[&format!("{FE}2.IP.Inbound.1.URI")], "rtp://239.1.1.1:5004");
    assert_eq!(first["Device.Services.STBService.1.Components.FrontEndNumberOfEntries"], "2");
    assert_eq!(first[&format!("{entry}1.ParameterNumberOfEntries")], "2");
    assert_eq!(first[&format!("{entry}1.Parameter.2.Value")], "user request");
    let faults = set_faults(&s, 3);
    assert_eq!(faults.len(), bad.len(), "{faults:?}");
    assert!(faults.values().all(|c| *c == 9007), "{faults:?}");
    assert_eq!(set_faults(&s, 4).into_values().collect::<Vec<_>>(), [9008], "Status is read-only");
    let after = values(&s, 7);
    for (name, value, _) in &good {
        assert_eq!(after.get(name), Some(value), "{name}");
    }
    // Only the valid writes reached the plugin, each once; no add or delete.
    let sets = journal(&log, "set");
    assert_eq!(sets.len(), good.len(), "{sets:?}");
    assert!(!sets.iter().any(|f| bad.iter().any(|(_, v, _)| f.get(4) == Some(v))), "{sets:?}");
    assert!(journal(&log, "add").is_empty() && journal(&log, "delete").is_empty());

    // Rows the plugin adds and drops on its side: new numbers, the others' numbers kept.
    let fe1 = "Device.Services.STBService.stb0.Components.FrontEnd.fe1.";
    plugin.command(&format!("addrow {fe1}IP.Inbound.{{i}}. in1"));
    plugin.command(&format!("set {fe1}IP.Inbound.in1.Name multicast 2"));
    plugin.command("delrow Device.Services.STBService.stb0.ServiceMonitoring.MainStream.ms0.EventLog.Entry.{i}. e1");
    std::thread::sleep(Duration::from_millis(200));
    acs.push(gpv(&[&format!("{FE}2.IP."), &format!("{MAIN}EventLog.")]), None);
    inform_now(&cfg);
    let later = values(&session(&acs, &d, 1), 0);
    assert_eq!(later[&format!("{FE}2.IP.InboundNumberOfEntries")], "2");
    assert_eq!(later[&format!("{FE}2.IP.Inbound.2.Name")], "multicast 2");
    assert_eq!(later[&format!("{FE}2.IP.Inbound.1.Name")], "multicast 1");
    assert_eq!(later[&format!("{MAIN}EventLog.EntryNumberOfEntries")], "1");
    assert_eq!(later[&format!("{entry}2.Type")], "Loss", "entry 2 keeps its number");
    assert!(!later.keys().any(|n| n.starts_with(&format!("{entry}1."))), "{later:?}");
}

#[test]
fn tr196_femto_tables_and_writes() {
    let dir = TempDir::new("svc-fap");
    let log = dir.path().join("fap.journal");
    let acs = acs();
    let plmn = "Device.Services.FAPService.1.CellConfig.LTE.EPC.PLMNList.";
    acs.push(gpn(FAP), None);
    acs.push(gpv(&[FAP]), None);
    let good = owned(&[
        (format!("{LTE}1.PhyCellID"), "203", ValueType::UnsignedInt),
        (format!("{LTE}2.QOffset"), "-6", ValueType::Int),
        (format!("{LTE}1.PLMNID"), "00102", ValueType::String),
        (format!("{LTE}2.Blocklisted"), "true", ValueType::Boolean),
        ("Device.Services.FAPService.1.DNPrefix".into(), "fap.test", ValueType::String),
        ("Device.Services.FAPService.1.FAPControl.LTE.AdminState".into(), "false", ValueType::Boolean),
    ]);
    let bad = owned(&[
        (format!("{LTE}1.PhyCellID"), "504", ValueType::UnsignedInt),
        (format!("{LTE}2.QOffset"), "-7", ValueType::Int),
        (format!("{LTE}1.PLMNID"), "0010203", ValueType::String),
        (format!("{LTE}2.Blocklisted"), "2", ValueType::Boolean),
        ("Device.Services.FAPService.1.FAPControl.LTE.AdminState".into(), "yes", ValueType::Boolean),
    ]);
    acs.push(spv(&good, "k1"), Some(Expect::Response("SetParameterValuesResponse".into())));
    acs.push(spv(&bad, "k2"), Some(Expect::Fault(9003)));
    acs.push(add(LTE, "k3"), Some(Expect::Response("AddObjectResponse".into())));
    let new_row = owned(&[
        (format!("{LTE}3.PhyCellID"), "300", ValueType::UnsignedInt),
        (format!("{LTE}3.Enable"), "true", ValueType::Boolean),
    ]);
    acs.push(spv(&new_row, "k4"), Some(Expect::Response("SetParameterValuesResponse".into())));
    acs.push(
        Body::DeleteObject { object_name: format!("{LTE}1."), parameter_key: "k5".into() },
        Some(Expect::Response("DeleteObjectResponse".into())),
    );
    // A read-only table of the model (what the radio scan saw) cannot grow.
    acs.push(add("Device.Services.FAPService.1.REM.LTE.Cell.", "k6"), Some(Expect::Fault(9005)));
    // PLMNList holds at most 6 rows (maxEntries): one is there, five more, then 9004.
    for k in 0..5 {
        acs.push(add(plmn, &format!("p{k}")), Some(Expect::Response("AddObjectResponse".into())));
    }
    acs.push(add(plmn, "p5"), Some(Expect::Fault(9004)));
    acs.push(gpv(&[LTE, "Device.Services.FAPService.1.CellConfig.LTE.EPC.", "Device.Services.FAPService.1."]), None);
    let (_cfg, d) = start(&acs, dir.path(), &[backend("fap", FAP, None, "fap", &log)]);
    let s = session(&acs, &d, 0);
    for e in &s.exchanges {
        assert!(e.check.is_ok(), "{:?}: {:?}\n{}", e.expect, e.answer, d.log_text());
    }
    read_whole_subtree(&s, "fap");
    let first = values(&s, 1);
    assert_eq!(first["Device.Services.FAPService.1.REM.LTE.Cell.1.BCCH.PLMNListNumberOfEntries"], "2");
    assert_eq!(first["Device.Services.FAPService.1.REM.LTE.Cell.1.BCCH.PLMNList.2.PLMNID"], "00102");
    let faults = set_faults(&s, 3);
    assert_eq!(faults.len(), bad.len(), "{faults:?}");
    assert!(faults.values().all(|c| *c == 9007), "{faults:?}");
    let Some(Body::AddObjectResponse { instance_number, .. }) = &s.exchanges[4].answer else { panic!() };
    assert_eq!(*instance_number, 3);
    let last = values(&s, s.exchanges.len() - 1);
    assert_eq!(last[&format!("{LTE}2.QOffset")], "-6");
    assert_eq!(last[&format!("{LTE}2.Blocklisted")], "true");
    assert_eq!(last[&format!("{LTE}3.PhyCellID")], "300");
    assert_eq!(last[&format!("{LTE}3.CIO")], "0", "a new row's values come from the plugin");
    assert!(!last.keys().any(|n| n.starts_with(&format!("{LTE}1."))), "row 1 deleted: {last:?}");
    assert_eq!(last["Device.Services.FAPService.1.CellConfig.LTE.RAN.NeighborList.LTECellNumberOfEntries"], "2");
    assert_eq!(last["Device.Services.FAPService.1.CellConfig.LTE.EPC.PLMNListNumberOfEntries"], "6");
    assert_eq!(last[&format!("{plmn}6.Enable")], "false");
    assert_eq!(last["Device.Services.FAPService.1.FAPControl.LTE.AdminState"], "false");
    // What reached the plugin: the valid writes only, six rows added, one deleted.
    let sets = journal(&log, "set");
    assert_eq!(sets.len(), good.len() + new_row.len(), "{sets:?}");
    assert!(!sets.iter().any(|f| bad.iter().any(|(_, v, _)| f.get(4) == Some(v))), "{sets:?}");
    assert_eq!(journal(&log, "add").len(), 6);
    assert_eq!(journal(&log, "delete").len(), 1);
}

#[test]
fn a_value_the_femto_plugin_pushes_gives_a_value_change_inform() {
    let dir = TempDir::new("svc-notify");
    let (socket, log) = (dir.path().join("fap.sock"), dir.path().join("fap.journal"));
    let mut plugin = SocketPlugin::start("fap", &socket, &log);
    let acs = acs();
    let name = "Device.Services.FAPService.1.REM.LTE.Cell.1.RF.RSRP";
    acs.push(
        Body::SetParameterAttributes {
            parameter_list: vec![SetParameterAttributesStruct {
                name: name.into(),
                notification_change: true,
                notification: Some(2),
                access_list_change: false,
                access_list: vec![],
            }],
        },
        Some(Expect::Response("SetParameterAttributesResponse".into())),
    );
    let (_cfg, d) = start(&acs, dir.path(), &[backend("fap", FAP, Some(&socket), "fap", &log)]);
    session(&acs, &d, 0);
    // The agent snapshots notified values as its session ends: change after that.
    let end = Instant::now() + WAIT;
    while !d.log_text().contains("session finished") {
        assert!(Instant::now() < end, "{}", d.log_text());
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(100));
    plugin.command("set Device.Services.FAPService.fap0.REM.LTE.Cell.c1.RF.RSRP -95");
    // notification_poll is 30 s: only the plugin's notice explains a session this soon.
    assert!(acs.wait_sessions(2, Duration::from_secs(10)), "no Inform for the pushed change\n{}", d.log_text());
    let s = &acs.sessions()[1];
    assert!(s.event_codes().contains(&"4 VALUE CHANGE".to_string()), "{:?}", s.event_codes());
    assert!(
        s.inform.parameter_list.iter().any(|p| p.name == name && p.value == "-95"),
        "{:?}",
        s.inform.parameter_list
    );
}

#[test]
fn a_crashed_plugin_faults_only_its_own_subtree() {
    let dir = TempDir::new("svc-crash");
    let p = |f: &str| dir.path().join(f);
    let stb = SocketPlugin::start("stb", &p("stb.sock"), &p("stb.journal"));
    let fap = SocketPlugin::start("fap", &p("fap.sock"), &p("fap.journal"));
    let acs = acs();
    acs.set_reply_delay(Duration::from_millis(400));
    let cell = format!("{LTE}1.PhyCellID");
    acs.push(gpv(&[&cell]), None);
    acs.push(gpv(&[&cell]), Some(Expect::Fault(9002)));
    acs.push(gpv(&[FAP]), Some(Expect::Fault(9002)));
    acs.push(gpv(&["Device.Services.STBService.1.Enable", "Device.DeviceInfo.SoftwareVersion"]), None);
    acs.push(gpv(&["Device.Services."]), None);
    let (_cfg, mut d) = start(
        &acs,
        dir.path(),
        &[
            backend("stb", STB, Some(&p("stb.sock")), "stb", &p("stb.journal")),
            backend("fap", FAP, Some(&p("fap.sock")), "fap", &p("fap.journal")),
        ],
    );
    assert!(
        acs.wait_until(WAIT, |s| s.first().is_some_and(|s| s.exchanges.first().is_some_and(|e| e.answer.is_some())))
    );
    drop(fap);
    let s = session(&acs, &d, 0);
    assert_eq!(values(&s, 0)[&cell], "101");
    assert_eq!((fault(&s, 1), fault(&s, 2)), (9002, 9002), "{}", d.log_text());
    let others = values(&s, 3);
    assert_eq!(others["Device.Services.STBService.1.Enable"], "true");
    assert_eq!(others["Device.DeviceInfo.SoftwareVersion"], "1.0-test");
    let services = values(&s, 4);
    assert_eq!(services.get(&format!("{FE}1.Name")).map(String::as_str), Some("DVB-T tuner"));
    assert!(!services.keys().any(|n| n.starts_with("Device.Services.FAPService.1.")), "{services:?}");
    assert!(d.child.try_wait().unwrap().is_none(), "the agent stays up");
    drop(stb);
    d.terminate();
}
