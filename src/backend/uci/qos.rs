//! Queue statistics of sqm-scripts queues (issue 16, TR-181 Device:2.19
//! `Device.QoS.QueueStats.{i}.`): the `qdisc(field)` codec of the mapping reads the root
//! (egress) queueing discipline of the Linux device an sqm `queue` section shapes (its
//! `interface` option: sqm-scripts names a netdev there) from one RTM_GETQDISC dump over
//! rtnetlink (`linux::tc`), never from a `tc` process. The counters are the qdisc's
//! TCA_STATS2 ones: `bytes` and `packets` sent, `drops`, `qlen` (packets queued now);
//! TR-181 types them unsignedInt, so they keep their low 32 bits (they wrap like a
//! StatsCounter32).
//!
//! Absent when the device does not exist (sqm stopped, a name no netdev can have) or has
//! no root qdisc of its own in the dump. Read-only; reads the running kernel of the
//! agent's network namespace, whatever the backend's configuration root.

use super::doc::Section;
use crate::backend::linux::{socket, tc};

/// A netdev name the kernel could have (IFNAMSIZ, no `/`, not `.`/`..`).
fn sane(name: &str) -> bool {
    !name.is_empty() && name.len() < 16 && !name.contains(['/', '%', '@']) && name != "." && name != ".."
}

/// The root qdisc of device `dev` in the dump of `payloads`.
pub fn root_of(payloads: &[Vec<u8>], ifindex: u32) -> Option<tc::Qdisc> {
    tc::qdiscs(payloads).into_iter().find(|q| q.ifindex == ifindex && q.is_root())
}

/// The `qdisc(field)` value of `section` (module doc).
pub fn read(section: &Section, option: Option<&str>, field: &str) -> Option<String> {
    let dev = section.option(option?)?;
    if !sane(dev) {
        return None;
    }
    let ifindex = nix::net::if_::if_nametoindex(dev).ok()?;
    let dump = socket::route_dump(&tc::dump_request).ok()?;
    let value = root_of(&dump, ifindex)?.field(field)?;
    Some((value & u64::from(u32::MAX)).to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_no_netdev_can_have_are_refused() {
        for bad in ["", ".", "..", "a/b", "x%", "@wan", "sixteen-chars-xx"] {
            assert!(!sane(bad), "{bad}");
        }
        assert!(sane("eth1") && sane("pppoe-wan"));
    }

    #[test]
    fn the_root_qdisc_of_the_device_is_chosen() {
        let msg = |ifindex: u32, parent: u32, bytes: u64| {
            let mut p = vec![0u8; 4];
            for v in [ifindex, 0x1_0000, parent, 1] {
                p.extend_from_slice(&v.to_ne_bytes());
            }
            let mut basic = vec![12u8, 0, 1, 0];
            basic.extend_from_slice(&bytes.to_ne_bytes());
            let mut stats = ((4 + basic.len()) as u16).to_ne_bytes().to_vec();
            stats.extend_from_slice(&7u16.to_ne_bytes());
            stats.extend_from_slice(&basic);
            p.extend_from_slice(&stats);
            p
        };
        let dump = vec![msg(2, tc::TC_H_ROOT, 1), msg(3, 0x1_0001, 2), msg(3, tc::TC_H_ROOT, 3)];
        assert_eq!(root_of(&dump, 3).unwrap().bytes, 3);
        assert_eq!(root_of(&dump, 4), None);
    }
}
