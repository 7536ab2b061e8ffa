//! The services domain of the OpenWrt backend, compiled with the cargo feature `services`
//! (issue 16; optional packages): the tables served by code rather than map lines, for the
//! backend's hooks in one place: the MQTT bridges' servers and subscriptions (mosquitto,
//! [`super::mqtt`]), TR-181 Device:2.19 `Device.UserInterface.HTTPAccess.{i}.` (uhttpd,
//! [`super::uhttpd`]) and `Device.DNS.SD.Service.{i}.` (umdns, [`super::mdns`]). Their map
//! lines (Syslog from logd, MQTT brokers and bridges, DNS.SD with the `procd` status codec)
//! are `platform/openwrt/tr181-uci-services.map`, their objects
//! `datamodel/build-objects-services.list`.

use super::{mdns, mqtt, uhttpd, UciBackend};
use crate::hal::{Location, Result, Value};

/// Whether one of the domain's code-served tables is `object`.
pub fn serves(object: &str) -> bool {
    mqtt::serves(object) || object == uhttpd::HTTP_ACCESS || mdns::serves(object)
}

/// The parameters of a code-served table of the domain (`None`: not one of them).
pub fn parameters(object: &str) -> Option<&'static [&'static str]> {
    if mqtt::serves(object) {
        Some(mqtt::parameters(object))
    } else if object == uhttpd::HTTP_ACCESS {
        Some(&uhttpd::PARAMS)
    } else if mdns::serves(object) {
        Some(mdns::parameters(object))
    } else {
        None
    }
}

impl UciBackend {
    /// The rows of a code-served table of the domain (`None`: not one of them).
    pub(super) fn services_instances(&self, at: &Location) -> Option<Result<Vec<String>>> {
        if mqtt::serves(at.object) {
            Some(self.mqtt_rows(at))
        } else if at.object == uhttpd::HTTP_ACCESS {
            Some(self.http_access_rows())
        } else if mdns::serves(at.object) {
            Some(self.mdns_rows(at))
        } else {
            None
        }
    }

    /// A value of a code-served table of the domain (`None`: not one of them).
    pub(super) fn services_get(&self, at: &Location, param: &str) -> Option<Result<Option<Value>>> {
        if mqtt::serves(at.object) {
            Some(self.mqtt_get(at, param))
        } else if at.object == uhttpd::HTTP_ACCESS {
            Some(self.http_access_get(at, param))
        } else if mdns::serves(at.object) {
            Some(self.mdns_get(at, param))
        } else {
            None
        }
    }
}
