//! Generic netlink framing (Linux `genetlink`, include/uapi/linux/genetlink.h), shared by
//! the sans-IO nl80211 (`nl80211.rs`) and ethtool (`ethtool.rs`) codecs: an attribute, a
//! request (nlmsghdr, genlmsghdr, attributes), and the controller's family lookup
//! (CTRL_CMD_GETFAMILY by name, the id in its answer). No I/O; answers are parsed with
//! [`super::netlink::attributes`], which checks every length.

use super::netlink::{attributes, HEADER_LEN};

pub(super) const GENL_ID_CTRL: u16 = 0x10;
pub(super) const CTRL_CMD_GETFAMILY: u8 = 3;
pub(super) const CTRL_ATTR_FAMILY_ID: u16 = 1;
pub(super) const CTRL_ATTR_FAMILY_NAME: u16 = 2;
pub const NLM_F_REQUEST: u16 = 0x1;
/// Length of `struct genlmsghdr` (cmd, version, reserved).
pub const GENL_HEADER: usize = 4;

/// One attribute, padded to 4 bytes.
pub fn attr(kind: u16, data: &[u8]) -> Vec<u8> {
    let len = 4usize.saturating_add(data.len());
    let mut out = u16::try_from(len).unwrap_or(u16::MAX).to_ne_bytes().to_vec();
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(data);
    out.resize(len.saturating_add(3) & !3, 0);
    out
}

/// A generic-netlink message: nlmsghdr with `flags`, genlmsghdr (command, version 1),
/// attributes.
pub fn message(family: u16, flags: u16, command: u8, seq: u32, attrs: &[u8]) -> Vec<u8> {
    let len = HEADER_LEN.saturating_add(GENL_HEADER).saturating_add(attrs.len());
    let mut out = u32::try_from(len).unwrap_or(0).to_ne_bytes().to_vec();
    out.extend_from_slice(&family.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(&[command, 1, 0, 0]);
    out.extend_from_slice(attrs);
    out
}

/// CTRL_CMD_GETFAMILY for the family `name` (NUL-terminated, e.g. `b"nl80211\0"`).
pub fn family_request(name: &[u8], seq: u32) -> Vec<u8> {
    message(GENL_ID_CTRL, NLM_F_REQUEST, CTRL_CMD_GETFAMILY, seq, &attr(CTRL_ATTR_FAMILY_NAME, name))
}

/// The family id in a CTRL_CMD_NEWFAMILY payload (after nlmsghdr).
pub fn family_id(payload: &[u8]) -> Option<u16> {
    let a = attributes(payload.get(GENL_HEADER..)?).find(|a| a.kind == CTRL_ATTR_FAMILY_ID)?;
    Some(u16::from_ne_bytes(<[u8; 2]>::try_from(a.data).ok()?))
}
