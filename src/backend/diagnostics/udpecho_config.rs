//! `Device.IP.Diagnostics.UDPEchoConfig.` (TR-181 Issue 2 Amd 19; TR-143 Annex A.1): the
//! configuration of the agent's UDP echo responder and its counters. A backend of its own
//! beside the diagnostics tests: its writable values are configuration, not a test, so the
//! engine keeps them in the state file (`volatile`) and sets them again at start, which
//! starts the responder again. A committed change reaches the responder at once
//! ([`super::udpecho_server::EchoServer::configure`]); Enable from false to true clears the
//! counters and times.
//!
//! Defaults: disabled, every interface, any source, UDP port 7 (the RFC 862 echo port),
//! Echo Plus off. An empty SourceIPAddress answers any source.

use super::udpecho_server::{EchoConfig, EchoServer};
use crate::hal::{Backend, ErrorKind, HalError, Location, Reference, Result, Value};
use crate::proto::diag::udpecho::format_date_time_micros;
use std::net::IpAddr;

pub const OBJECT: &str = "Device.IP.Diagnostics.UDPEchoConfig.";
const DEFAULT_PORT: u16 = 7;
const WRITABLE: &[&str] = &["Enable", "Interface", "SourceIPAddress", "UDPPort", "EchoPlusEnabled"];
const READ_ONLY: &[&str] = &[
    "EchoPlusSupported",
    "PacketsReceived",
    "PacketsResponded",
    "BytesReceived",
    "BytesResponded",
    "TimeFirstPacketReceived",
    "TimeLastPacketReceived",
];

/// The written values, as the engine sees them.
#[derive(Debug, Clone)]
struct Written {
    enable: bool,
    interface: Value,
    source: String,
    port: u16,
    echo_plus: bool,
}

impl Default for Written {
    fn default() -> Self {
        Written {
            enable: false,
            interface: Value::Refs(Vec::new()),
            source: String::new(),
            port: DEFAULT_PORT,
            echo_plus: false,
        }
    }
}

/// The backend (see the module doc).
#[derive(Debug, Default)]
pub struct UdpEchoConfigBackend {
    written: Written,
    staged: Option<Written>,
    server: EchoServer,
}

impl UdpEchoConfigBackend {
    pub fn new() -> UdpEchoConfigBackend {
        UdpEchoConfigBackend::default()
    }

    /// The local port the responder listens on now, if it does (tests).
    pub fn listening_port(&self) -> Option<u16> {
        self.server.listening_port()
    }

    fn config(w: &Written) -> EchoConfig {
        EchoConfig {
            enable: w.enable,
            interface: device(&w.interface),
            source: w.source.parse().ok(),
            port: w.port,
            echo_plus: w.echo_plus,
        }
    }
}

/// The Linux device a row reference names (the key of its `Device.IP.Interface.{i}.` row).
fn device(v: &Value) -> Option<String> {
    match v {
        Value::Refs(r) => match r.first() {
            Some(Reference::Row { key, .. }) => Some(key.clone()),
            _ => None,
        },
        Value::Text(_) | Value::Shared(_) => v.as_text().filter(|t| !t.is_empty()).map(str::to_string),
    }
}

fn time(us: Option<i64>) -> String {
    us.map_or_else(|| crate::clock::UNKNOWN_TIME.to_string(), format_date_time_micros)
}

fn invalid(param: &str) -> HalError {
    HalError::new(ErrorKind::InvalidValue, format!("{OBJECT}{param}"))
}

impl Backend for UdpEchoConfigBackend {
    fn name(&self) -> &str {
        "udpecho"
    }

    fn serves(&self, object: &str) -> bool {
        object == OBJECT
    }

    fn parameters(&self, object: &str) -> Vec<String> {
        if object != OBJECT {
            return Vec::new();
        }
        WRITABLE.iter().chain(READ_ONLY).map(|p| p.to_string()).collect()
    }

    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        Err(HalError::new(ErrorKind::NotFound, at.object))
    }

    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        if at.object != OBJECT {
            return Ok(None);
        }
        let w = &self.written;
        let c = self.server.counters();
        let text = |s: String| Ok(Some(Value::Text(s)));
        match param {
            "Enable" => text(w.enable.to_string()),
            "Interface" => Ok(Some(w.interface.clone())),
            "SourceIPAddress" => text(w.source.clone()),
            "UDPPort" => text(w.port.to_string()),
            "EchoPlusEnabled" => text(w.echo_plus.to_string()),
            "EchoPlusSupported" => text("true".into()),
            "PacketsReceived" => text(c.packets_received.to_string()),
            "PacketsResponded" => text(c.packets_responded.to_string()),
            "BytesReceived" => text(c.bytes_received.to_string()),
            "BytesResponded" => text(c.bytes_responded.to_string()),
            "TimeFirstPacketReceived" => text(time(c.first_received_us)),
            "TimeLastPacketReceived" => text(time(c.last_received_us)),
            _ => Ok(None),
        }
    }

    fn writable(&self, at: &Location, param: &str) -> bool {
        at.object == OBJECT && WRITABLE.contains(&param)
    }

    fn volatile(&self) -> bool {
        true
    }

    fn begin(&mut self) -> Result<()> {
        self.staged = None;
        Ok(())
    }

    fn set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        if !self.writable(at, param) {
            return Err(HalError::new(ErrorKind::NotWritable, format!("{}{param}", at.object)));
        }
        let mut w = self.staged.take().unwrap_or_else(|| self.written.clone());
        let text = value.as_text().unwrap_or("");
        let flag = || matches!(text, "true" | "1");
        match param {
            "Enable" => w.enable = flag(),
            "EchoPlusEnabled" => w.echo_plus = flag(),
            "Interface" => w.interface = value.clone(),
            "UDPPort" => w.port = text.parse().map_err(|_| invalid(param))?,
            "SourceIPAddress" => {
                if !text.is_empty() && text.parse::<IpAddr>().is_err() {
                    return Err(invalid(param));
                }
                w.source = text.to_string();
            }
            _ => return Err(HalError::new(ErrorKind::NotWritable, format!("{OBJECT}{param}"))),
        }
        self.staged = Some(w);
        Ok(())
    }

    fn commit(&mut self) -> Result<crate::hal::Applied> {
        if let Some(w) = self.staged.take() {
            self.server.configure(Self::config(&w));
            self.written = w;
        }
        Ok(crate::hal::Applied::Now)
    }

    fn abort(&mut self) {
        self.staged = None;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::model::{Model, ModelState};
    use crate::proto::diag::udpecho::{request, EchoPlus};
    use crate::proto::rpc::ParameterValueStruct;
    use std::time::Duration;

    fn pv(name: &str, value: &str) -> ParameterValueStruct {
        ParameterValueStruct { name: format!("{OBJECT}{name}"), value: value.into(), value_type: None }
    }

    fn get(m: &Model, name: &str) -> String {
        m.get_parameter_values(&[format!("{OBJECT}{name}").into()]).unwrap()[0].value.clone()
    }

    /// Every parameter of the schema is served; bad values get 9007 and 9008; a set Enable
    /// opens the port; the counters and times show what was answered; the written values
    /// are kept for a restart.
    #[test]
    fn served_through_the_engine() {
        let mut state = ModelState::default();
        let mut m = Model::new(Box::new(UdpEchoConfigBackend::new()), &state);
        let all = m.get_parameter_values(&[OBJECT.into()]).unwrap();
        assert_eq!(all.len(), crate::schema::object(OBJECT).unwrap().params.len(), "{all:?}");
        assert_eq!((get(&m, "UDPPort"), get(&m, "Enable")), (DEFAULT_PORT.to_string(), "false".to_string()));
        assert_eq!(get(&m, "TimeFirstPacketReceived"), crate::clock::UNKNOWN_TIME);
        for (name, value, code) in [("SourceIPAddress", "not-an-ip", 9007), ("PacketsReceived", "1", 9008)] {
            let e = m.set_parameter_values(&[pv(name, value)], "k", &mut state).unwrap_err();
            let codes: Vec<u32> = e.set_parameter_values_faults.iter().map(|f| f.fault_code).collect();
            assert!(e.fault_code == code || codes.contains(&code), "{name}: {e:?}");
        }
        let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let list = [pv("UDPPort", &port.to_string()), pv("EchoPlusEnabled", "true"), pv("Enable", "true")];
        m.set_parameter_values(&list, "k", &mut state).unwrap();
        assert_eq!(state.values.get(&format!("{OBJECT}Enable")).map(String::as_str), Some("true"));
        let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        client.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let mut reply = None;
        for _ in 0..50 {
            client.send_to(&request(5, 30), ("127.0.0.1", port)).unwrap();
            let mut buf = [0u8; 64];
            if let Ok((n, _)) = client.recv_from(&mut buf) {
                reply = Some(buf[..n].to_vec());
                break;
            }
        }
        let h = EchoPlus::decode(&reply.expect("an answer")).unwrap();
        assert_eq!(h.test_gen_sn, 5);
        // The counters are updated right after the answer went out.
        std::thread::sleep(Duration::from_millis(100));
        let received: u32 = get(&m, "PacketsReceived").parse().unwrap();
        assert!(received >= 1);
        assert_eq!(get(&m, "PacketsResponded"), received.to_string());
        assert_eq!(get(&m, "BytesReceived"), (received * 38).to_string());
        let first = get(&m, "TimeFirstPacketReceived");
        assert_eq!(first.len(), "2008-04-09T15:01:05.123456Z".len(), "{first}");
        assert!(crate::clock::parse_date_time(&first).is_ok(), "{first}");
    }
}
