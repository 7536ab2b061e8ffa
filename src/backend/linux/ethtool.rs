//! The configured link mode of an Ethernet device over the ethtool generic-netlink API
//! (Linux `Documentation/networking/ethtool-netlink.rst`, kernel 5.6+): TR-181 Device:2.19
//! Ethernet.Interface.{i}.MaxBitRate (Mbps, -1 when auto-negotiated) and DuplexMode
//! (Half/Full/Auto).
//!
//! Sans-IO builders and parsers for the two exchanges (CTRL_CMD_GETFAMILY "ethtool", then
//! ETHTOOL_MSG_LINKMODES_GET for one device), plus [`link_modes`] which runs them over the
//! socket module. Read-only; a kernel without ethtool netlink gives `None`.

pub(super) use super::genl::attr;
pub use super::genl::family_id;
use super::genl::{self, NLM_F_REQUEST};
#[cfg(test)]
use super::genl::{CTRL_ATTR_FAMILY_ID, GENL_ID_CTRL};
use super::netlink::attributes;
use super::socket;

const ETHTOOL_MSG_LINKMODES_GET: u8 = 4;
const ETHTOOL_A_LINKMODES_HEADER: u16 = 1;
const ETHTOOL_A_LINKMODES_AUTONEG: u16 = 2;
const ETHTOOL_A_LINKMODES_SPEED: u16 = 5;
const ETHTOOL_A_LINKMODES_DUPLEX: u16 = 6;
pub(super) const ETHTOOL_A_HEADER_DEV_NAME: u16 = 2;
/// `NLA_F_NESTED`.
pub(super) const NESTED: u16 = 0x8000;
/// Longest interface name with its NUL (`IFNAMSIZ`).
pub(super) const IFNAMSIZ: usize = 16;

/// The configured link mode of one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkModes {
    pub autoneg: bool,
    /// Mbps; `None` when unknown (`SPEED_UNKNOWN`).
    pub speed: Option<u32>,
    /// `Some(true)` full, `Some(false)` half, `None` unknown.
    pub full_duplex: Option<bool>,
}

impl LinkModes {
    /// TR-181 MaxBitRate: -1 (auto) or the forced speed.
    pub fn max_bit_rate(&self) -> Option<String> {
        if self.autoneg {
            return Some("-1".to_string());
        }
        self.speed.and_then(|s| i32::try_from(s).ok()).map(|s| s.to_string())
    }

    /// TR-181 DuplexMode: Auto, or the forced duplex.
    pub fn duplex_mode(&self) -> Option<&'static str> {
        match (self.autoneg, self.full_duplex) {
            (true, _) => Some("Auto"),
            (false, Some(true)) => Some("Full"),
            (false, Some(false)) => Some("Half"),
            (false, None) => None,
        }
    }
}

/// A generic-netlink request: nlmsghdr, genlmsghdr (command, version 1), attributes.
pub(super) fn request(family: u16, command: u8, seq: u32, attrs: &[u8]) -> Vec<u8> {
    genl::message(family, NLM_F_REQUEST, command, seq, attrs)
}

/// CTRL_CMD_GETFAMILY for "ethtool".
pub fn family_request(seq: u32) -> Vec<u8> {
    genl::family_request(b"ethtool\0", seq)
}

/// ETHTOOL_MSG_LINKMODES_GET for device `ifname` (`None` for a name the kernel cannot have).
pub fn link_modes_request(family: u16, seq: u32, ifname: &str) -> Option<Vec<u8>> {
    if ifname.is_empty() || ifname.len() >= IFNAMSIZ || ifname.contains('\0') {
        return None;
    }
    let mut name = ifname.as_bytes().to_vec();
    name.push(0);
    let header = attr(ETHTOOL_A_LINKMODES_HEADER | NESTED, &attr(ETHTOOL_A_HEADER_DEV_NAME, &name));
    Some(request(family, ETHTOOL_MSG_LINKMODES_GET, seq, &header))
}

/// The link modes in an ETHTOOL_MSG_LINKMODES_GET_REPLY payload (after nlmsghdr).
pub fn link_modes_reply(payload: &[u8]) -> Option<LinkModes> {
    let mut modes = LinkModes { autoneg: false, speed: None, full_duplex: None };
    let mut seen = false;
    for a in attributes(payload.get(4..)?) {
        match a.kind {
            ETHTOOL_A_LINKMODES_AUTONEG => {
                modes.autoneg = *a.data.first()? == 1;
                seen = true;
            }
            ETHTOOL_A_LINKMODES_SPEED => {
                modes.speed = super::netlink::u32_attr(a.data).filter(|s| *s != u32::MAX && *s != 0);
            }
            ETHTOOL_A_LINKMODES_DUPLEX => {
                modes.full_duplex = match a.data.first()? {
                    0 => Some(false),
                    1 => Some(true),
                    _ => None,
                }
            }
            _ => {}
        }
    }
    seen.then_some(modes)
}

/// The configured link modes of `ifname` as the kernel reports them; `None` when the
/// kernel or the driver does not say.
pub fn link_modes(ifname: &str) -> Option<LinkModes> {
    let family = socket::generic(&family_request).ok()?.iter().find_map(|p| family_id(p))?;
    let replies = socket::generic(&|seq| link_modes_request(family, seq, ifname).unwrap_or_default()).ok()?;
    replies.iter().find_map(|p| link_modes_reply(p))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        let r = family_request(3);
        assert_eq!(r.len(), 16 + 4 + 12);
        assert_eq!(&r[4..6], &GENL_ID_CTRL.to_ne_bytes());
        assert_eq!(&r[20..24], &12u16.to_ne_bytes().iter().chain(&2u16.to_ne_bytes()).copied().collect::<Vec<_>>()[..]);
        let l = link_modes_request(0x15, 4, "eth0").unwrap();
        assert_eq!(l[16], ETHTOOL_MSG_LINKMODES_GET);
        assert!(l.windows(5).any(|w| w == b"eth0\0"));
        assert_eq!(link_modes_request(0x15, 4, "a-name-far-too-long"), None);
        assert_eq!(link_modes_request(0x15, 4, ""), None);
    }

    #[test]
    fn replies() {
        let mut p = vec![1, 1, 0, 0];
        p.extend(attr(CTRL_ATTR_FAMILY_ID, &0x15u16.to_ne_bytes()));
        assert_eq!(family_id(&p), Some(0x15));
        let mut m = vec![1, 1, 0, 0];
        m.extend(attr(ETHTOOL_A_LINKMODES_AUTONEG, &[0]));
        m.extend(attr(ETHTOOL_A_LINKMODES_SPEED, &100u32.to_ne_bytes()));
        m.extend(attr(ETHTOOL_A_LINKMODES_DUPLEX, &[0]));
        let modes = link_modes_reply(&m).unwrap();
        assert_eq!((modes.max_bit_rate().as_deref(), modes.duplex_mode()), (Some("100"), Some("Half")));
        let mut auto = vec![1, 1, 0, 0];
        auto.extend(attr(ETHTOOL_A_LINKMODES_AUTONEG, &[1]));
        auto.extend(attr(ETHTOOL_A_LINKMODES_SPEED, &u32::MAX.to_ne_bytes()));
        let modes = link_modes_reply(&auto).unwrap();
        assert_eq!(
            (modes.max_bit_rate().as_deref(), modes.duplex_mode(), modes.speed),
            (Some("-1"), Some("Auto"), None)
        );
        assert_eq!(link_modes_reply(&[1, 1, 0, 0]), None);
        assert_eq!(link_modes_reply(&[1]), None);
    }
}
