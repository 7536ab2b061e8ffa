//! DHCP values handed over by the DHCP client hooks through the control socket (TR-069
//! Amd 6 section 3.1 ACS discovery; Annex F identities): parsed by [`crate::proto::dhcp`],
//! kept in the agent backend's [`DhcpStore`]. The ACS discovery option and the gateway's
//! option 125 are persisted beside the state file (`<state_file>.dhcp`: their request
//! lines, read back at start through the same control parser), so a restart neither
//! forgets the URL nor reports GatewayInfo as changed. A new URL reaches the brain as a
//! settings change: BOOTSTRAP.

use super::Shell;
use crate::backend::dhcp::DhcpStore;
use crate::config::DhcpDiscovery;
use crate::proto::dhcp::{parse_option125, parse_option17, parse_option43, AcsDiscovery};
use crate::shell::control::{self, Request};
use std::path::{Path, PathBuf};

/// Where the ACS discovery option is kept.
pub(super) fn saved_path(state_file: &Path) -> PathBuf {
    let mut name = state_file.as_os_str().to_os_string();
    name.push(".dhcp");
    PathBuf::from(name)
}

/// The ACS values of an option 43 (`v6` false) or 17 payload; a URL that is not a valid
/// ACS URL is dropped, and without a URL nothing is used.
fn acs_values(v6: bool, option: &[u8]) -> Result<AcsDiscovery, String> {
    let parsed = if v6 { parse_option17(option) } else { parse_option43(option) };
    let mut found = parsed.map_err(|e| e.to_string())?;
    if let Some(Err(e)) = found.url.as_deref().map(crate::config::check_acs_url) {
        log::warn!("DHCP: ACS URL refused: {e}");
        found.url = None;
    }
    if found.url.is_none() {
        return Err("no usable ACS URL (sub-option 1) in the option".into());
    }
    Ok(found)
}

/// The options kept across restarts, as their control requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Saved {
    acs: Option<(bool, Vec<u8>)>,
    gateway: Option<Vec<u8>>,
}

impl Saved {
    fn text(&self) -> String {
        let acs = self.acs.clone().map(|(v6, option)| Request::DhcpAcs { v6, option });
        let gateway = self.gateway.clone().map(Request::DhcpGateway);
        acs.into_iter().chain(gateway).map(|r| control::format(&r)).collect()
    }
}

/// Reads the saved options at start (before the brain's settings are derived); a line
/// that no longer parses is skipped with a warning.
pub(super) fn load(state_file: &Path, store: &DhcpStore) -> Saved {
    let path = saved_path(state_file);
    let mut saved = Saved::default();
    let Ok(text) = std::fs::read_to_string(&path) else { return saved };
    for line in text.lines().take(2) {
        match control::parse(line) {
            Ok(Request::DhcpAcs { v6, option }) => match acs_values(v6, &option) {
                Ok(found) => {
                    log::info!("DHCP: ACS URL {} (saved)", found.url.as_deref().unwrap_or(""));
                    store.lock().acs = found;
                    saved.acs = Some((v6, option));
                }
                Err(e) => log::warn!("{}: {e}", path.display()),
            },
            Ok(Request::DhcpGateway(option)) => match parse_option125(&option, true) {
                Ok(gw) => {
                    store.lock().gateway = gw;
                    saved.gateway = Some(option);
                }
                Err(e) => log::warn!("{}: {e}", path.display()),
            },
            _ => log::warn!("{}: not a saved DHCP option; ignored", path.display()),
        }
    }
    saved
}

/// ManagementServer.ManageableDeviceNotificationLimit as served (0 when unreadable).
pub(super) fn notification_limit(model: &crate::model::Model) -> u32 {
    let name = crate::proto::name::Name::from("Device.ManagementServer.ManageableDeviceNotificationLimit".to_string());
    match model.parameter_values(&[name]) {
        Ok(list) => list.iter().next().and_then(|p| p.value.parse().ok()).unwrap_or(0),
        Err(_) => 0,
    }
}

impl Shell {
    /// `dhcp-acs`: option 43 or 17 from a DHCP client hook.
    pub(super) fn dhcp_acs(&mut self, v6: bool, option: Vec<u8>) -> String {
        if self.config.acs.dhcp_discovery == DhcpDiscovery::Off {
            log::info!("DHCP: ACS discovery option ignored (dhcp_discovery off)");
            return "ok: ignored (dhcp_discovery off)\n".into();
        }
        let found = match acs_values(v6, &option) {
            Ok(f) => f,
            Err(e) => {
                log::warn!("DHCP: option {} refused: {e}", if v6 { 17 } else { 43 });
                return format!("error: {e}\n");
            }
        };
        if self.dhcp.lock().acs == found {
            return "ok\n".into();
        }
        self.save_dhcp(|s| s.acs = Some((v6, option)));
        log::info!(
            "DHCP: ACS URL {}, ProvisioningCode {:?}, retry {:?}/{:?}",
            found.url.as_deref().unwrap_or(""),
            found.provisioning_code,
            found.retry_minimum_wait_interval,
            found.retry_interval_multiplier
        );
        self.dhcp.lock().acs = found;
        self.model.settings_changed();
        // Re-read the settings (at once, or after the running session); a new URL is a
        // new ACS (0 BOOTSTRAP).
        self.cpe.handle_parameters_written(self.now(), &[]);
        "ok\n".into()
    }

    /// Changes the saved options and writes them (atomically; a failure is logged).
    fn save_dhcp(&mut self, change: impl FnOnce(&mut Saved)) {
        change(&mut self.dhcp_saved);
        let path = saved_path(&self.config.agent.state_file);
        if let Err(e) = crate::shell::persist::write_atomic(&path, self.dhcp_saved.text().as_bytes(), 0o600) {
            log::warn!("DHCP: cannot save {}: {e}", path.display());
        }
    }

    /// `dhcp-gateway`: the option 125 this device received (Device.GatewayInfo, Annex F).
    pub(super) fn dhcp_gateway(&mut self, option: &[u8]) -> String {
        match parse_option125(option, true) {
            Ok(gw) if self.dhcp.lock().gateway == gw => "ok\n".into(),
            Ok(gw) => {
                log::info!("DHCP: gateway {} {} {}", gw.manufacturer_oui, gw.product_class, gw.serial_number);
                self.dhcp.lock().gateway = gw;
                self.save_dhcp(|s| s.gateway = Some(option.to_vec()));
                // Compared at once: the values after a session are the ACS's (resynced),
                // and a session may be running now (the BOOTSTRAP the same lease caused).
                self.cpe.check_values_now(self.now());
                "ok\n".into()
            }
            Err(e) => format!("error: DHCP option 125: {e}\n"),
        }
    }

    /// `manageable-device`: a LAN client's option 125 (added) or its lease gone.
    pub(super) fn manageable_device(&mut self, mac: &str, option: Option<&[u8]>) -> String {
        let answer = match option {
            None => {
                self.dhcp.lock().devices.remove(mac);
                "ok\n".to_string()
            }
            Some(bytes) => match parse_option125(bytes, false) {
                Ok(id) => match self.dhcp.lock().add_device(mac, id) {
                    true => "ok\n".into(),
                    false => "error: too many manageable devices\n".into(),
                },
                Err(e) => format!("error: DHCP option 125: {e}\n"),
            },
        };
        self.cpe.check_values_now(self.now());
        answer
    }
}
