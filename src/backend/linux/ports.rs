//! `Device.IP.ActivePort.{i}.` (TR-181 Device:2.19: the TCP ports listening or connected on
//! the device itself) from `/proc/net/tcp` and `/proc/net/tcp6` (Linux `proc_net_tcp`
//! format: `sl local_address rem_address st ...`, addresses as hex 32-bit words in host byte
//! order, ports in hex), and the IPv4/IPv6 switches of `Device.IP.` from procfs (the
//! protocol's `/proc/sys/net` directory, `ipv6/conf/all/disable_ipv6`). Rows are keyed
//! `local remote` (`192.0.2.1:22 192.0.2.7:50312`); only LISTEN and ESTABLISHED sockets are
//! rows (the states TR-181 names). Read-only.

use super::LinuxBackend;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// One TCP socket of `/proc/net/tcp{,6}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivePort {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// `LISTEN` or `ESTABLISHED`.
    pub status: &'static str,
}

impl ActivePort {
    pub fn key(&self) -> String {
        format!("{} {}", self.local, self.remote)
    }
}

/// `0100007F:0050` (IPv4) or 32 hex digits and a port (IPv6): words in host byte order.
fn socket_address(text: &str) -> Option<SocketAddr> {
    let (addr, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        let hex = addr.get(i.checked_mul(8)?..i.checked_mul(8)?.checked_add(8)?)?;
        Some(u32::from_str_radix(hex, 16).ok()?.to_ne_bytes())
    };
    let ip = match addr.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The LISTEN and ESTABLISHED sockets of a `/proc/net/tcp` or `tcp6` text.
pub fn parse(text: &str) -> Vec<ActivePort> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut f = line.split_whitespace().skip(1);
            let (local, remote, state) = (f.next()?, f.next()?, f.next()?);
            let status = match state {
                "01" => "ESTABLISHED",
                "0A" => "LISTEN",
                _ => return None,
            };
            Some(ActivePort { local: socket_address(local)?, remote: socket_address(remote)?, status })
        })
        .collect()
}

impl LinuxBackend {
    fn active_ports(&self) -> Vec<ActivePort> {
        let mut out = Vec::new();
        for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
            for p in self.read(file).map(|t| parse(&t)).unwrap_or_default() {
                if !out.iter().any(|o: &ActivePort| o.key() == p.key()) {
                    out.push(p);
                }
            }
        }
        out
    }

    pub(super) fn active_port_keys(&self) -> Vec<String> {
        self.active_ports().iter().map(ActivePort::key).collect()
    }

    /// A parameter of the ActivePort row `key`; `None` (absent) when the socket is gone.
    pub(super) fn active_port(&self, key: &str, param: &str) -> Option<String> {
        let p = self.active_ports().into_iter().find(|p| p.key() == key)?;
        Some(match param {
            "LocalIPAddress" => p.local.ip().to_string(),
            "LocalPort" => p.local.port().to_string(),
            "RemoteIPAddress" => p.remote.ip().to_string(),
            "RemotePort" => p.remote.port().to_string(),
            "Status" => p.status.to_string(),
            _ => return None,
        })
    }

    /// IPv4Capable/Enable/Status and IPv6Capable/Enable/Status of `Device.IP.`.
    pub(super) fn ip_switches(&self, param: &str) -> Option<String> {
        // Without /proc/sys/net (no procfs there) nothing can be told.
        if !self.exists("/proc/sys/net") {
            return None;
        }
        let v4 = self.exists("/proc/sys/net/ipv4");
        let v6 = self.exists("/proc/sys/net/ipv6");
        let v6_on = v6 && self.line("/proc/sys/net/ipv6/conf/all/disable_ipv6").as_deref() == Some("0");
        let status = |on: bool| if on { "Enabled" } else { "Disabled" }.to_string();
        Some(match param {
            "IPv4Capable" => v4.to_string(),
            // Linux has no switch that turns IPv4 off: enabled wherever it is built in.
            "IPv4Enable" => v4.to_string(),
            "IPv4Status" => status(v4),
            "IPv6Capable" => v6.to_string(),
            "IPv6Enable" => v6_on.to_string(),
            "IPv6Status" => status(v6_on),
            _ => return None,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn hex4(a: [u8; 4]) -> String {
        format!("{:08X}", u32::from_ne_bytes(a))
    }

    #[test]
    fn tcp_lines() {
        let text = format!(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
             0: {}:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n\
             1: {}:0016 {}:C468 01 00000000:00000000 00:00000000 00000000 0 0 2 1\n\
             2: {}:0017 {}:C469 06 00000000:00000000 00:00000000 00000000 0 0 3 1\n\
             3: garbage\n",
            hex4([127, 0, 0, 1]),
            hex4([192, 0, 2, 1]),
            hex4([192, 0, 2, 7]),
            hex4([192, 0, 2, 1]),
            hex4([192, 0, 2, 7]),
        );
        let ports = parse(&text);
        assert_eq!(ports.len(), 2);
        assert_eq!(ports[0].key(), "127.0.0.1:80 0.0.0.0:0");
        assert_eq!(ports[0].status, "LISTEN");
        assert_eq!(ports[1].key(), "192.0.2.1:22 192.0.2.7:50280");
        assert_eq!(ports[1].status, "ESTABLISHED");
        let v6: String = [[0x20, 0x01, 0x0d, 0xb8], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]].map(hex4).concat();
        let text6 = format!("header\n 0: {v6}:1F90 {}:0000 0A x\n", "0".repeat(32));
        assert_eq!(parse(&text6)[0].key(), "[2001:db8::1]:8080 [::]:0");
    }
}
