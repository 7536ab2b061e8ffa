//! The backend hooks of the rows behind the `lan-extra` feature (issue 16): the DHCPv4 and
//! DHCPv6 pools' `Option.{i}.` ([`super::poolopt`], [`super::pool6opt`]) and the bridges'
//! `VLANPort.{i}.` ([`super::vlanport`]). One call from each `hal::Backend` method of
//! [`UciBackend`]; without the feature every hook answers "not mine".

use super::UciBackend;
#[cfg(feature = "lan-extra")]
use super::{pool6opt, poolopt, vlanport};
use crate::hal::{Location, Result, Value};

/// The objects served here and their parameters.
pub fn parameters(object: &str) -> Option<&'static [&'static str]> {
    #[cfg(feature = "lan-extra")]
    match object {
        poolopt::OPTION => return Some(&poolopt::PARAMS),
        pool6opt::OPTION => return Some(&pool6opt::PARAMS),
        vlanport::VLAN_PORT => return Some(&vlanport::PARAMS),
        _ => {}
    }
    let _ = object;
    None
}

/// Whether `param` of `at` is writable, for an object served here.
pub fn writable(at: &Location, param: &str) -> Option<bool> {
    parameters(at.object)?;
    Some(match param {
        "Value" => !at.object.contains("VLANPort"),
        "Enable" => at.object.starts_with("Device.DHCPv4."),
        "Untagged" => true,
        _ => false,
    })
}

impl UciBackend {
    pub(super) fn lan3_instances(&self, at: &Location) -> Option<Result<Vec<String>>> {
        #[cfg(feature = "lan-extra")]
        match at.object {
            poolopt::OPTION => return Some(self.pool_option_rows(at)),
            pool6opt::OPTION => return Some(self.pool6_option_rows(at)),
            vlanport::VLAN_PORT => return Some(self.vlan_port_rows(at)),
            _ => {}
        }
        let _ = at;
        None
    }

    pub(super) fn lan3_get(&self, at: &Location, param: &str) -> Option<Result<Option<Value>>> {
        #[cfg(feature = "lan-extra")]
        match at.object {
            poolopt::OPTION => return Some(self.pool_option_get(at, param)),
            pool6opt::OPTION => return Some(self.pool6_option_get(at, param)),
            vlanport::VLAN_PORT => return Some(self.vlan_port_get(at, param)),
            _ => {}
        }
        let _ = (at, param);
        None
    }

    pub(super) fn lan3_set(&mut self, at: &Location, param: &str, value: &Value) -> Option<Result<()>> {
        #[cfg(feature = "lan-extra")]
        match at.object {
            poolopt::OPTION => return Some(self.pool_option_set(at, param, value)),
            pool6opt::OPTION => return Some(self.pool6_option_set(at, param, value)),
            vlanport::VLAN_PORT => return Some(self.vlan_port_set(at, param, value)),
            _ => {}
        }
        let _ = (at, param, value);
        None
    }
}
