//! `Device.Ethernet.LAG.{i}.LowerLayers` (TR-181 Device:2.19) of a proto-bonding interface
//! (the rest of the row is map lines): its `slaves` option, netdev names separated by
//! blanks as bonding.sh reads them, each the `Ethernet.Interface.{i}.` row of that netdev
//! (the Linux backend's, keyed by name; the engine drops a netdev that is no such row).
//! Read-only: the members are written as the interface's configuration, not here.

use super::doc::Section;
use crate::hal::{Reference, Value};

pub const LAG: &str = "Device.Ethernet.LAG.{i}.";
const ETH_INTERFACE: &str = "Device.Ethernet.Interface.{i}.";

/// Whether `(object, param)` is answered here rather than by the mapping.
pub fn handles(object: &str, param: &str) -> bool {
    object == LAG && param == "LowerLayers"
}

/// The LowerLayers of a bonding interface section.
pub fn lower_layers(section: &Section) -> Value {
    let slaves = section.list("slaves");
    let mut refs: Vec<Reference> = Vec::new();
    for dev in slaves.iter().flat_map(|s| s.split_whitespace()) {
        let r = Reference::Row { table: ETH_INTERFACE.to_string(), key: dev.to_string(), dot: false };
        if !refs.contains(&r) {
            refs.push(r);
        }
    }
    Value::Refs(refs)
}
