//! The Linux backend's parsers of platform input: rtnetlink datagrams (framing, NLMSG_ERROR,
//! multi-part collection, attributes, ifaddrmsg/rtmsg/ndmsg records, ethtool generic-netlink (link modes and their MAU types, pause, EEE, MDI-X)
//! replies) and the text files it
//! reads (dnsmasq leases, resolv.conf, NTP configurations, TZ strings and TZif footers,
//! /proc/stat, /proc/meminfo, /proc/<pid>/stat). Never panic; parsed slices stay inside
//! the input.
#![no_main]
use cwmpd::backend::linux::{etc, ethtool, ethtool_caps, ethtool_modes, ethtool_pause, ethtool_state, netlink, procfs, rtnl, socket, tz};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for message in netlink::messages(data).flatten() {
        assert!(message.payload.len() <= data.len());
        let _ = rtnl::address(message.payload);
        let _ = rtnl::route(message.payload);
        let _ = rtnl::neighbour(message.payload);
        let _ = ethtool::family_id(message.payload);
        let _ = ethtool::link_modes_reply(message.payload);
        let _ = ethtool_state::eee_reply(message.payload);
        let _ = ethtool_modes::reply(message.payload);
        let _ = ethtool_pause::pause_reply(message.payload);
        let _ = (ethtool_caps::wol_reply(message.payload), ethtool_caps::pause_modes_reply(message.payload));
        let _ = ethtool_state::mdix_reply(message.payload);
        for attr in netlink::attributes(message.payload) {
            assert!(attr.data.len() <= message.payload.len());
        }
    }
    let mut out = Vec::new();
    let seq = data.get(8..12).map_or(0, |b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
    let _ = socket::collect(data, seq, &mut out);
    let _ = tz::tzif_footer(data);

    let text = String::from_utf8_lossy(data);
    let _ = etc::leases(&text);
    let _ = etc::nameservers(&text);
    let _ = etc::ntp_servers(&text);
    let _ = tz::offset(&text, 1_764_070_000);
    let _ = etc::local_time(i64::from(data.len() as u32) * 86_400, &text);
    let _ = procfs::cpu_sample(&text);
    let _ = procfs::meminfo(&text, "MemTotal");
    let _ = procfs::stat_fields(&text);
});
