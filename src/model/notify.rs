//! Value-change detection for parameters with a non-zero Notification attribute (TR-069
//! Amd 6 A.3.2.4 notification values, 3.7.1.5 event "4 VALUE CHANGE"): the model keeps a
//! snapshot of their values; changes since the snapshot are reported once (rows named by
//! `[alias]` when InstanceMode is InstanceAlias). The agent takes a
//! new snapshot after each session, so the ACS's own changes are not reported back.

use super::walk::Target;
use super::Model;
use crate::proto::rpc::ParameterValueStruct;

/// Notification values that ask for a session now (active, active lightweight, both).
pub fn is_active(notification: u8) -> bool {
    matches!(notification, 2 | 5 | 6)
}

impl Model {
    /// Current values of every parameter whose Notification is not 0, with it.
    fn notified(&self) -> Vec<(ParameterValueStruct, u8)> {
        let mut out = Vec::new();
        // Parameters notified by default (forceEnabled, forceDefaultEnabled) outside tables.
        for &(obj, param) in &self.tree.notified_by_default {
            let Some(spec) = self.tree.object(obj).and_then(|o| o.params.get(param)) else { continue };
            let Some(p) = self.fixed_value(obj, param) else { continue };
            let n = self.notification(&p.name, spec);
            if n != 0 && !self.attributes.contains_key(&p.name) {
                out.push((p, n));
            }
        }
        for (name, (n, _)) in self.attributes.iter().filter(|(_, a)| a.0 != 0) {
            if let Ok(Target::Param(place, i)) = self.resolve(name) {
                if let Some(spec) = self.tree.object(place.obj).and_then(|o| o.params.get(i)) {
                    if let Some((value, _)) = self.value(&place, spec) {
                        out.push((super::read::value_struct(&place, spec, value.into_string()), *n));
                    }
                }
            }
        }
        out
    }

    /// Parameters whose value changed since the last snapshot (then snapshotted).
    pub fn take_value_changes(&mut self) -> Vec<(ParameterValueStruct, u8)> {
        let mut changed = Vec::new();
        for (p, n) in self.notified() {
            if self.notify_snapshot.get(&p.name) != Some(&p.value) {
                let known = self.notify_snapshot.insert(p.name.clone(), p.value.clone()).is_some();
                // A parameter just made notified is not a change.
                if known {
                    changed.push((p, n));
                }
            }
        }
        // InstanceMode InstanceAlias: the Inform names rows by `[alias]` too (Amd 6 3.6.1);
        // the snapshot keeps instance numbers, which do not change with an Alias.
        if self.instance_alias_mode {
            let mut aliases = super::addressing::AliasCache::default();
            for (p, _) in &mut changed {
                p.name = self.addressed_name(&p.name, &mut aliases);
            }
        }
        changed
    }

    /// Takes a new snapshot without reporting anything (start, after each session).
    pub fn resync_notifications(&mut self) {
        self.notify_snapshot = self.notified().into_iter().map(|(p, _)| (p.name, p.value)).collect();
    }
}
