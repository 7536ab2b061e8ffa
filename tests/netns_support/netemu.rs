//! A network emulator for the namespace tests: a userspace delay-and-loss line that stands
//! in for `tc qdisc ... netem`, because this kernel (and CI's) has no sch_netem
//! (`Specified qdisc kind is unknown`; only tbf, htb, pfifo and clsact are there).
//!
//! A line lives in a router namespace as two TUN devices, `<name>i` (into the line) and
//! `<name>o` (out of it). Policy rules ([`NetEmu::divert`]) send chosen forwarded traffic
//! (what arrives on a veth, what goes to a prefix) to a routing table of the line's own
//! whose default route is `<name>i`. A thread of the test reads every packet the kernel
//! writes there, holds it for the line's delay, drops it with the line's loss probability
//! (an xorshift generator from a fixed seed: the same packet sequence meets the same fate on
//! every run), gives back the hop the detour cost (TTL / Hop Limit + 1, so the router still
//! counts as one hop) and writes it into `<name>o`. The kernel receives it there as from a
//! wire and forwards it by its main table (a rule placed ahead of the diversions). So the
//! prober's real sockets, the routers' real forwarding and the far host's own kernel (echo
//! replies, ICMP errors, TCP, UDP) are used end to end; only the wire's delay and loss are
//! made in userspace. Deleted with its namespace; the thread stops on drop.
//!
//! Unlike netem on a device, a line delays only what its selectors divert: one direction
//! (as netem on the prober's egress), or both when both are diverted. The router's own
//! IPv6 chatter on the TUN device (MLD reports, router solicitations) is discarded without
//! a drop decision. The thread runs under SCHED_FIFO where the scheduler allows
//! ([`realtime`]): netem's timers run in the kernel, and a thread at normal priority on a
//! loaded machine wakes milliseconds late. Measured here (2 cores, load 11): a 20 ms line
//! gives ICMP round trips of 20.17-20.23 ms at best, 20.2-20.4 ms on average.
//!
//! Needs /dev/net/tun and root (TUNSETIFF in the router namespace). The crate denies
//! `unsafe_code`; this file allows it for the two calls std and nix do not wrap (TUNSETIFF,
//! sched_setscheduler), each with its SAFETY note.
#![allow(unsafe_code)]

use super::{ip, Pair};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the line does to every packet that enters it.
#[derive(Debug, Clone, Copy)]
pub struct Line {
    /// How long each packet is held (one way).
    pub delay: Duration,
    /// Probability in 0..=1 that a packet is dropped.
    pub loss: f64,
    /// Seed of the drop decisions.
    pub seed: u64,
}

impl Line {
    pub fn delay(delay: Duration) -> Line {
        Line { delay, loss: 0.0, seed: 1 }
    }
}

/// Packets the line passed on and dropped so far.
#[derive(Debug, Default)]
pub struct Counts {
    pub passed: AtomicUsize,
    pub dropped: AtomicUsize,
}

/// One running line in a router namespace (see the module doc).
#[derive(Debug)]
pub struct NetEmu {
    ns: String,
    pub name: String,
    table: u32,
    stop: Arc<AtomicBool>,
    pub counts: Arc<Counts>,
    thread: Option<JoinHandle<()>>,
}

/// Routing tables of the lines of this process (one each).
static NEXT_TABLE: AtomicU32 = AtomicU32::new(1000);

impl NetEmu {
    /// Makes the TUN pair `<name>i` / `<name>o` (name: at most 14 bytes) in namespace `ns`,
    /// the line's table and the rule that routes what leaves it by the main table, and
    /// starts the thread. Nothing is diverted into it yet ([`NetEmu::divert`]).
    pub fn start(ns: &str, name: &str, line: Line) -> Result<NetEmu, String> {
        let (inp, out) = {
            let (i, o) = (format!("{name}i"), format!("{name}o"));
            Pair::within(ns, move || Ok::<_, String>((open_tun(&i)?, open_tun(&o)?)))?
        };
        let table = NEXT_TABLE.fetch_add(1, Ordering::Relaxed);
        let t = table.to_string();
        let (i, o) = (format!("{name}i"), format!("{name}o"));
        ip(&["-n", ns, "link", "set", &i, "up"])?;
        ip(&["-n", ns, "link", "set", &o, "up"])?;
        for family in ["-4", "-6"] {
            ip(&["-n", ns, family, "route", "add", "default", "dev", &i, "table", &t])?;
            ip(&["-n", ns, family, "rule", "add", "iif", &o, "lookup", "main", "pref", "100"])?;
        }
        // What leaves the line arrives on `o` with a source routed elsewhere: no reverse
        // path filter; forwarding on (again, for the new devices).
        let devices = [i.clone(), o.clone()];
        Pair::within(ns, move || {
            let mut files: Vec<(String, &str)> = vec![
                ("/proc/sys/net/ipv4/ip_forward".into(), "1"),
                ("/proc/sys/net/ipv6/conf/all/forwarding".into(), "1"),
                ("/proc/sys/net/ipv4/conf/all/rp_filter".into(), "0"),
            ];
            for d in &devices {
                files.push((format!("/proc/sys/net/ipv4/conf/{d}/rp_filter"), "0"));
                files.push((format!("/proc/sys/net/ipv6/conf/{d}/forwarding"), "1"));
            }
            files.iter().try_for_each(|(f, v)| std::fs::write(f, v).map_err(|e| format!("{f}: {e}")))
        })?;
        let stop = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(Counts::default());
        let thread = {
            let (stop, counts) = (stop.clone(), counts.clone());
            std::thread::spawn(move || service(&inp, &out, line, &stop, &counts))
        };
        Ok(NetEmu { ns: ns.to_string(), name: name.to_string(), table, stop, counts, thread: Some(thread) })
    }

    /// Sends the forwarded traffic `selector` matches (`ip rule` selector words, such as
    /// `iif DEV` or `to PREFIX`) through the line: both families, or the family of the
    /// address in the selector.
    pub fn divert(&self, selector: &[&str]) -> Result<(), String> {
        let has = |v6: bool| {
            selector
                .iter()
                .any(|w| w.split('/').next().unwrap().parse::<std::net::IpAddr>().is_ok_and(|a| a.is_ipv6() == v6))
        };
        let families: &[&str] = match (has(false), has(true)) {
            (true, false) => &["-4"],
            (false, true) => &["-6"],
            _ => &["-4", "-6"],
        };
        let t = self.table.to_string();
        for family in families {
            let mut args = vec!["-n", &self.ns, family, "rule", "add"];
            args.extend_from_slice(selector);
            args.extend_from_slice(&["lookup", &t, "pref", "200"]);
            ip(&args)?;
        }
        Ok(())
    }

    pub fn passed(&self) -> usize {
        self.counts.passed.load(Ordering::Relaxed)
    }

    pub fn dropped(&self) -> usize {
        self.counts.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for NetEmu {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `struct ifreq` as TUNSETIFF reads it: the name, the flags, the rest of the union.
#[repr(C)]
struct IfReq {
    name: [u8; 16],
    flags: i16,
    pad: [u8; 22],
}

/// Opens /dev/net/tun and makes it the layer-3 TUN device `name` (no packet information
/// header), in the calling thread's network namespace. Gone when the file is closed.
fn open_tun(name: &str) -> Result<File, String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/net/tun")
        .map_err(|e| format!("/dev/net/tun: {e}"))?;
    let mut req = IfReq { name: [0; 16], flags: (nix::libc::IFF_TUN | nix::libc::IFF_NO_PI) as i16, pad: [0; 22] };
    if name.len() >= req.name.len() {
        return Err(format!("TUN name {name} too long"));
    }
    req.name[..name.len()].copy_from_slice(name.as_bytes());
    // SAFETY: TUNSETIFF reads (and writes back the name into) a struct ifreq; `req` has its
    // layout and size (40 bytes, the size of struct ifreq on 64-bit Linux) and outlives the call.
    let rc = unsafe { nix::libc::ioctl(file.as_raw_fd(), nix::libc::TUNSETIFF, &mut req as *mut IfReq) };
    if rc < 0 {
        return Err(format!("TUNSETIFF {name}: {}", std::io::Error::last_os_error()));
    }
    Ok(file)
}

/// One test of a process at a time (hold the guard for the test): lines, probers and
/// responders run at real-time priority, and several tests' worth of them on a two-core
/// machine would delay one another.
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ONE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Puts the calling thread under SCHED_FIFO (priority 10): on a machine shared by
/// builders, a thread at normal priority can wake tens of milliseconds after its timer,
/// and the test would measure the scheduler instead of the line (netem's hrtimers run in
/// the kernel and do not wait for a CPU). False when the scheduler refuses.
pub fn realtime() -> bool {
    let param = nix::libc::sched_param { sched_priority: 10 };
    // SAFETY: sched_setscheduler reads `param` during the call; pid 0 is the calling thread.
    unsafe { nix::libc::sched_setscheduler(0, nix::libc::SCHED_FIFO, &param) == 0 }
}

/// The line's thread: reads what enters, holds it, drops or passes it, until `stop`.
fn service(inp: &File, out: &File, line: Line, stop: &AtomicBool, counts: &Counts) {
    use nix::poll::{ppoll, PollFd, PollFlags};
    if !realtime() {
        eprintln!("netemu: no real-time priority for the line thread: {}", std::io::Error::last_os_error());
    }
    let mut rng = Xorshift(line.seed | 1);
    let mut held: VecDeque<(Instant, Vec<u8>)> = VecDeque::new();
    let mut buf = vec![0u8; 65_536];
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        while held.front().is_some_and(|(due, _)| *due <= now) {
            let (_, packet) = held.pop_front().unwrap();
            let _ = (&*out).write(&packet);
        }
        let wait = held.front().map_or(Duration::from_millis(20), |(due, _)| due.saturating_duration_since(now));
        let timeout = nix::sys::time::TimeSpec::from_duration(wait.min(Duration::from_millis(20)));
        let mut fds = [PollFd::new(inp.as_fd(), PollFlags::POLLIN)];
        if !matches!(ppoll(&mut fds, Some(timeout), None), Ok(n) if n > 0) {
            continue;
        }
        let Ok(n) = (&*inp).read(&mut buf) else { continue };
        let arrived = Instant::now();
        if own_chatter(&buf[..n]) {
            continue;
        }
        if rng.unit() < line.loss {
            counts.dropped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let mut packet = buf[..n].to_vec();
        restore_hop(&mut packet);
        counts.passed.fetch_add(1, Ordering::Relaxed);
        held.push_back((arrived + line.delay, packet));
    }
}

/// What the router's kernel sends on the TUN device itself, not forwarded traffic: IPv6
/// from a link-local source or to a multicast group (MLD reports, router solicitations).
/// The line discards it without a drop decision, so the seed decides over forwarded
/// packets only.
fn own_chatter(packet: &[u8]) -> bool {
    packet.first().is_some_and(|b| b >> 4 == 6)
        && (packet.get(8..10) == Some(&[0xfe, 0x80][..]) || packet.get(24) == Some(&0xff))
}

/// Adds back the TTL (IPv4, header checksum recomputed) or Hop Limit (IPv6) the router
/// took for forwarding into the line: it takes one more when the packet leaves it.
fn restore_hop(packet: &mut [u8]) {
    match packet.first().map(|b| b >> 4) {
        Some(4) if packet.len() >= 20 => {
            let ihl = (usize::from(packet[0] & 0x0f) * 4).clamp(20, packet.len());
            packet[8] = packet[8].saturating_add(1);
            packet[10..12].copy_from_slice(&[0, 0]);
            let sum = header_checksum(&packet[..ihl]).to_be_bytes();
            packet[10..12].copy_from_slice(&sum);
        }
        Some(6) if packet.len() >= 40 => packet[7] = packet[7].saturating_add(1),
        _ => {}
    }
}

/// The Internet checksum (RFC 1071) of an IPv4 header whose checksum field is zero.
fn header_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header.chunks(2).map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]))).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// xorshift64*: the drop decisions, reproducible from the seed.
struct Xorshift(u64);

impl Xorshift {
    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}
