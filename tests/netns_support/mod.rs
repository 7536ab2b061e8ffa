//! Network namespaces for the diagnostics tests: made by the test, deleted on drop; a
//! thread enters one with setns(2). [`Pair`]: two namespaces on a veth; [`Net`]: any number
//! joined link by link (a chain of routers, a router with hosts), with delay and loss from
//! [`netemu`] lines (the kernel has no sch_netem); [`tr181_run`] runs a diagnostic through
//! the model in a namespace. Needs root and iproute2 (`ip`, `tc`): without them a test
//! prints `skipped: ...`, and fails instead when `CI` is set.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

pub mod netemu;

use std::process::Command;

pub fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("namespace test cannot run under CI: {why}");
    }
    eprintln!("skipped: {why}");
}

pub fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip").args(args).output().map_err(|e| format!("ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Two namespaces `a` (prober) and `b` (target) joined by veth `x` (in a) / `y` (in b):
/// 192.0.2.1 / 2001:db8::1 and 192.0.2.2 / 2001:db8::2; netem on `x` where the kernel has
/// sch_netem (none here nor in CI: delay and loss come from [`netemu`] lines on a [`Net`]).
/// Deleted on drop.
pub struct Pair {
    pub a: String,
    pub b: String,
    pub x: String,
}

impl Pair {
    pub fn new(tag: &str, netem: &[&str]) -> Result<Pair, String> {
        let id = std::process::id();
        let p = Pair { a: format!("cwd{id}{tag}a"), b: format!("cwd{id}{tag}b"), x: format!("cwd{id}{tag}x") };
        let y = format!("cwd{id}{tag}y");
        ip(&["netns", "add", &p.a])?;
        ip(&["netns", "add", &p.b])?;
        ip(&["link", "add", &p.x, "netns", &p.a, "type", "veth", "peer", "name", &y, "netns", &p.b])?;
        for (ns, dev, v4, v6) in
            [(&p.a, &p.x, "192.0.2.1/24", "2001:db8::1/64"), (&p.b, &y, "192.0.2.2/24", "2001:db8::2/64")]
        {
            ip(&["-n", ns, "addr", "add", v4, "dev", dev])?;
            ip(&["-n", ns, "addr", "add", v6, "dev", dev, "nodad"])?;
            ip(&["-n", ns, "link", "set", dev, "up"])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        if !netem.is_empty() {
            let mut tc = vec!["netns", "exec", &p.a, "tc", "qdisc", "add", "dev", &p.x, "root", "netem"];
            tc.extend_from_slice(netem);
            ip(&tc)?;
        }
        Ok(p)
    }

    /// Runs `f` on a thread inside namespace `ns`.
    pub fn within<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
        let path = format!("/run/netns/{ns}");
        std::thread::spawn(move || {
            let fd = std::fs::File::open(&path).unwrap();
            nix::sched::setns(fd, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            f()
        })
        .join()
        .unwrap()
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.a]);
        let _ = ip(&["netns", "del", &self.b]);
    }
}

pub fn setup(tag: &str, netem: &[&str]) -> Option<Pair> {
    if Command::new("ip").arg("-V").output().is_err() {
        skip_or_fail("no `ip` command (apt-get install iproute2)");
        return None;
    }
    if !netem.is_empty() && !netem_available() {
        // A kernel module, not a package: CI cannot install it, so this skips everywhere.
        eprintln!("skipped: this kernel has no sch_netem qdisc (netemu lines stand in for it: Net, netemu::NetEmu)");
        return None;
    }
    match Pair::new(tag, netem) {
        Ok(p) => Some(p),
        Err(e) => {
            skip_or_fail(&format!("cannot build the namespaces (root, netns, veth, netem needed): {e}"));
            None
        }
    }
}

/// Whether the running kernel has the netem qdisc (built in, loaded, or loadable).
fn netem_available() -> bool {
    if std::path::Path::new("/sys/module/sch_netem").exists() {
        return true;
    }
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let dir = format!("/lib/modules/{}/kernel/net/sched", release.trim());
    let loadable =
        std::fs::read_dir(dir).map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("sch_netem")));
    loadable.unwrap_or(false) && Command::new("modprobe").arg("sch_netem").status().is_ok_and(|s| s.success())
}

/// Namespaces `cwd{pid}{tag}{i}` joined by veth links made one by one ([`Net::link`]):
/// link L has 192.0.2.(32L+1)/27 and 2001:db8:L::1/64 on its left node's side
/// (device `cwd{pid}{tag}{L}l`, MAC 02:cd:00:00:LL:01), .(32L+2) and ::2 on the right's
/// (`...{L}r`, ...:02), each side's neighbour entry for the other permanent; at most 8
/// links. Every node forwards, answers ICMP without rate limits. Deleted on drop.
pub struct Net {
    pub ns: Vec<String>,
    prefix: String,
    links: usize,
}

impl Drop for Net {
    fn drop(&mut self) {
        for ns in &self.ns {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

impl Net {
    pub fn new(tag: &str, nodes: usize) -> Result<Net, String> {
        let prefix = format!("cwd{}{tag}", std::process::id());
        let mut net = Net { ns: Vec::new(), prefix, links: 0 };
        for i in 0..nodes {
            let ns = format!("{}{i}", net.prefix);
            ip(&["netns", "add", &ns])?;
            net.ns.push(ns.clone());
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
            Pair::within(&ns, forwarding_on)?;
        }
        Ok(net)
    }

    /// `A - R1 - ... - Rn - B`: nodes 0..=routers+1 joined by links 0..=routers, every node
    /// routing towards both ends.
    pub fn chain(tag: &str, routers: usize) -> Result<Net, String> {
        let mut net = Net::new(tag, routers + 2)?;
        for l in 0..=routers {
            net.link(l, l + 1)?;
        }
        for node in 0..net.ns.len() {
            for l in 0..=routers {
                // Link l joins nodes l and l+1: links right of the node go via the next
                // node, links left of it via the previous one.
                let (via_link, side) = if l > node {
                    (node, "r")
                } else if l + 1 < node {
                    (node - 1, "l")
                } else {
                    continue;
                };
                net.route(
                    node,
                    &["-4", "route", "add", &format!("192.0.2.{}/27", 32 * l), "via", &Net::v4(via_link, side)],
                )?;
                net.route(
                    node,
                    &["-6", "route", "add", &format!("2001:db8:{l}::/64"), "via", &Net::v6(via_link, side)],
                )?;
            }
        }
        Ok(net)
    }

    /// `A - R - B`: nodes 0, 1, 2 on links 0 and 1, A and B routing everything via R.
    pub fn via_router(tag: &str) -> Result<Net, String> {
        let mut net = Net::new(tag, 3)?;
        net.link(0, 1)?;
        net.link(1, 2)?;
        net.default_via(0, 0, "r")?;
        net.default_via(2, 1, "l")?;
        Ok(net)
    }

    /// Joins `left` and `right` by the next link; returns its number.
    pub fn link(&mut self, left: usize, right: usize) -> Result<usize, String> {
        let l = self.links;
        assert!(l < 8, "at most 8 links");
        let (ld, rd) = (self.dev(l, "l"), self.dev(l, "r"));
        let (lm, rm) = (format!("02:cd:00:00:{l:02x}:01"), format!("02:cd:00:00:{l:02x}:02"));
        let (left_ns, right_ns) = (&self.ns[left], &self.ns[right]);
        ip(&["link", "add", &ld, "address", &lm, "netns", left_ns, "type", "veth"]
            .into_iter()
            .chain(["peer", "name", &rd, "address", &rm, "netns", right_ns])
            .collect::<Vec<_>>())?;
        for (ns, dev, side) in [(left_ns, &ld, "l"), (right_ns, &rd, "r")] {
            ip(&["-n", ns, "addr", "add", &format!("{}/27", Net::v4(l, side)), "dev", dev])?;
            ip(&["-n", ns, "addr", "add", &format!("{}/64", Net::v6(l, side)), "dev", dev, "nodad"])?;
            ip(&["-n", ns, "link", "set", dev, "up"])?;
        }
        // Each side knows the other's hardware address from the start: a first neighbour
        // discovery between fresh namespaces can take a second (a lost first solicitation),
        // which a measured round trip would include.
        for (ns, dev, other, mac) in [(left_ns, &ld, "r", &rm), (right_ns, &rd, "l", &lm)] {
            for addr in [Net::v4(l, other), Net::v6(l, other)] {
                ip(&["-n", ns, "neigh", "replace", &addr, "lladdr", mac, "dev", dev, "nud", "permanent"])?;
            }
        }
        self.links += 1;
        Ok(l)
    }

    /// `cwd{pid}{tag}{suffix}`: a name of this net's own (for devices, at most 15 bytes).
    pub fn name(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.prefix)
    }

    /// The device of link `l` on side `"l"` or `"r"`.
    pub fn dev(&self, l: usize, side: &str) -> String {
        format!("{}{l}{side}", self.prefix)
    }

    /// The IPv4 address of link `l`'s side `"l"` (.1) or `"r"` (.2).
    pub fn v4(l: usize, side: &str) -> String {
        format!("192.0.2.{}", 32 * l + if side == "l" { 1 } else { 2 })
    }

    pub fn v6(l: usize, side: &str) -> String {
        format!("2001:db8:{l}::{}", if side == "l" { 1 } else { 2 })
    }

    /// `ip -n NODE ARGS...` (ARGS such as `-4 route add default via ...`).
    pub fn route(&self, node: usize, args: &[&str]) -> Result<(), String> {
        let mut all = vec!["-n", &self.ns[node]];
        all.extend_from_slice(args);
        ip(&all)
    }

    /// A default route (both families) for `node` via side `side` of link `l`.
    pub fn default_via(&self, node: usize, l: usize, side: &str) -> Result<(), String> {
        self.route(node, &["-4", "route", "add", "default", "via", &Net::v4(l, side)])?;
        self.route(node, &["-6", "route", "add", "default", "via", &Net::v6(l, side)])
    }
}

/// Forwarding on, ICMP rate limits off, and no duplicate address detection on the devices
/// made afterwards (every address is the test's own: usable at once, link-local included).
fn forwarding_on() -> Result<(), String> {
    for (file, value) in [
        ("/proc/sys/net/ipv6/conf/all/accept_dad", "0"),
        ("/proc/sys/net/ipv6/conf/default/accept_dad", "0"),
        ("/proc/sys/net/ipv4/ip_forward", "1"),
        ("/proc/sys/net/ipv6/conf/all/forwarding", "1"),
        ("/proc/sys/net/ipv4/icmp_ratelimit", "0"),
        ("/proc/sys/net/ipv6/icmp/ratelimit", "0"),
    ] {
        std::fs::write(file, value).map_err(|e| format!("{file}: {e}"))?;
    }
    Ok(())
}

/// Whether TUN devices can be made here (for [`netemu`]): /dev/net/tun opens.
pub fn tun_available() -> bool {
    std::fs::OpenOptions::new().read(true).write(true).open("/dev/net/tun").is_ok()
}

/// Whether namespaces with emulated lines can be made: `ip` and /dev/net/tun; otherwise
/// says why ([`skip_or_fail`]).
pub fn netemu_ready() -> bool {
    if Command::new("ip").arg("-V").output().is_err() {
        skip_or_fail("no `ip` command (apt-get install iproute2)");
        return false;
    }
    if !tun_available() {
        skip_or_fail("cannot open /dev/net/tun (root and the tun driver needed)");
        return false;
    }
    true
}

/// What a topology builder made, or `None` after [`skip_or_fail`] said why it could not.
pub fn built<T>(what: Result<T, String>) -> Option<T> {
    what.map_err(|e| skip_or_fail(&format!("cannot build the namespaces (root, netns, veth, tun needed): {e}"))).ok()
}

/// Runs a diagnostic the way an ACS has it run: its parameters under `object` (such as
/// `Device.IP.Diagnostics.IPPing.`) and `DiagnosticsState` = `Requested` written in one
/// SetParameterValues through the model (schema checks included), the run snapshotted by
/// the diagnostics store and carried out by cwmpd's worker function inside namespace `ns`,
/// its outcome stored, and every parameter of `object` read back by GetParameterValues
/// (names relative to `object`, `RouteHops.1.HostAddress` included). The run's thread is
/// real-time ([`netemu::realtime`]) where the scheduler allows: what is measured is then
/// the path and cwmpd's timestamps, not how late a loaded machine wakes a thread.
#[cfg(feature = "diagnostics")]
pub fn tr181_run(ns: &str, object: &str, set: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    use cwmpd::backend::diagnostics::{run, Change, DiagnosticsBackend, Store};
    use cwmpd::model::{Model, ModelState};
    use cwmpd::proto::rpc::ParameterValueStruct;
    let mut state = ModelState::default();
    let store = Store::default();
    let mut model = Model::new(Box::new(DiagnosticsBackend::new(store.clone())), &state);
    let pv =
        |n: &str, v: &str| ParameterValueStruct { name: format!("{object}{n}"), value: v.into(), value_type: None };
    let mut list: Vec<ParameterValueStruct> = set.iter().map(|(n, v)| pv(n, v)).collect();
    list.push(pv("DiagnosticsState", "Requested"));
    model.set_parameter_values(&list, "netns", &mut state).unwrap();
    let changes = store.take_changes();
    assert!(matches!(changes.as_slice(), [(_, Change::Requested)]), "{changes:?}");
    let job = store.start(changes[0].0).unwrap();
    let outcome = {
        let job = job.clone();
        Pair::within(ns, move || {
            netemu::realtime();
            run::run(&job)
        })
    };
    assert!(store.finish(&job, outcome));
    let values = model.get_parameter_values(&[object.into()]).unwrap();
    values.into_iter().map(|p| (p.name.strip_prefix(object).unwrap_or(&p.name).to_string(), p.value)).collect()
}
