//! TR-181 Device:2.19 `Ethernet.WoLSupported` and `Ethernet.FlowControlSupported` from the
//! drivers of the device's Ethernet interfaces over ethtool netlink (Linux
//! `Documentation/networking/ethtool-netlink.rst`, compact bitsets): WoL is supported when
//! one interface's WOL_GET lists magic-packet wake-up (`WAKE_MAGIC`) among its supported
//! modes (the bitset's mask), flow control when one interface's LINKMODES_GET lists the
//! `Pause` or `Asym_Pause` link mode as supported (IEEE 802.3 Annex 31B PAUSE). A driver
//! without WoL operations answers EOPNOTSUPP: that interface has none. When no interface
//! could be asked (no ethtool netlink), the parameters are absent. Read-only.
//!
//! Sans-IO reply parsers (fuzz target `netlink_parse`); [`supported`] runs the requests.

use super::ethtool::{family_id, family_request, NESTED};
use super::ethtool_state::get_request;
use super::netlink::{attributes, u32_attr};
use super::socket;

const ETHTOOL_MSG_LINKMODES_GET: u8 = 4;
const ETHTOOL_MSG_WOL_GET: u8 = 9;
const ETHTOOL_A_LINKMODES_OURS: u16 = 3;
const ETHTOOL_A_WOL_MODES: u16 = 2;
const ETHTOOL_A_BITSET_SIZE: u16 = 2;
const ETHTOOL_A_BITSET_MASK: u16 = 5;
/// `WAKE_MAGIC` (bit 5 of the WoL modes).
const WAKE_MAGIC_BIT: u32 = 5;
/// `ETHTOOL_LINK_MODE_Pause_BIT`, `ETHTOOL_LINK_MODE_Asym_Pause_BIT`.
const PAUSE_BITS: [u32; 2] = [13, 14];

/// Whether bit `n` is set in the mask (the supported set) of a compact bitset nest.
fn supported_bit(bitset: &[u8], n: u32) -> Option<bool> {
    let mut size = None;
    let mut mask = None;
    for a in attributes(bitset) {
        match a.kind & !NESTED {
            ETHTOOL_A_BITSET_SIZE => size = u32_attr(a.data),
            ETHTOOL_A_BITSET_MASK => mask = Some(a.data),
            _ => {}
        }
    }
    let (size, mask) = (size?, mask?);
    let word = mask.get(usize::try_from(n / 32).ok()?.checked_mul(4)?..)?.get(..4)?;
    Some(n < size && u32_attr(word)? & (1u32 << (n % 32)) != 0)
}

/// The bitset attribute `kind` of a reply payload (after nlmsghdr).
fn bitset_of(payload: &[u8], kind: u16) -> Option<&[u8]> {
    attributes(payload.get(4..)?).find(|a| a.kind & !NESTED == kind).map(|a| a.data)
}

/// Whether a WOL_GET reply lists magic-packet wake-up as supported.
pub fn wol_reply(payload: &[u8]) -> Option<bool> {
    supported_bit(bitset_of(payload, ETHTOOL_A_WOL_MODES)?, WAKE_MAGIC_BIT)
}

/// Whether a LINKMODES_GET reply lists a PAUSE link mode as supported.
pub fn pause_modes_reply(payload: &[u8]) -> Option<bool> {
    let ours = bitset_of(payload, ETHTOOL_A_LINKMODES_OURS)?;
    let bits: Option<Vec<bool>> = PAUSE_BITS.iter().map(|b| supported_bit(ours, *b)).collect();
    Some(bits?.contains(&true))
}

/// WOL_GET for `ifname` (compact bitsets).
pub fn wol_request(family: u16, seq: u32, ifname: &str) -> Option<Vec<u8>> {
    get_request(family, ETHTOOL_MSG_WOL_GET, seq, ifname)
}

/// (WoLSupported, FlowControlSupported) over `ifnames`: true when one interface has it,
/// false when every interface answered (an error answer: the driver has none), `None`
/// when the kernel could not be asked.
pub fn supported(ifnames: &[String]) -> Option<(bool, bool)> {
    let family = socket::generic(&family_request).ok()?.iter().find_map(|p| family_id(p))?;
    let ask = |command: u8, parse: fn(&[u8]) -> Option<bool>| -> Option<bool> {
        let mut any = false;
        for name in ifnames {
            let build = |seq| get_request(family, command, seq, name).unwrap_or_default();
            if let Ok(replies) = socket::generic_or_errno(&build).ok()? {
                any |= replies.iter().any(|p| parse(p) == Some(true));
            }
        }
        Some(any)
    };
    Some((ask(ETHTOOL_MSG_WOL_GET, wol_reply)?, ask(ETHTOOL_MSG_LINKMODES_GET, pause_modes_reply)?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::backend::linux::ethtool::attr;

    fn bitset(size: u32, value: u32, mask: u32) -> Vec<u8> {
        let mut b = attr(ETHTOOL_A_BITSET_SIZE, &size.to_ne_bytes());
        b.extend(attr(4, &value.to_ne_bytes()));
        b.extend(attr(ETHTOOL_A_BITSET_MASK, &mask.to_ne_bytes()));
        b
    }

    fn reply(kind: u16, bits: &[u8]) -> Vec<u8> {
        let mut p = vec![10, 1, 0, 0];
        p.extend(attr(1 | NESTED, &attr(2, b"eth0\0")));
        p.extend(attr(kind | NESTED, bits));
        p
    }

    #[test]
    fn supported_sets_are_the_masks() {
        // Magic packet supported (mask) but not enabled (value): supported.
        assert_eq!(wol_reply(&reply(ETHTOOL_A_WOL_MODES, &bitset(8, 0, 1 << 5 | 1))), Some(true));
        assert_eq!(wol_reply(&reply(ETHTOOL_A_WOL_MODES, &bitset(8, 1 << 5, 1))), Some(false));
        assert_eq!(wol_reply(&reply(ETHTOOL_A_WOL_MODES, &bitset(4, 0, 1 << 5))), Some(false), "beyond size");
        assert_eq!(wol_reply(&reply(3, &bitset(8, 0, 1 << 5))), None);
        let pause = 1 << 13 | 1 << 5;
        assert_eq!(pause_modes_reply(&reply(ETHTOOL_A_LINKMODES_OURS, &bitset(90, 0, pause))), Some(true));
        assert_eq!(pause_modes_reply(&reply(ETHTOOL_A_LINKMODES_OURS, &bitset(90, 0, 1 << 14))), Some(true));
        assert_eq!(pause_modes_reply(&reply(ETHTOOL_A_LINKMODES_OURS, &bitset(90, pause, 1 << 5))), Some(false));
        assert_eq!(pause_modes_reply(&[10, 1]), None);
        assert_eq!(wol_request(0x15, 1, "eth0").unwrap().get(16), Some(&ETHTOOL_MSG_WOL_GET));
    }
}
