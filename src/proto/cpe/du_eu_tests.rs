//! The execution-unit rules with a manual clock: a container DU gets one EU with a stable
//! instance number and a ref in its result; RequestedState changes run as jobs one at a
//! time, never during a DU step and never before the unit's state was observed; the status
//! transitions and faults; AutoStart at boot; Uninstall removes the unit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::super::du::{EuStatus, ExecEnvInfo, OpPhase, Package};
use super::super::{Action, Cpe, Durable, Settings};
use crate::clock::{Instant, Now};
use crate::proto::rpc::{Body, OperationStruct};
use core::cmp::Ordering;

fn now() -> Now {
    Now { instant: Instant(0), unix: Some(1_700_000_000) }
}

fn brain(durable: Durable, boot: bool) -> Cpe {
    let mut cpe = Cpe::new(durable, Settings::default(), boot, now());
    cpe.set_exec_envs(vec![
        ExecEnvInfo { name: "dpkg".into(), enabled: true, containers: false },
        ExecEnvInfo { name: "crun".into(), enabled: true, containers: true },
    ]);
    cpe.eu_started(boot);
    cpe
}

/// The durable part as a restart reads it back from the state file.
fn restarted(cpe: &Cpe, boot: bool) -> Cpe {
    let mut d = cpe.durable().clone();
    d.du = super::super::du_record::decode(&super::super::du_record::encode(&d.du)).unwrap();
    brain(d, boot)
}

fn actions(cpe: &mut Cpe) -> Vec<Action> {
    std::iter::from_fn(|| cpe.poll_action()).filter(|a| *a != Action::Persist).collect()
}

fn install(env: &str) -> OperationStruct {
    OperationStruct::Install {
        url: "http://h/app.tar".into(),
        uuid: None,
        username: None,
        password: None,
        execution_env_ref: Some(env.into()),
    }
}

/// Installs `name` into ExecEnv `env`; returns the result's ExecutionUnitRefList.
fn installed(cpe: &mut Cpe, key: &str, name: &str, env: &str) -> String {
    let body = Body::ChangeDUState { operations: vec![install(env)], command_key: key.into() };
    cpe.handle_du_request(now(), &body).unwrap().unwrap();
    let Some(Action::FetchDu { job, op }) = actions(cpe).pop() else { panic!("no fetch") };
    let p = Package { name: name.into(), version: "1".into(), vendor: "v".into() };
    cpe.handle_du_fetched(now(), job, op, Ok((p, Ordering::Greater)));
    assert_eq!(actions(cpe), vec![Action::ApplyDu { job, op }]);
    cpe.handle_du_applied(now(), job, op, Ok(()));
    let done = cpe.du_completes().pop().unwrap();
    let Body::DUStateChangeComplete { results, .. } = &done else { panic!() };
    let refs = results[0].execution_unit_ref_list.clone();
    cpe.handle_acknowledged(now(), &done);
    refs
}

#[test]
fn a_container_du_gets_one_execution_unit_and_packages_none() {
    let mut cpe = brain(Durable::default(), false);
    assert_eq!(installed(&mut cpe, "a", "pkg", "Device.SoftwareModules.ExecEnv.1"), "");
    assert!(cpe.execution_units().is_empty());
    let refs = installed(&mut cpe, "b", "app", "Device.SoftwareModules.ExecEnv.2");
    assert_eq!(refs, "Device.SoftwareModules.ExecutionUnit.1");
    let eu = &cpe.execution_units()[0];
    assert_eq!((eu.instance, eu.du, eu.name.as_str(), eu.status, eu.requested), (1, 2, "app", EuStatus::Idle, false));
    assert!(actions(&mut cpe).is_empty(), "an installed unit stays Idle");
    // Instance numbers survive a restart and are never reused.
    let again = restarted(&cpe, false);
    assert_eq!(again.execution_units()[0].instance, 1);
    assert_eq!(again.durable().du.last_eu, 1);
}

#[test]
fn requested_state_runs_as_jobs_with_the_status_transitions() {
    let mut cpe = brain(Durable::default(), false);
    installed(&mut cpe, "b", "app", "Device.SoftwareModules.ExecEnv.2");
    cpe.handle_eu_written(now(), 1, Some(true), None);
    assert_eq!(actions(&mut cpe), vec![Action::RunEu { instance: 1, active: true }]);
    assert_eq!(cpe.execution_units()[0].status, EuStatus::Starting);
    // Written again while starting: nothing more runs.
    cpe.handle_eu_written(now(), 1, Some(true), None);
    assert!(actions(&mut cpe).is_empty());
    cpe.handle_eu_done(now(), 1, true, Ok(()));
    assert_eq!(cpe.execution_units()[0].status, EuStatus::Active);
    assert!(actions(&mut cpe).is_empty());
    cpe.handle_eu_written(now(), 1, Some(false), None);
    assert_eq!(actions(&mut cpe), vec![Action::RunEu { instance: 1, active: false }]);
    assert_eq!(cpe.execution_units()[0].status, EuStatus::Stopping);
    cpe.handle_eu_done(now(), 1, false, Ok(()));
    assert_eq!(cpe.execution_units()[0].status, EuStatus::Idle);
    // A failed start: Idle with FailureOnStart, not retried until requested again.
    cpe.handle_eu_written(now(), 1, Some(true), None);
    actions(&mut cpe);
    cpe.handle_eu_done(now(), 1, true, Err("no such file".into()));
    let eu = &cpe.execution_units()[0];
    assert_eq!(
        (eu.status, eu.fault_code.as_str(), eu.fault_message.as_str()),
        (EuStatus::Idle, "FailureOnStart", "no such file")
    );
    assert!(actions(&mut cpe).is_empty());
    cpe.handle_eu_written(now(), 1, Some(true), None);
    assert_eq!(cpe.execution_units()[0].fault_code, "");
    assert_eq!(actions(&mut cpe), vec![Action::RunEu { instance: 1, active: true }]);
}

#[test]
fn nothing_runs_before_the_state_is_observed_nor_during_a_du_step() {
    let mut cpe = brain(Durable::default(), false);
    installed(&mut cpe, "b", "app", "Device.SoftwareModules.ExecEnv.2");
    cpe.handle_eu_written(now(), 1, Some(true), None);
    let mut restarted = restarted(&cpe, false);
    assert!(restarted.execution_units()[0].requested, "RequestedState is durable");
    assert!(actions(&mut restarted).is_empty(), "not observed yet");
    restarted.handle_eu_observed(now(), 1, true);
    assert!(actions(&mut restarted).is_empty(), "already running");
    assert_eq!(restarted.execution_units()[0].status, EuStatus::Active);
    // A DU job holds the slot: the stop waits for it.
    restarted.handle_eu_written(now(), 1, Some(false), None);
    let body =
        Body::ChangeDUState { operations: vec![install("Device.SoftwareModules.ExecEnv.1")], command_key: "c".into() };
    restarted.handle_du_request(now(), &body).unwrap().unwrap();
    let a = actions(&mut restarted);
    assert!(matches!(a.as_slice(), [Action::FetchDu { .. }]), "{a:?}");
    restarted.handle_du_fetched(now(), 1, 0, Err(super::super::du::du_fault(crate::proto::fault::FaultCode(9016), "")));
    assert_eq!(restarted.du_op(1, 0).unwrap().phase, OpPhase::Done);
    assert_eq!(actions(&mut restarted), vec![Action::RunEu { instance: 1, active: false }]);
    // A container that exits on its own while Active is requested: FailureWhileActive.
    restarted.handle_eu_done(now(), 1, false, Err("busy".into()));
    assert_eq!(restarted.execution_units()[0].status, EuStatus::Active);
    assert_eq!(restarted.execution_units()[0].fault_code, "FailureOnStop");
    restarted.handle_eu_written(now(), 1, Some(true), None);
    restarted.handle_eu_observed(now(), 1, false);
    assert_eq!(restarted.execution_units()[0].fault_code, "FailureWhileActive");
    assert!(actions(&mut restarted).is_empty(), "not restarted behind the ACS's back");
}

#[test]
fn auto_start_decides_at_boot_and_uninstall_removes_the_unit() {
    let mut cpe = brain(Durable::default(), false);
    installed(&mut cpe, "b", "app", "Device.SoftwareModules.ExecEnv.2");
    installed(&mut cpe, "c", "other", "Device.SoftwareModules.ExecEnv.2");
    cpe.handle_eu_written(now(), 1, None, Some(true));
    cpe.handle_eu_written(now(), 2, Some(true), None);
    let booted = restarted(&cpe, true);
    let req: Vec<bool> = booted.execution_units().iter().map(|e| e.requested).collect();
    assert_eq!(req, vec![true, false], "after a boot: AutoStart decides");
    let uuid = cpe.deployment_units()[0].uuid.clone();
    let op = OperationStruct::Uninstall { uuid, version: None, execution_env_ref: None };
    cpe.handle_du_request(now(), &Body::ChangeDUState { operations: vec![op], command_key: "u".into() })
        .unwrap()
        .unwrap();
    let Some(Action::ApplyDu { job, op }) = actions(&mut cpe).pop() else { panic!() };
    cpe.handle_du_applied(now(), job, op, Ok(()));
    let names: Vec<&str> = cpe.execution_units().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, vec!["other"]);
    assert_eq!(cpe.execution_units()[0].instance, 2);
}

#[test]
fn a_container_du_removed_outside_the_acs_takes_its_unit_along() {
    let mut cpe = brain(Durable::default(), false);
    installed(&mut cpe, "b", "app", "Device.SoftwareModules.ExecEnv.2");
    let du = cpe.deployment_units()[0].instance;
    let g = cpe.du_generation();
    let gone = cpe.handle_du_observed(now(), g, 2, &[(du, None)]);
    assert_eq!(gone.len(), 1);
    assert!(cpe.deployment_units().is_empty() && cpe.execution_units().is_empty());
}

/// Runs an Update of unit `uuid` to version `v` whose apply finds the services `units`.
fn updated(cpe: &mut Cpe, uuid: &str, name: &str, v: &str, units: &[&str]) -> String {
    let op =
        OperationStruct::Update { uuid: Some(uuid.into()), version: None, url: None, username: None, password: None };
    let body = Body::ChangeDUState { operations: vec![op], command_key: format!("u{v}") };
    cpe.handle_du_request(now(), &body).unwrap().unwrap();
    let Some(Action::FetchDu { job, op }) = actions(cpe).pop() else { panic!("no fetch") };
    let p = Package { name: name.into(), version: v.into(), vendor: "v".into() };
    cpe.handle_du_fetched(now(), job, op, Ok((p, Ordering::Greater)));
    assert_eq!(actions(cpe), vec![Action::ApplyDu { job, op }]);
    cpe.handle_du_units(job, op, units.iter().map(|u| u.to_string()).collect());
    cpe.handle_du_applied(now(), job, op, Ok(()));
    let done = cpe.du_completes().pop().unwrap();
    let Body::DUStateChangeComplete { results, .. } = &done else { panic!() };
    let refs = results[0].execution_unit_ref_list.clone();
    cpe.handle_acknowledged(now(), &done);
    refs
}

#[test]
fn a_package_du_has_one_execution_unit_per_service_the_shell_found() {
    let mut cpe = brain(Durable::default(), false);
    let body =
        Body::ChangeDUState { operations: vec![install("Device.SoftwareModules.ExecEnv.1")], command_key: "i".into() };
    cpe.handle_du_request(now(), &body).unwrap().unwrap();
    let Some(Action::FetchDu { job, op }) = actions(&mut cpe).pop() else { panic!("no fetch") };
    let p = Package { name: "pkg".into(), version: "1".into(), vendor: "v".into() };
    cpe.handle_du_fetched(now(), job, op, Ok((p, Ordering::Greater)));
    actions(&mut cpe);
    // Names told for another operation are not taken.
    cpe.handle_du_units(job + 7, op, vec!["stale".into()]);
    cpe.handle_du_units(job, op, vec!["svc".into(), "web".into()]);
    cpe.handle_du_applied(now(), job, op, Ok(()));
    let done = cpe.du_completes().pop().unwrap();
    let Body::DUStateChangeComplete { results, .. } = &done else { panic!() };
    assert_eq!(
        results[0].execution_unit_ref_list,
        "Device.SoftwareModules.ExecutionUnit.1,Device.SoftwareModules.ExecutionUnit.2"
    );
    cpe.handle_acknowledged(now(), &done);
    let uuid = cpe.deployment_units()[0].uuid.clone();
    let names = |cpe: &Cpe| cpe.execution_units().iter().map(|e| (e.instance, e.name.clone())).collect::<Vec<_>>();
    assert_eq!(names(&cpe), vec![(1, "svc".to_string()), (2, "web".to_string())]);
    // An Update keeps the services still there (same instance), drops those gone, adds new.
    let refs = updated(&mut cpe, &uuid, "pkg", "2", &["web", "cron"]);
    assert_eq!(names(&cpe), vec![(2, "web".to_string()), (3, "cron".to_string())]);
    assert_eq!(refs, "Device.SoftwareModules.ExecutionUnit.2,Device.SoftwareModules.ExecutionUnit.3");
    // RequestedState drives a service like a container: after the observation, a RunEu.
    cpe.handle_eu_observed(now(), 2, false);
    cpe.handle_eu_written(now(), 2, Some(true), None);
    assert_eq!(actions(&mut cpe), vec![Action::RunEu { instance: 2, active: true }]);
}
