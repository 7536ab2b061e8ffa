//! IEEE 802.3 flow control (PAUSE frames) of an Ethernet device over ethtool netlink (Linux
//! `Documentation/networking/ethtool-netlink.rst`, PAUSE_GET with ETHTOOL_FLAG_STATS):
//! TR-181 Device:2.19 Ethernet.Link.{i}.FlowControl (pause frames sent or honoured) and
//! Ethernet.Link.{i}.Stats. PausePacketsSent / PausePacketsReceived (the driver's pause
//! frame counters, when it keeps them). Read-only; a device without pause operations
//! (a bridge, veth) answers EOPNOTSUPP: the parameters are absent.
//!
//! Sans-IO request builder and reply parser; [`pause`] runs them over the socket module.

use super::ethtool::{attr, family_id, family_request, request, ETHTOOL_A_HEADER_DEV_NAME, IFNAMSIZ, NESTED};
use super::netlink::attributes;
use super::socket;

const ETHTOOL_MSG_PAUSE_GET: u8 = 21;
const ETHTOOL_A_HEADER: u16 = 1;
const ETHTOOL_A_HEADER_FLAGS: u16 = 3;
/// `ETHTOOL_FLAG_STATS`: include the statistics nest.
const ETHTOOL_FLAG_STATS: u32 = 4;
const ETHTOOL_A_PAUSE_RX: u16 = 3;
const ETHTOOL_A_PAUSE_TX: u16 = 4;
const ETHTOOL_A_PAUSE_STATS: u16 = 5;
const ETHTOOL_A_PAUSE_STAT_TX_FRAMES: u16 = 2;
const ETHTOOL_A_PAUSE_STAT_RX_FRAMES: u16 = 3;

/// What a device says about pause frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pause {
    pub rx: bool,
    pub tx: bool,
    pub sent: Option<u64>,
    pub received: Option<u64>,
}

impl Pause {
    /// TR-181 value of `param` (FlowControl, PausePacketsSent, PausePacketsReceived).
    pub fn value(&self, param: &str) -> Option<String> {
        match param {
            "FlowControl" => Some((self.rx || self.tx).to_string()),
            "PausePacketsSent" => self.sent.map(|n| n.to_string()),
            "PausePacketsReceived" => self.received.map(|n| n.to_string()),
            _ => None,
        }
    }
}

/// PAUSE_GET for `ifname` with statistics (`None` for a name the kernel cannot have).
pub fn pause_request(family: u16, seq: u32, ifname: &str) -> Option<Vec<u8>> {
    if ifname.is_empty() || ifname.len() >= IFNAMSIZ || ifname.contains('\0') {
        return None;
    }
    let mut name = ifname.as_bytes().to_vec();
    name.push(0);
    let mut header = attr(ETHTOOL_A_HEADER_DEV_NAME, &name);
    header.extend(attr(ETHTOOL_A_HEADER_FLAGS, &ETHTOOL_FLAG_STATS.to_ne_bytes()));
    Some(request(family, ETHTOOL_MSG_PAUSE_GET, seq, &attr(ETHTOOL_A_HEADER | NESTED, &header)))
}

fn u64_of(data: &[u8]) -> Option<u64> {
    Some(u64::from_ne_bytes(<[u8; 8]>::try_from(data.get(..8)?).ok()?))
}

/// The pause state of a PAUSE_GET reply payload (after nlmsghdr); `None` without RX/TX.
pub fn pause_reply(payload: &[u8]) -> Option<Pause> {
    let mut p = Pause::default();
    let mut seen = false;
    for a in attributes(payload.get(4..)?) {
        match a.kind & !NESTED {
            ETHTOOL_A_PAUSE_RX => {
                p.rx = *a.data.first()? != 0;
                seen = true;
            }
            ETHTOOL_A_PAUSE_TX => p.tx = *a.data.first()? != 0,
            ETHTOOL_A_PAUSE_STATS => {
                for s in attributes(a.data) {
                    match s.kind {
                        ETHTOOL_A_PAUSE_STAT_TX_FRAMES => p.sent = u64_of(s.data),
                        ETHTOOL_A_PAUSE_STAT_RX_FRAMES => p.received = u64_of(s.data),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    seen.then_some(p)
}

/// The pause state of `ifname`; `None` when the kernel or the driver does not say.
pub fn pause(ifname: &str) -> Option<Pause> {
    let family = socket::generic(&family_request).ok()?.iter().find_map(|p| family_id(p))?;
    let replies = socket::generic(&|seq| pause_request(family, seq, ifname).unwrap_or_default()).ok()?;
    replies.iter().find_map(|p| pause_reply(p))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn pause_states_and_counters() {
        let mut p = vec![21, 1, 0, 0];
        p.extend(attr(ETHTOOL_A_PAUSE_RX, &[1]));
        p.extend(attr(ETHTOOL_A_PAUSE_TX, &[0]));
        let mut stats = attr(1, &[]);
        stats.extend(attr(ETHTOOL_A_PAUSE_STAT_TX_FRAMES, &7u64.to_ne_bytes()));
        stats.extend(attr(ETHTOOL_A_PAUSE_STAT_RX_FRAMES, &9u64.to_ne_bytes()));
        p.extend(attr(ETHTOOL_A_PAUSE_STATS | NESTED, &stats));
        let s = pause_reply(&p).unwrap();
        assert_eq!(s.value("FlowControl").as_deref(), Some("true"));
        assert_eq!(s.value("PausePacketsSent").as_deref(), Some("7"));
        assert_eq!(s.value("PausePacketsReceived").as_deref(), Some("9"));
        let mut off = vec![21, 1, 0, 0];
        off.extend(attr(ETHTOOL_A_PAUSE_RX, &[0]));
        off.extend(attr(ETHTOOL_A_PAUSE_TX, &[0]));
        let s = pause_reply(&off).unwrap();
        assert_eq!((s.value("FlowControl").as_deref(), s.value("PausePacketsSent")), (Some("false"), None));
        assert_eq!(pause_reply(&[21, 1, 0, 0]), None);
        assert_eq!(pause_reply(&[21]), None);
    }

    #[test]
    fn request_asks_for_statistics() {
        let r = pause_request(0x15, 3, "wan").unwrap();
        assert_eq!(r[16], ETHTOOL_MSG_PAUSE_GET);
        assert!(r.windows(4).any(|w| w == b"wan\0"));
        assert!(r.windows(4).any(|w| w == ETHTOOL_FLAG_STATS.to_ne_bytes()));
        assert_eq!(pause_request(0x15, 3, ""), None);
    }
}
