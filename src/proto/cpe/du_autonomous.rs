//! DU changes made outside the ACS (TR-069 Amd 6 A.4.2.5 AutonomousDUStateChangeComplete;
//! TR-181 ManagementServer.DUStateChangeComplPolicy): the shell reports what the ExecEnvs
//! have installed of the known deployment units; a unit gone is an autonomous Uninstall, a
//! unit at another version an autonomous Update. The inventory follows; the results the
//! policy wants (checked by the shell, as for AutonomousTransferComplete) are owed with
//! `12 AUTONOMOUS DU STATE CHANGE COMPLETE` until the ACS acknowledges them.
//!
//! Packages installed outside the ACS that are not known units are not reported: on a
//! router the whole base system would be.

use super::du::DU_PATH;
use super::Cpe;
use crate::clock::Now;
use crate::proto::event::EventCode;
use crate::proto::rpc::{Body, FaultStruct, OpResultStruct};

/// Autonomous results held at most (older ones are dropped).
pub const MAX_AUTONOMOUS: usize = 32;

impl Cpe {
    /// The observation generation: pass it back with [`Cpe::handle_du_observed`].
    pub fn du_generation(&self) -> u64 {
        self.du.generation
    }

    /// What ExecEnv `env` has installed of its units, taken at `generation`: `(instance,
    /// installed version)`. Ignored while a DU job is held or when an operation finished
    /// since (the observation may predate it). Returns the changes found, already applied
    /// to the inventory.
    pub fn handle_du_observed(
        &mut self,
        now: Now,
        generation: u64,
        env: u32,
        seen: &[(u32, Option<String>)],
    ) -> Vec<OpResultStruct> {
        self.now = now;
        let d = &mut self.durable.du;
        if generation != self.du.generation || self.du.busy || d.next_op().is_some() {
            return Vec::new();
        }
        let time = now.date_time();
        let mut out = Vec::new();
        for (instance, version) in seen {
            let Some(pos) = d.units.iter().position(|u| u.instance == *instance && u.exec_env == env) else { continue };
            let Some(u) = d.units.get_mut(pos) else { continue };
            let (op, state) = match version {
                None => ("Uninstall", "Uninstalled"),
                Some(v) if *v != u.version => {
                    u.version = v.clone();
                    ("Update", "Installed")
                }
                Some(_) => continue,
            };
            out.push(OpResultStruct {
                uuid: u.uuid.clone(),
                deployment_unit_ref: if version.is_some() { format!("{DU_PATH}{instance}") } else { String::new() },
                version: version.clone().unwrap_or_else(|| u.version.clone()),
                current_state: state.into(),
                resolved: true,
                execution_unit_ref_list: String::new(),
                start_time: crate::clock::UNKNOWN_TIME.into(),
                complete_time: time.clone(),
                fault: FaultStruct::default(),
                operation_performed: Some(op.into()),
            });
            if version.is_none() {
                d.units.remove(pos);
                // Its execution units went with it.
                d.eus.retain(|e| e.du != *instance);
            }
        }
        if !out.is_empty() {
            log::info!("{} deployment unit change(s) made outside the ACS", out.len());
            self.dirty = true;
        }
        out
    }

    /// Autonomous changes the policy wants reported.
    pub fn handle_du_autonomous(&mut self, now: Now, results: Vec<OpResultStruct>) {
        self.now = now;
        if results.is_empty() {
            return;
        }
        let a = &mut self.durable.du.autonomous;
        a.extend(results);
        let excess = a.len().saturating_sub(MAX_AUTONOMOUS);
        a.drain(..excess);
        self.durable.events.add(EventCode::AutonomousDuStateChangeComplete, String::new());
        self.new_event();
    }

    /// The AutonomousDUStateChangeComplete owed, if any.
    pub(super) fn du_autonomous_request(&self) -> Option<Body> {
        let a = &self.durable.du.autonomous;
        (!a.is_empty()).then(|| Body::AutonomousDUStateChangeComplete { results: a.clone() })
    }

    /// The ACS acknowledged the AutonomousDUStateChangeComplete carrying `results`.
    pub(super) fn du_autonomous_acknowledged(&mut self, results: &[OpResultStruct]) {
        self.durable.du.autonomous.retain(|r| !results.contains(r));
        if self.durable.du.autonomous.is_empty() {
            self.durable.events.remove(&EventCode::AutonomousDuStateChangeComplete);
        }
        self.dirty = true;
    }
}
