//! Sans-IO traffic-control dump (Linux `tc(8)`, rtnetlink(7) RTM_GETQDISC): the dump
//! request and the parse of each RTM_NEWQDISC answer, `struct tcmsg` followed by its
//! attributes (uapi `rtnetlink.h` TCA_KIND, TCA_STATS2; `gen_stats.h` TCA_STATS_BASIC,
//! TCA_STATS_QUEUE, TCA_STATS_PKT64). Per queueing discipline: the interface index, the
//! handle and parent, the kind (`tbf`, `htb`, `cake`...) and its counters, which feed
//! TR-181 Device:2.19 `Device.QoS.QueueStats.{i}.` (OutputBytes, OutputPackets,
//! DroppedPackets, QueueOccupancyPackets).
//!
//! No I/O (the socket is `socket.rs`), never panics: every length is checked against the
//! buffer; a message too short for `tcmsg` is not a qdisc, a malformed attribute ends its
//! list (`netlink::attributes`).

use super::netlink::{attributes, HEADER_LEN};

pub const RTM_NEWQDISC: u16 = 36;
pub const RTM_GETQDISC: u16 = 38;
/// `struct tcmsg`: family, 3 pad bytes, ifindex, handle, parent, info.
const TCMSG_LEN: usize = 20;
const TCA_KIND: u16 = 1;
const TCA_STATS2: u16 = 7;
const TCA_STATS_BASIC: u16 = 1;
const TCA_STATS_QUEUE: u16 = 3;
const TCA_STATS_PKT64: u16 = 8;
/// The parent of a device's root (egress) qdisc.
pub const TC_H_ROOT: u32 = 0xFFFF_FFFF;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;

/// One queueing discipline of the dump with its TCA_STATS2 counters (0 when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Qdisc {
    pub ifindex: u32,
    pub handle: u32,
    pub parent: u32,
    pub kind: String,
    /// Bytes and packets sent (dequeued) by the qdisc.
    pub bytes: u64,
    pub packets: u64,
    /// Packets dropped, packets queued now, bytes queued now.
    pub drops: u32,
    pub qlen: u32,
    pub backlog: u32,
    pub overlimits: u32,
    pub requeues: u32,
}

impl Qdisc {
    /// Whether this is the device's root (egress) qdisc.
    pub fn is_root(&self) -> bool {
        self.parent == TC_H_ROOT
    }

    /// A counter by its name in the mapping (`bytes`, `packets`, `drops`, `qlen`,
    /// `backlog`, `overlimits`, `requeues`); `None` for another name.
    pub fn field(&self, name: &str) -> Option<u64> {
        Some(match name {
            "bytes" => self.bytes,
            "packets" => self.packets,
            "drops" => self.drops.into(),
            "qlen" => self.qlen.into(),
            "backlog" => self.backlog.into(),
            "overlimits" => self.overlimits.into(),
            "requeues" => self.requeues.into(),
            _ => return None,
        })
    }
}

/// The RTM_GETQDISC dump request of every device (`tcmsg` all zero: AF_UNSPEC, ifindex 0).
pub fn dump_request(seq: u32) -> Vec<u8> {
    let len = HEADER_LEN + TCMSG_LEN;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&u32::try_from(len).unwrap_or(0).to_ne_bytes());
    out.extend_from_slice(&RTM_GETQDISC.to_ne_bytes());
    out.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.resize(len, 0);
    out
}

fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    let b = buf.get(at..at.checked_add(4)?)?;
    Some(u32::from_ne_bytes(b.try_into().ok()?))
}

fn u64_at(buf: &[u8], at: usize) -> Option<u64> {
    let b = buf.get(at..at.checked_add(8)?)?;
    Some(u64::from_ne_bytes(b.try_into().ok()?))
}

/// The qdisc of an RTM_NEWQDISC payload (after `nlmsghdr`); `None` when it is too short.
pub fn qdisc(payload: &[u8]) -> Option<Qdisc> {
    let mut q = Qdisc {
        ifindex: u32_at(payload, 4)?,
        handle: u32_at(payload, 8)?,
        parent: u32_at(payload, 12)?,
        ..Qdisc::default()
    };
    for attr in attributes(payload.get(TCMSG_LEN..)?) {
        match attr.kind {
            TCA_KIND => {
                let name = attr.data.split(|b| *b == 0).next().unwrap_or(&[]);
                q.kind = String::from_utf8_lossy(name).into_owned();
            }
            TCA_STATS2 => stats2(attr.data, &mut q),
            _ => {}
        }
    }
    Some(q)
}

/// The nested TCA_STATS_* attributes: `gnet_stats_basic` (u64 bytes, u32 packets),
/// `gnet_stats_queue` (qlen, backlog, drops, requeues, overlimits), a 64-bit packet count.
fn stats2(data: &[u8], q: &mut Qdisc) {
    let mut pkt64 = None;
    for attr in attributes(data) {
        let d = attr.data;
        match attr.kind {
            TCA_STATS_BASIC => {
                q.bytes = u64_at(d, 0).unwrap_or(0);
                q.packets = u32_at(d, 8).map_or(0, u64::from);
            }
            TCA_STATS_QUEUE => {
                q.qlen = u32_at(d, 0).unwrap_or(0);
                q.backlog = u32_at(d, 4).unwrap_or(0);
                q.drops = u32_at(d, 8).unwrap_or(0);
                q.requeues = u32_at(d, 12).unwrap_or(0);
                q.overlimits = u32_at(d, 16).unwrap_or(0);
            }
            TCA_STATS_PKT64 => pkt64 = u64_at(d, 0),
            _ => {}
        }
    }
    if let Some(p) = pkt64 {
        q.packets = p;
    }
}

/// The qdiscs of a dump's message payloads (other message types are skipped).
pub fn qdiscs(payloads: &[Vec<u8>]) -> Vec<Qdisc> {
    payloads.iter().filter_map(|p| qdisc(p)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::genl::attr;
    use super::*;

    fn tcmsg(ifindex: u32, handle: u32, parent: u32) -> Vec<u8> {
        let mut out = vec![0u8; 4];
        for v in [ifindex, handle, parent, 1] {
            out.extend_from_slice(&v.to_ne_bytes());
        }
        out
    }

    #[test]
    fn request_is_a_dump_with_a_whole_tcmsg() {
        let r = dump_request(5);
        assert_eq!(r.len(), 36);
        assert_eq!(u32_at(&r, 0), Some(36));
        assert_eq!(u16::from_ne_bytes([r[4], r[5]]), RTM_GETQDISC);
        assert_eq!(u16::from_ne_bytes([r[6], r[7]]), 0x301);
        assert_eq!(u32_at(&r, 8), Some(5));
        assert!(r[16..].iter().all(|b| *b == 0));
    }

    #[test]
    fn parses_kind_and_stats2() {
        let mut basic = 1_234_567_890_123u64.to_ne_bytes().to_vec();
        basic.extend_from_slice(&42u32.to_ne_bytes());
        basic.extend_from_slice(&[0; 4]);
        let mut queue = Vec::new();
        for v in [3u32, 4500, 7, 1, 9] {
            queue.extend_from_slice(&v.to_ne_bytes());
        }
        let mut nested = attr(TCA_STATS_BASIC, &basic);
        nested.extend(attr(TCA_STATS_QUEUE, &queue));
        let mut p = tcmsg(3, 0x8001_0000, TC_H_ROOT);
        p.extend(attr(TCA_KIND, b"tbf\0"));
        p.extend(attr(TCA_STATS2 | 0x8000, &nested));
        let q = qdisc(&p).unwrap();
        assert_eq!((q.ifindex, q.handle, q.kind.as_str()), (3, 0x8001_0000, "tbf"));
        assert!(q.is_root());
        assert_eq!(
            (q.bytes, q.packets, q.qlen, q.backlog, q.drops, q.requeues, q.overlimits),
            (1_234_567_890_123, 42, 3, 4500, 7, 1, 9)
        );
        assert_eq!(q.field("drops"), Some(7));
        assert_eq!(q.field("rate"), None);
        // A 64-bit packet count wins over the basic one.
        nested.extend(attr(TCA_STATS_PKT64, &(5u64 << 32).to_ne_bytes()));
        let mut p = tcmsg(3, 0, 0x0001_0001);
        p.extend(attr(TCA_STATS2, &nested));
        let q = qdisc(&p).unwrap();
        assert_eq!(q.packets, 5 << 32);
        assert!(!q.is_root());
    }

    #[test]
    fn short_or_truncated_input_is_safe() {
        assert_eq!(qdisc(&[0; 19]), None);
        let mut p = tcmsg(1, 0, TC_H_ROOT);
        p.extend_from_slice(&[200, 0, 7, 0, 1, 2]);
        let q = qdisc(&p).unwrap();
        assert_eq!((q.kind.as_str(), q.bytes), ("", 0));
        // Short stats structures read as zero.
        let mut p = tcmsg(1, 0, TC_H_ROOT);
        p.extend(attr(TCA_STATS2, &attr(TCA_STATS_BASIC, &[1, 2, 3])));
        assert_eq!(qdisc(&p).unwrap().bytes, 0);
        assert_eq!(qdiscs(&[vec![1, 2], p]).len(), 1);
    }
}
