//! The traffic-control dump parser (`linux::tc`): RTM_NEWQDISC payloads (`tcmsg`, TCA_KIND,
//! nested TCA_STATS2) framed or raw, and the root-qdisc selection of QoS.QueueStats. Never
//! panics; the kind is the input's bytes.
#![no_main]
use cwmpd::backend::linux::{netlink, tc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(q) = tc::qdisc(data) {
        assert!(q.kind.len() <= data.len().saturating_mul(3));
        for f in ["bytes", "packets", "drops", "qlen", "backlog", "overlimits", "requeues"] {
            assert!(q.field(f).is_some());
        }
    }
    let payloads: Vec<Vec<u8>> = netlink::messages(data).flatten().map(|m| m.payload.to_vec()).collect();
    for q in tc::qdiscs(&payloads) {
        let _ = q.is_root();
    }
});
