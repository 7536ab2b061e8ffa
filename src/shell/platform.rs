//! The platform backends behind the data model (`agent.platform`, issue "platform
//! backends"): OpenWrt's UCI files (they own the configurable tables), then the Linux host
//! (sysfs, procfs, netlink), both below `agent.platform_root`.

use crate::config::{Config, Platform};
use crate::model::Model;
use crate::shell::persist::State;

/// Puts the platform backends behind the model (`agent.platform`): OpenWrt's UCI files first
/// (they own the configurable tables), then the Linux host (sysfs, procfs, netlink).
pub(super) fn add_platform_backends(model: &mut Model, config: &Config, state: &State) {
    let a = &config.agent;
    let root = a.platform_root.clone();
    let (openwrt, linux) = match a.platform {
        Platform::None => (false, false),
        Platform::Auto if a.replay_file.is_some() => (false, false),
        Platform::Auto => (root.join("etc/config/network").exists(), true),
        Platform::OpenWrt => (true, true),
        Platform::Linux => (false, true),
    };
    if openwrt {
        let uci = crate::backend::uci::UciBackend::new(root.clone()).with_reload_command(a.reload_command.clone());
        for p in uci.problems() {
            log::warn!("UCI: {p}");
        }
        log::info!("platform backend: OpenWrt UCI below {}", root.display());
        model.add_backend(Box::new(uci), &state.model);
    }
    if linux {
        add_linux_backend(model, config, state);
    }
}

/// The Linux host backend (sysfs, procfs, netlink) below `agent.platform_root`.
fn add_linux_backend(model: &mut Model, config: &Config, state: &State) {
    let root = config.agent.platform_root.clone();
    log::info!("platform backend: Linux below {}", root.display());
    model.add_backend(Box::new(crate::backend::linux::LinuxBackend::with_root(root)), &state.model);
}
