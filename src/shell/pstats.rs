//! Periodic statistics in the shell (TR-181 2.19 `Device.PeriodicStatistics.`): each turn
//! the store's next due time goes to the brain; when the brain asks
//! ([`Action::SamplePeriodicStatistics`]), the referenced parameters are read from the model
//! on the loop (one engine read each, as the notification checks read; at most
//! [`crate::proto::pstats::MAX_PARAMETERS`]) and handed to the rules
//! ([`crate::proto::pstats::Store::sample`]). A set whose Status triggered (FetchSamples)
//! is reported as the value change `SampleSet.{i}.Status` = `Trigger` through the brain's
//! notification path when the ACS asked for a notification of that parameter (active: a
//! session now, as with any active notification).
//!
//! [`Action::SamplePeriodicStatistics`]: crate::proto::cpe::Action::SamplePeriodicStatistics

use super::Shell;
use crate::proto::name::Name;
use crate::proto::rpc::{ParameterValueStruct, ValueType};
use std::collections::BTreeMap;
use std::sync::PoisonError;

/// The concrete sample set table (instance numbers are kept under it).
const SET_TABLE: &str = "Device.PeriodicStatistics.SampleSet.";

impl Shell {
    /// The store's next due time to the brain (each turn: the ACS may have changed a set).
    pub(super) fn pstats_due(&mut self) {
        let due = self.pstats.lock().unwrap_or_else(PoisonError::into_inner).next_due();
        self.cpe.set_periodic_statistics_due(due);
    }

    /// Takes the readings due now and reports the sets that triggered.
    pub(super) fn sample_periodic_statistics(&mut self) {
        let now = self.now();
        // The store is not held while the model reads (a reference may name one of its
        // own parameters, which its backend serves from the same store).
        let wanted = self.pstats.lock().unwrap_or_else(PoisonError::into_inner).wanted(now);
        let mut values = BTreeMap::new();
        for reference in wanted {
            let read = self.model.get_parameter_values(&[Name::new(reference.as_str())]);
            if let Some(p) = read.ok().and_then(|v| v.into_iter().next()) {
                values.insert(reference, p.value);
            }
        }
        let triggered =
            self.pstats.lock().unwrap_or_else(PoisonError::into_inner).sample(now, &|r| values.get(r).cloned());
        let mut changes = Vec::new();
        for key in triggered {
            let Some(n) = self.model.number_of_key(SET_TABLE, &key) else { continue };
            let name = format!("{SET_TABLE}{n}.Status");
            let attrs = self.model.get_parameter_attributes(&[Name::new(name.as_str())]);
            let notification = attrs.ok().and_then(|a| a.first().map(|a| a.notification)).unwrap_or(0);
            log::info!("{name}: Trigger (notification {notification})");
            if notification != 0 {
                let value = ParameterValueStruct { name, value: "Trigger".into(), value_type: Some(ValueType::String) };
                changes.push((value, notification));
            }
        }
        if !changes.is_empty() {
            self.cpe.handle_value_changes(now, changes);
        }
        self.pstats_due();
    }
}
