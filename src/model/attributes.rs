//! SetParameterAttributes on the engine (TR-069 Amd 6 A.3.2.4; requirements section 11):
//! partial paths apply to every parameter below, and names with instance wildcards to every
//! row they match (3.6.1); NotificationChange and AccessListChange
//! are independent; an empty Notification element is accepted when NotificationChange is
//! false; active notification on a canDeny parameter is refused with 9009, and so is
//! turning off a forceEnabled one. Lightweight notification (values 3 to 6, Annex M) is
//! refused with 9009 too: this build sends no UDP Lightweight Notifications, and accepting
//! them would promise what never comes. All-or-nothing; attributes persist in the state.

use super::walk::Item;
use super::Model;
use super::ModelState;
use crate::proto::fault::FaultCode;
use crate::proto::name::Name;
use crate::proto::rpc::{Fault, SetParameterAttributesStruct};
use crate::schema::Notify;

/// The only AccessList entity TR-069 Amd 6 A.3.2.4 defines.
const SUBSCRIBER: &str = "Subscriber";

/// One parameter's new (Notification, AccessList), `None` where unchanged.
type AttributeChange = (String, u8, Option<u8>, Option<Vec<String>>);

impl Model {
    /// Sets the AccessList of parameters the ACS gave none: `Subscriber` when local writes
    /// are allowed by default (`agent.subscriber_access`), empty when only the ACS may write.
    pub fn set_default_access(&mut self, subscriber: bool) {
        self.default_access = if subscriber { vec![SUBSCRIBER.to_string()] } else { Vec::new() };
    }

    /// The AccessList of the parameter `name` (a full name).
    pub fn access_list(&self, name: &str) -> &[String] {
        self.attributes.get(name).map(|a| a.1.as_slice()).unwrap_or(&self.default_access)
    }

    /// Whether a local writer (`cwmpd set`, the Subscriber of TR-069 A.3.2.4) may change
    /// the parameter `name`: its AccessList must include `Subscriber`.
    pub fn subscriber_may_write(&self, name: &str) -> bool {
        self.access_list(name).iter().any(|a| a == SUBSCRIBER)
    }

    pub fn set_parameter_attributes(
        &mut self,
        list: &[SetParameterAttributesStruct],
        state: &mut ModelState,
    ) -> Result<(), Fault> {
        let mut changes: Vec<AttributeChange> = Vec::new();
        for s in list {
            let notification = if s.notification_change {
                Some(s.notification.ok_or_else(|| Fault::new(FaultCode::INVALID_ARGUMENTS))?)
            } else {
                None
            };
            if s.access_list_change && s.access_list.iter().any(|a| a != SUBSCRIBER) {
                return Err(Fault::new(FaultCode::INVALID_PARAMETER_VALUE));
            }
            let access = s.access_list_change.then(|| s.access_list.clone());
            let targets = self.resolve_all(&Name::new(s.name.as_str()))?;
            if notification.is_some_and(|n| (3..=6).contains(&n)) {
                log::info!("SetParameterAttributes {}: lightweight notification refused (9009)", s.name);
                return Err(Fault::new(FaultCode::NOTIFICATION_REQUEST_REJECTED));
            }
            let mut refused = false;
            for target in &targets {
                self.walk_target(target, &mut |item| {
                    let Item::Param { place, spec, .. } = item else { return };
                    if let Some(n) = notification {
                        let active = super::notify::is_active(n);
                        refused |= (active && spec.notify == Notify::CanDeny)
                            || (n != 2 && spec.notify == Notify::ForceEnabled);
                    }
                    let name = format!("{}{}", place.name, spec.name);
                    let current = self.notification(&name, spec);
                    changes.push((name, current, notification, access.clone()));
                });
            }
            if refused {
                log::info!("SetParameterAttributes {}: notification refused (9009)", s.name);
                return Err(Fault::new(FaultCode::NOTIFICATION_REQUEST_REJECTED));
            }
        }
        for (name, current, n, access) in changes {
            let entry = self.attributes.entry(name.clone()).or_insert_with(|| (current, self.default_access.clone()));
            if let Some(n) = n {
                entry.0 = n;
            }
            if let Some(a) = access {
                entry.1 = a;
            }
            state.attributes.insert(name, entry.clone());
        }
        Ok(())
    }
}
