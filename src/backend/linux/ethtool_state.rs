//! Energy-Efficient Ethernet and MDI-X of an Ethernet device over the ethtool
//! generic-netlink API (Linux `Documentation/networking/ethtool-netlink.rst`, EEE_GET and
//! LINKINFO_GET): TR-181 Device:2.19 Ethernet.Interface.{i}. EEECapability, EEEEnable,
//! EEEStatus (IEEE 802.3az), MDIX and CurrentMDIX. Read-only.
//!
//! Sans-IO builders and parsers; [`eee`] and [`link_info`] run them over the socket module.
//! A driver without EEE answers EOPNOTSUPP: EEECapability false, EEEStatus Unsupported.
//! (The errno arrives through `socket::generic_or_errno`.)

use super::ethtool::{attr, family_id, family_request, request, ETHTOOL_A_HEADER_DEV_NAME, IFNAMSIZ, NESTED};
use super::netlink::attributes;
use super::socket;

const ETHTOOL_MSG_LINKINFO_GET: u8 = 2;
const ETHTOOL_MSG_EEE_GET: u8 = 23;
/// `ETHTOOL_A_*_HEADER` (1 in every message), its `FLAGS` and `ETHTOOL_FLAG_COMPACT_BITSETS`.
const A_HEADER: u16 = 1;
const ETHTOOL_A_HEADER_FLAGS: u16 = 3;
const ETHTOOL_FLAG_COMPACT_BITSETS: u32 = 1;
const ETHTOOL_A_LINKINFO_TP_MDIX: u16 = 4;
const ETHTOOL_A_LINKINFO_TP_MDIX_CTRL: u16 = 5;
const ETHTOOL_A_EEE_MODES_OURS: u16 = 2;
const ETHTOOL_A_EEE_ACTIVE: u16 = 4;
const ETHTOOL_A_EEE_ENABLED: u16 = 5;
/// `ETHTOOL_A_BITSET_MASK` of a compact bitset: the modes the device supports.
const ETHTOOL_A_BITSET_MASK: u16 = 5;
const EOPNOTSUPP: i32 = 95;

/// What a device says about EEE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eee {
    /// The device supports EEE in some link mode.
    pub capable: bool,
    pub enabled: bool,
    pub active: bool,
}

impl Eee {
    /// TR-181 value of `param` (EEECapability, EEEEnable, EEEStatus).
    pub fn value(&self, param: &str) -> Option<String> {
        let status = match (self.capable, self.enabled, self.active) {
            (false, _, _) => "Unsupported",
            (true, false, _) => "Disabled",
            (true, true, true) => "Active",
            (true, true, false) => "Inactive",
        };
        match param {
            "EEECapability" => Some(self.capable.to_string()),
            "EEEEnable" => Some(self.enabled.to_string()),
            "EEEStatus" => Some(status.to_string()),
            _ => None,
        }
    }
}

/// A get request for `ifname` (`None` for a name the kernel cannot have), asking for
/// compact bitsets.
pub fn get_request(family: u16, command: u8, seq: u32, ifname: &str) -> Option<Vec<u8>> {
    if ifname.is_empty() || ifname.len() >= IFNAMSIZ || ifname.contains('\0') {
        return None;
    }
    let mut name = ifname.as_bytes().to_vec();
    name.push(0);
    let mut header = attr(ETHTOOL_A_HEADER_DEV_NAME, &name);
    header.extend(attr(ETHTOOL_A_HEADER_FLAGS, &ETHTOOL_FLAG_COMPACT_BITSETS.to_ne_bytes()));
    Some(request(family, command, seq, &attr(A_HEADER | NESTED, &header)))
}

/// EEE_GET for `ifname`.
pub fn eee_request(family: u16, seq: u32, ifname: &str) -> Option<Vec<u8>> {
    get_request(family, ETHTOOL_MSG_EEE_GET, seq, ifname)
}

/// LINKINFO_GET for `ifname`.
pub fn link_info_request(family: u16, seq: u32, ifname: &str) -> Option<Vec<u8>> {
    get_request(family, ETHTOOL_MSG_LINKINFO_GET, seq, ifname)
}

/// What a driver without EEE support (EOPNOTSUPP) says.
pub const UNSUPPORTED: Eee = Eee { capable: false, enabled: false, active: false };

/// The EEE state in an EEE_GET reply payload (after nlmsghdr).
pub fn eee_reply(payload: &[u8]) -> Option<Eee> {
    let mut eee = Eee { capable: false, enabled: false, active: false };
    let mut seen = false;
    for a in attributes(payload.get(4..)?) {
        match a.kind {
            ETHTOOL_A_EEE_MODES_OURS => {
                let mask = attributes(a.data).find(|b| b.kind == ETHTOOL_A_BITSET_MASK);
                eee.capable = mask.is_some_and(|m| m.data.iter().any(|b| *b != 0));
            }
            ETHTOOL_A_EEE_ACTIVE => eee.active = *a.data.first()? != 0,
            ETHTOOL_A_EEE_ENABLED => {
                eee.enabled = *a.data.first()? != 0;
                seen = true;
            }
            _ => {}
        }
    }
    seen.then_some(eee)
}

/// TR-181 (MDIX, CurrentMDIX) of a LINKINFO_GET reply payload: `ETH_TP_MDI_*` 1 (MDI) is
/// Off, 2 (MDI-X) On, 3 (auto, control only) Auto; 0 is unknown: no MDIX, and CurrentMDIX
/// Unsupported when the control is unknown too, else Unknown.
pub fn mdix_reply(payload: &[u8]) -> Option<(Option<&'static str>, &'static str)> {
    let (mut mdix, mut ctrl) = (None, None);
    for a in attributes(payload.get(4..)?) {
        match a.kind {
            ETHTOOL_A_LINKINFO_TP_MDIX => mdix = a.data.first().copied(),
            ETHTOOL_A_LINKINFO_TP_MDIX_CTRL => ctrl = a.data.first().copied(),
            _ => {}
        }
    }
    let configured = match ctrl? {
        1 => Some("Off"),
        2 => Some("On"),
        3 => Some("Auto"),
        _ => None,
    };
    let current = match (mdix?, configured) {
        (1, _) => "Off",
        (2, _) => "On",
        (_, None) => "Unsupported",
        (_, Some(_)) => "Unknown",
    };
    Some((configured, current))
}

/// One ethtool get exchange for `ifname`: its reply payloads, or the kernel's errno.
fn exchange(ifname: &str, build: fn(u16, u32, &str) -> Option<Vec<u8>>) -> Option<Result<Vec<Vec<u8>>, i32>> {
    let family = socket::generic(&family_request).ok()?.iter().find_map(|p| family_id(p))?;
    socket::generic_or_errno(&|seq| build(family, seq, ifname).unwrap_or_default()).ok()
}

/// The EEE state of `ifname` (Unsupported when the driver has no EEE operations); `None`
/// when the kernel does not say.
pub fn eee(ifname: &str) -> Option<Eee> {
    match exchange(ifname, eee_request)? {
        Ok(replies) => replies.iter().find_map(|p| eee_reply(p)),
        Err(EOPNOTSUPP) => Some(UNSUPPORTED),
        Err(_) => None,
    }
}

/// TR-181 MDIX / CurrentMDIX of `ifname`.
pub fn link_info(ifname: &str) -> Option<(Option<&'static str>, &'static str)> {
    exchange(ifname, link_info_request)?.ok()?.iter().find_map(|p| mdix_reply(p))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn reply(attrs: &[Vec<u8>]) -> Vec<u8> {
        let mut p = vec![24, 1, 0, 0];
        attrs.iter().for_each(|a| p.extend(a));
        p
    }

    #[test]
    fn eee_states() {
        let ours = attr(ETHTOOL_A_EEE_MODES_OURS | NESTED, &attr(ETHTOOL_A_BITSET_MASK, &[0, 0x20, 0, 0]));
        let on = reply(&[ours.clone(), attr(ETHTOOL_A_EEE_ACTIVE, &[1]), attr(ETHTOOL_A_EEE_ENABLED, &[1])]);
        let eee = eee_reply(&on).unwrap();
        assert_eq!(eee.value("EEEStatus").as_deref(), Some("Active"));
        assert_eq!(eee.value("EEECapability").as_deref(), Some("true"));
        let idle = reply(&[ours.clone(), attr(ETHTOOL_A_EEE_ACTIVE, &[0]), attr(ETHTOOL_A_EEE_ENABLED, &[1])]);
        assert_eq!(eee_reply(&idle).unwrap().value("EEEStatus").as_deref(), Some("Inactive"));
        let off = reply(&[ours, attr(ETHTOOL_A_EEE_ENABLED, &[0])]);
        assert_eq!(eee_reply(&off).unwrap().value("EEEStatus").as_deref(), Some("Disabled"));
        assert_eq!(eee_reply(&off).unwrap().value("EEEEnable").as_deref(), Some("false"));
        let none = attr(ETHTOOL_A_EEE_MODES_OURS | NESTED, &attr(ETHTOOL_A_BITSET_MASK, &[0, 0, 0, 0]));
        let nothing = reply(&[none, attr(ETHTOOL_A_EEE_ENABLED, &[0])]);
        assert_eq!(eee_reply(&nothing).unwrap().value("EEEStatus").as_deref(), Some("Unsupported"));
        assert_eq!(UNSUPPORTED.value("EEECapability").as_deref(), Some("false"));
        assert_eq!(eee_reply(&reply(&[])), None);
        assert_eq!(eee_reply(&[1]), None);
    }

    #[test]
    fn mdix_states() {
        let info = |m: u8, c: u8| {
            reply(&[attr(ETHTOOL_A_LINKINFO_TP_MDIX, &[m]), attr(ETHTOOL_A_LINKINFO_TP_MDIX_CTRL, &[c])])
        };
        assert_eq!(mdix_reply(&info(2, 3)), Some((Some("Auto"), "On")));
        assert_eq!(mdix_reply(&info(1, 1)), Some((Some("Off"), "Off")));
        assert_eq!(mdix_reply(&info(0, 3)), Some((Some("Auto"), "Unknown")));
        assert_eq!(mdix_reply(&info(0, 0)), Some((None, "Unsupported")));
        assert_eq!(mdix_reply(&reply(&[])), None);
    }

    #[test]
    fn requests_ask_for_compact_bitsets() {
        let r = eee_request(0x15, 7, "eth0").unwrap();
        assert_eq!(r[16], ETHTOOL_MSG_EEE_GET);
        assert!(r.windows(5).any(|w| w == b"eth0\0"));
        assert_eq!(link_info_request(0x15, 7, ""), None);
        assert_eq!(link_info_request(0x15, 7, "eth1").unwrap()[16], ETHTOOL_MSG_LINKINFO_GET);
    }
}
