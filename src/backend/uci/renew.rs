//! `DHCPv4.Client.{i}.Renew` and `DHCPv6.Client.{i}.Renew` on OpenWrt (TR-181 Device:2.19:
//! "when set to true, the client will renew its lease"): netifd's `renew` method of the
//! interface's ubus object, `ubus call network.interface.<name> renew` (netifd hands it to
//! the protocol handler; udhcpc and odhcp6c renew on it), over the native ubus client
//! ([`crate::backend::ubus`]), never a process. Like every write it is staged in the
//! transaction (dropped on abort) and carried out after the session that committed it, after
//! the reload, once per interface. The parameter is a trigger: it always reads `false`
//! (map line `fixed(false)`), and writing `false` does nothing.

use super::{internal, UciBackend};
use crate::backend::ubus::{Client, SOCKET};
use crate::hal::{ErrorKind, HalError, Result, Value};

pub const V4: &str = "Device.DHCPv4.Client.{i}.";
pub const V6: &str = "Device.DHCPv6.Client.{i}.";

/// Whether a write of `(object, param)` is a renew request.
pub fn handles(object: &str, param: &str) -> bool {
    param == "Renew" && (object == V4 || object == V6)
}

/// The interfaces to renew: written in this transaction, and committed not yet done.
#[derive(Debug, Default)]
pub struct Renews {
    staged: Vec<String>,
    committed: Vec<String>,
}

impl Renews {
    /// A write of Renew on interface `name`.
    pub fn stage(&mut self, name: &str, value: &Value) -> Result<()> {
        match value.as_text() {
            Some("true" | "1") if !self.staged.iter().any(|n| n == name) => self.staged.push(name.to_string()),
            Some("true" | "1" | "false" | "0") => {}
            _ => return Err(HalError::new(ErrorKind::InvalidValue, "Renew: boolean expected")),
        }
        Ok(())
    }

    pub fn drop_staged(&mut self) {
        self.staged.clear();
    }

    /// The transaction committed: its renews are carried out at the next apply.
    pub fn commit(&mut self) {
        for name in core::mem::take(&mut self.staged) {
            if !self.committed.contains(&name) {
                self.committed.push(name);
            }
        }
    }

    fn take(&mut self) -> Vec<String> {
        core::mem::take(&mut self.committed)
    }
}

impl UciBackend {
    /// Asks netifd to renew every committed interface; the first failure is returned after
    /// every one was tried.
    pub(super) fn run_renews(&mut self) -> Result<()> {
        let names = self.renews.take();
        if names.is_empty() {
            return Ok(());
        }
        let socket = self.root.join(SOCKET.trim_start_matches('/'));
        let client = Client::new(socket, std::time::Duration::from_secs(2));
        let mut first = Ok(());
        for name in names {
            if let Err(e) = client.call(&format!("network.interface.{name}"), "renew", Vec::new()) {
                log::warn!("uci: renew of interface {name}: {e}");
                if first.is_ok() {
                    first = Err(internal(format!("renew of {name}: {e}")));
                }
            }
        }
        first
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn staged_committed_once_dropped_on_abort() {
        let mut r = Renews::default();
        r.stage("wan", &Value::from("true")).unwrap();
        r.stage("wan", &Value::from("true")).unwrap();
        r.stage("wan6", &Value::from("false")).unwrap();
        assert!(r.stage("wan", &Value::from("yes")).is_err());
        r.commit();
        r.stage("lan", &Value::from("true")).unwrap();
        r.drop_staged();
        r.commit();
        assert_eq!(r.take(), ["wan"]);
        assert!(r.take().is_empty());
    }
}
