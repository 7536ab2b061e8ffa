//! TR-181 Device:2.19 `Ethernet.RMONStats.{i}` (RFC 2819 etherStats) from the driver's
//! standard statistics over ethtool netlink (Linux `Documentation/networking/statistics.rst`
//! and `ethtool-netlink.rst`: STATS_GET, groups `rmon` and `eth-mac`, attribute numbers of
//! `include/uapi/linux/ethtool_netlink.h`).
//!
//! Mapped only where the counter is the one TR-181 describes: UndersizePackets and
//! OversizePackets (etherStatsUndersizePkts / OversizePkts), the receive histogram buckets
//! whose bounds are exactly RFC 2819's (64, 65-127, ..., 1024-1518: Packets64Bytes ...
//! Packets1024to1518Bytes; drivers choose their own buckets, others are left out),
//! BroadcastPackets and MulticastPackets (IEEE 802.3 30.3.1.1.22 / .21, good frames
//! received to a broadcast / multicast address, multicast excluding broadcast as RFC 2819
//! asks). Bytes, Packets, DropEvents and CRCErroredPackets are absent: the kernel's
//! octet and frame counters count good frames only, and its FCS and alignment errors are
//! not limited to 64-1518 octets as etherStatsCRCAlignErrors is.
//!
//! A device whose driver keeps neither group (veth, bridges, loopback, most embedded
//! switch ports without `get_rmon_stats`) answers without them: no row. Read-only.
//! Sans-IO request builder and reply parser (fuzz target `ethtool_rmon`); [`rmon`] runs them.

use super::ethtool::{attr, family_id, family_request, request, ETHTOOL_A_HEADER_DEV_NAME, IFNAMSIZ, NESTED};
use super::netlink::attributes;
use super::socket;

const ETHTOOL_MSG_STATS_GET: u8 = 32;
const ETHTOOL_A_STATS_HEADER: u16 = 2;
const ETHTOOL_A_STATS_GROUPS: u16 = 3;
const ETHTOOL_A_STATS_GRP: u16 = 4;
const ETHTOOL_A_STATS_GRP_ID: u16 = 2;
const ETHTOOL_A_STATS_GRP_STAT: u16 = 4;
const ETHTOOL_A_STATS_GRP_HIST_RX: u16 = 5;
const ETHTOOL_A_STATS_GRP_HIST_BKT_LOW: u16 = 7;
const ETHTOOL_A_STATS_GRP_HIST_BKT_HI: u16 = 8;
const ETHTOOL_A_STATS_GRP_HIST_VAL: u16 = 9;
const ETHTOOL_A_BITSET_NOMASK: u16 = 1;
const ETHTOOL_A_BITSET_SIZE: u16 = 2;
const ETHTOOL_A_BITSET_VALUE: u16 = 4;
/// Groups (string set `stats-std`): `eth-mac` and `rmon`.
const ETHTOOL_STATS_ETH_MAC: u32 = 1;
const ETHTOOL_STATS_RMON: u32 = 3;
/// `eth-mac` counters used: aMulticastFramesReceivedOK, aBroadcastFramesReceivedOK.
const ETH_MAC_21_RX_MCAST: u16 = 17;
const ETH_MAC_22_RX_BCAST: u16 = 18;
/// `rmon` counters used.
const RMON_UNDERSIZE: u16 = 0;
const RMON_OVERSIZE: u16 = 1;

/// RFC 2819's size buckets and their TR-181 names.
pub const BUCKETS: [(u32, u32, &str); 6] = [
    (64, 64, "Packets64Bytes"),
    (65, 127, "Packets65to127Bytes"),
    (128, 255, "Packets128to255Bytes"),
    (256, 511, "Packets256to511Bytes"),
    (512, 1023, "Packets512to1023Bytes"),
    (1024, 1518, "Packets1024to1518Bytes"),
];

/// The TR-181 counters of one device that its driver keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rmon {
    pub undersize: Option<u64>,
    pub oversize: Option<u64>,
    pub broadcast: Option<u64>,
    pub multicast: Option<u64>,
    /// Receive histogram: (low, high, frames) per bucket of the driver.
    pub histogram: Vec<Bucket>,
}

impl Rmon {
    /// The TR-181 value of counter `param`, when the driver keeps it.
    pub fn value(&self, param: &str) -> Option<String> {
        let n = match param {
            "UndersizePackets" => self.undersize,
            "OversizePackets" => self.oversize,
            "BroadcastPackets" => self.broadcast,
            "MulticastPackets" => self.multicast,
            _ => {
                let (low, high, _) = BUCKETS.iter().find(|(_, _, name)| *name == param)?;
                self.histogram.iter().find(|(l, h, _)| l == low && h == high).map(|(_, _, n)| *n)
            }
        };
        n.map(|n| n.to_string())
    }
}

/// STATS_GET of the `eth-mac` and `rmon` groups for `ifname` (`None` for a name the kernel
/// cannot have). The groups are a compact bitset without mask.
pub fn rmon_request(family: u16, seq: u32, ifname: &str) -> Option<Vec<u8>> {
    if ifname.is_empty() || ifname.len() >= IFNAMSIZ || ifname.contains('\0') {
        return None;
    }
    let mut name = ifname.as_bytes().to_vec();
    name.push(0);
    let mut body = attr(ETHTOOL_A_STATS_HEADER | NESTED, &attr(ETHTOOL_A_HEADER_DEV_NAME, &name));
    let groups = (1u32 << ETHTOOL_STATS_ETH_MAC) | (1u32 << ETHTOOL_STATS_RMON);
    let mut bitset = attr(ETHTOOL_A_BITSET_NOMASK, &[]);
    bitset.extend(attr(ETHTOOL_A_BITSET_SIZE, &(ETHTOOL_STATS_RMON + 1).to_ne_bytes()));
    bitset.extend(attr(ETHTOOL_A_BITSET_VALUE, &groups.to_ne_bytes()));
    body.extend(attr(ETHTOOL_A_STATS_GROUPS | NESTED, &bitset));
    Some(request(family, ETHTOOL_MSG_STATS_GET, seq, &body))
}

fn u64_of(data: &[u8]) -> Option<u64> {
    Some(u64::from_ne_bytes(<[u8; 8]>::try_from(data.get(..8)?).ok()?))
}

fn u32_of(data: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(<[u8; 4]>::try_from(data.get(..4)?).ok()?))
}

/// A receive histogram bucket: (lowest size, highest size, frames).
type Bucket = (u32, u32, u64);

/// One group nest: its id, its counters (id, value) and its receive histogram buckets.
fn group(data: &[u8]) -> (Option<u32>, Vec<(u16, u64)>, Vec<Bucket>) {
    let (mut id, mut stats, mut hist) = (None, Vec::new(), Vec::new());
    for a in attributes(data) {
        match a.kind & !NESTED {
            ETHTOOL_A_STATS_GRP_ID => id = u32_of(a.data),
            ETHTOOL_A_STATS_GRP_STAT => {
                stats.extend(attributes(a.data).filter_map(|s| Some((s.kind & !NESTED, u64_of(s.data)?))));
            }
            ETHTOOL_A_STATS_GRP_HIST_RX => {
                let (mut low, mut high, mut val) = (None, None, None);
                for b in attributes(a.data) {
                    match b.kind & !NESTED {
                        ETHTOOL_A_STATS_GRP_HIST_BKT_LOW => low = u32_of(b.data),
                        ETHTOOL_A_STATS_GRP_HIST_BKT_HI => high = u32_of(b.data),
                        ETHTOOL_A_STATS_GRP_HIST_VAL => val = u64_of(b.data),
                        _ => {}
                    }
                }
                if let (Some(l), Some(h), Some(v)) = (low, high, val) {
                    hist.push((l, h, v));
                }
            }
            _ => {}
        }
    }
    (id, stats, hist)
}

/// The counters of a STATS_GET reply payload (after nlmsghdr); `None` when it carries
/// none of the mapped ones (the driver keeps neither group).
pub fn rmon_reply(payload: &[u8]) -> Option<Rmon> {
    let mut r = Rmon::default();
    for a in attributes(payload.get(4..)?).filter(|a| a.kind & !NESTED == ETHTOOL_A_STATS_GRP) {
        let (id, stats, hist) = group(a.data);
        let stat = |k: u16| stats.iter().find(|(id, _)| *id == k).map(|(_, v)| *v);
        match id {
            Some(ETHTOOL_STATS_RMON) => {
                r.undersize = stat(RMON_UNDERSIZE);
                r.oversize = stat(RMON_OVERSIZE);
                r.histogram = hist;
            }
            Some(ETHTOOL_STATS_ETH_MAC) => {
                r.broadcast = stat(ETH_MAC_22_RX_BCAST);
                r.multicast = stat(ETH_MAC_21_RX_MCAST);
            }
            _ => {}
        }
    }
    let any = BUCKETS.iter().any(|(_, _, name)| r.value(name).is_some())
        || [r.undersize, r.oversize, r.broadcast, r.multicast].iter().any(Option::is_some);
    any.then_some(r)
}

/// The counters of `ifname`; `None` when the kernel or the driver does not keep them.
pub fn rmon(ifname: &str) -> Option<Rmon> {
    let family = socket::generic(&family_request).ok()?.iter().find_map(|p| family_id(p))?;
    let replies = socket::generic(&|seq| rmon_request(family, seq, ifname).unwrap_or_default()).ok()?;
    replies.iter().find_map(|p| rmon_reply(p))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn bucket(low: u32, high: u32, n: u64) -> Vec<u8> {
        let mut b = attr(ETHTOOL_A_STATS_GRP_HIST_BKT_LOW, &low.to_ne_bytes());
        b.extend(attr(ETHTOOL_A_STATS_GRP_HIST_BKT_HI, &high.to_ne_bytes()));
        b.extend(attr(ETHTOOL_A_STATS_GRP_HIST_VAL, &n.to_ne_bytes()));
        attr(ETHTOOL_A_STATS_GRP_HIST_RX | NESTED, &b)
    }

    fn stat(id: u16, n: u64) -> Vec<u8> {
        attr(ETHTOOL_A_STATS_GRP_STAT | NESTED, &attr(id, &n.to_ne_bytes()))
    }

    fn grp(id: u32, body: &[u8]) -> Vec<u8> {
        let mut g = attr(ETHTOOL_A_STATS_GRP_ID, &id.to_ne_bytes());
        g.extend(attr(3, &1u32.to_ne_bytes())); // string set id: ignored
        g.extend_from_slice(body);
        attr(ETHTOOL_A_STATS_GRP | NESTED, &g)
    }

    #[test]
    fn rmon_and_mac_groups_give_the_rfc2819_counters() {
        let mut p = vec![33, 1, 0, 0];
        p.extend(attr(ETHTOOL_A_STATS_HEADER | NESTED, &attr(ETHTOOL_A_HEADER_DEV_NAME, b"eth0\0")));
        let mut rmon = stat(RMON_UNDERSIZE, 3);
        rmon.extend(stat(RMON_OVERSIZE, 4));
        rmon.extend(stat(2, 99)); // fragments: not mapped
        rmon.extend(bucket(0, 64, 500)); // not RFC 2819's first bucket
        rmon.extend(bucket(65, 127, 71));
        rmon.extend(bucket(1024, 1518, 72));
        rmon.extend(bucket(1519, 10240, 73));
        p.extend(grp(ETHTOOL_STATS_RMON, &rmon));
        let mut mac = stat(ETH_MAC_21_RX_MCAST, 21);
        mac.extend(stat(ETH_MAC_22_RX_BCAST, 22));
        mac.extend(stat(12, 1_000_000)); // octets received OK: not etherStatsOctets
        p.extend(grp(ETHTOOL_STATS_ETH_MAC, &mac));
        let r = rmon_reply(&p).unwrap();
        let v = |n: &str| r.value(n);
        assert_eq!((v("UndersizePackets"), v("OversizePackets")), (Some("3".into()), Some("4".into())));
        assert_eq!((v("MulticastPackets"), v("BroadcastPackets")), (Some("21".into()), Some("22".into())));
        assert_eq!((v("Packets65to127Bytes"), v("Packets1024to1518Bytes")), (Some("71".into()), Some("72".into())));
        assert_eq!((v("Packets64Bytes"), v("Bytes"), v("CRCErroredPackets")), (None, None, None));
    }

    #[test]
    fn no_group_no_row() {
        let mut p = vec![33, 1, 0, 0];
        p.extend(attr(ETHTOOL_A_STATS_HEADER | NESTED, &attr(ETHTOOL_A_HEADER_DEV_NAME, b"veth0\0")));
        assert_eq!(rmon_reply(&p), None);
        // A group with an unknown id, a truncated counter, a bucket without its value.
        p.extend(grp(7, &stat(0, 1)));
        p.extend(grp(ETHTOOL_STATS_RMON, &attr(ETHTOOL_A_STATS_GRP_STAT | NESTED, &attr(0, &[1, 2]))));
        assert_eq!(rmon_reply(&p), None);
        assert_eq!(rmon_reply(&[33]), None);
    }

    #[test]
    fn the_fuzz_seed_is_a_reply_with_one_bucket() {
        let seed = [
            0x21, 1, 0, 0, 0x3c, 0, 4, 0x80, 8, 0, 2, 0, 3, 0, 0, 0, 0x10, 0, 4, 0x80, 0x0c, 0, 0, 0, 3, 0, 0, 0, 0, 0,
            0, 0, 0x20, 0, 5, 0x80, 8, 0, 7, 0, 0x41, 0, 0, 0, 8, 0, 8, 0, 0x7f, 0, 0, 0, 0x0c, 0, 9, 0, 0x47, 0, 0, 0,
            0, 0, 0, 0,
        ];
        if cfg!(target_endian = "little") {
            let r = rmon_reply(&seed).unwrap();
            assert_eq!((r.undersize, r.histogram.as_slice()), (Some(3), &[(65, 127, 71)][..]));
        }
    }

    #[test]
    fn request_names_the_device_and_both_groups() {
        let r = rmon_request(0x15, 3, "lan1").unwrap();
        assert_eq!(r[16], ETHTOOL_MSG_STATS_GET);
        assert!(r.windows(5).any(|w| w == b"lan1\0"));
        assert!(r.windows(4).any(|w| w == 0x0au32.to_ne_bytes()));
        assert_eq!(rmon_request(0x15, 3, "a-name-too-long-for-linux"), None);
    }
}
