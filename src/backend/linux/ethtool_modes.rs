//! The link modes of an Ethernet device over ethtool netlink (Linux
//! `Documentation/networking/ethtool-netlink.rst`, LINKMODES_GET with compact bitsets):
//! TR-181 Device:2.19 Ethernet.Interface.{i}. SupportedLinkModes (the mask of
//! `ETHTOOL_A_LINKMODES_OURS`), AdvertisedLinkModes (its value) and
//! LinkPartnerAdvertisedLinkModes (`ETHTOOL_A_LINKMODES_PEER`), as IANAifMauTypeListBits
//! numbers (IANA-MAU-MIB, as the schema asks: 30 is 1000BASE-T full duplex). Kernel link
//! mode bits without a MAU type (backplane, multi-lane optics) are left out. Read-only.
//!
//! Sans-IO request builder and reply parser; [`modes`] runs them over the socket module.

use super::ethtool::{family_id, family_request};
use super::ethtool_state::get_request;
use super::netlink::{attributes, u32_attr};
use super::socket;

const ETHTOOL_MSG_LINKMODES_GET: u8 = 4;
const ETHTOOL_A_LINKMODES_OURS: u16 = 3;
const ETHTOOL_A_LINKMODES_PEER: u16 = 4;
const ETHTOOL_A_BITSET_SIZE: u16 = 2;
const ETHTOOL_A_BITSET_VALUE: u16 = 4;
const ETHTOOL_A_BITSET_MASK: u16 = 5;

/// (`ETHTOOL_LINK_MODE_*_BIT`, IANAifMauTypeListBits bit).
const MAU: [(u32, u32); 10] = [
    (0, 10),   // 10baseT_Half: b10baseTHD
    (1, 11),   // 10baseT_Full: b10baseTFD
    (2, 15),   // 100baseT_Half: b100baseTXHD
    (3, 16),   // 100baseT_Full: b100baseTXFD
    (4, 29),   // 1000baseT_Half: b1000baseTHD
    (5, 30),   // 1000baseT_Full: b1000baseTFD
    (41, 22),  // 1000baseX_Full: b1000baseXFD
    (12, 54),  // 10000baseT_Full: b10GbaseT
    (47, 103), // 2500baseT_Full: b2p5GbaseT
    (48, 104), // 5000baseT_Full: b5GbaseT
];

/// The three lists of one device, as comma-separated MAU type numbers (ascending).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Modes {
    pub supported: String,
    pub advertised: String,
    pub partner: String,
}

impl Modes {
    /// TR-181 value of `param`.
    pub fn value(&self, param: &str) -> Option<String> {
        Some(match param {
            "SupportedLinkModes" => self.supported.clone(),
            "AdvertisedLinkModes" => self.advertised.clone(),
            "LinkPartnerAdvertisedLinkModes" => self.partner.clone(),
            _ => return None,
        })
    }
}

/// LINKMODES_GET for `ifname`, with compact bitsets.
pub fn request(family: u16, seq: u32, ifname: &str) -> Option<Vec<u8>> {
    get_request(family, ETHTOOL_MSG_LINKMODES_GET, seq, ifname)
}

/// The MAU types of the set bits of a compact bitset's words (`size` bits at most).
fn mau_list(words: &[u8], size: u32) -> String {
    let bit = |n: u32| {
        let word = words.get(usize::try_from(n / 32).ok()?.checked_mul(4)?..)?.get(..4)?;
        Some(n < size && u32_attr(word)? & (1u32 << (n % 32)) != 0)
    };
    let mut types: Vec<u32> = MAU.iter().filter(|(b, _)| bit(*b) == Some(true)).map(|(_, m)| *m).collect();
    types.sort_unstable();
    types.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// (value, mask) of a nested compact bitset.
fn bitset(data: &[u8]) -> (String, String) {
    let mut size = 0;
    let (mut value, mut mask) = (&[][..], &[][..]);
    for a in attributes(data) {
        match a.kind {
            ETHTOOL_A_BITSET_SIZE => size = u32_attr(a.data).unwrap_or(0),
            ETHTOOL_A_BITSET_VALUE => value = a.data,
            ETHTOOL_A_BITSET_MASK => mask = a.data,
            _ => {}
        }
    }
    (mau_list(value, size), mau_list(mask, size))
}

/// The link modes of a LINKMODES_GET reply payload (after nlmsghdr); `None` without OURS.
pub fn reply(payload: &[u8]) -> Option<Modes> {
    let mut modes = None;
    let mut partner = String::new();
    for a in attributes(payload.get(4..)?) {
        match a.kind & 0x3fff {
            ETHTOOL_A_LINKMODES_OURS => {
                let (advertised, supported) = bitset(a.data);
                modes = Some(Modes { supported, advertised, partner: String::new() });
            }
            ETHTOOL_A_LINKMODES_PEER => partner = bitset(a.data).0,
            _ => {}
        }
    }
    modes.map(|m| Modes { partner, ..m })
}

/// The link modes of `ifname`; `None` when the kernel or the driver does not say.
pub fn modes(ifname: &str) -> Option<Modes> {
    let family = socket::generic(&family_request).ok()?.iter().find_map(|p| family_id(p))?;
    let replies = socket::generic(&|seq| request(family, seq, ifname).unwrap_or_default()).ok()?;
    replies.iter().find_map(|p| reply(p))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::ethtool::attr;
    use super::*;

    fn set(kind: u16, size: u32, value: &[u32], mask: Option<&[u32]>) -> Vec<u8> {
        let words = |w: &[u32]| w.iter().flat_map(|v| v.to_ne_bytes()).collect::<Vec<u8>>();
        let mut inner = attr(ETHTOOL_A_BITSET_SIZE, &size.to_ne_bytes());
        inner.extend(attr(ETHTOOL_A_BITSET_VALUE, &words(value)));
        if let Some(m) = mask {
            inner.extend(attr(ETHTOOL_A_BITSET_MASK, &words(m)));
        }
        attr(kind | 0x8000, &inner)
    }

    #[test]
    fn modes_are_mau_types() {
        // Supports 10/100/1000 half and full and 2.5G; advertises 100 and 1000 full; the
        // partner 10 to 1000 full.
        let mut p = vec![4, 1, 0, 0];
        p.extend(set(ETHTOOL_A_LINKMODES_OURS, 99, &[0b101000, 0], Some(&[0b111111, 1 << 15])));
        p.extend(set(ETHTOOL_A_LINKMODES_PEER, 99, &[0b101010, 0], None));
        let m = reply(&p).unwrap();
        assert_eq!(m.value("SupportedLinkModes").as_deref(), Some("10,11,15,16,29,30,103"));
        assert_eq!(m.value("AdvertisedLinkModes").as_deref(), Some("16,30"));
        assert_eq!(m.value("LinkPartnerAdvertisedLinkModes").as_deref(), Some("11,16,30"));
        assert_eq!(m.value("MACAddress"), None);
        // Bits past SIZE do not count; no PEER: empty; no OURS: nothing.
        let mut q = vec![4, 1, 0, 0];
        q.extend(set(ETHTOOL_A_LINKMODES_OURS, 4, &[0b110000], Some(&[0b111111])));
        let m = reply(&q).unwrap();
        assert_eq!((m.supported.as_str(), m.advertised.as_str(), m.partner.as_str()), ("10,11,15,16", "", ""));
        assert_eq!(reply(&[4, 1, 0, 0]), None);
        assert_eq!(reply(&[4]), None);
    }

    #[test]
    fn request_names_the_device() {
        let r = request(0x15, 9, "eth0").unwrap();
        assert_eq!(r[16], ETHTOOL_MSG_LINKMODES_GET);
        assert!(r.windows(5).any(|w| w == b"eth0\0"));
        assert_eq!(request(0x15, 9, ""), None);
    }
}
