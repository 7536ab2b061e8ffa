//! The platform backends behind the data model (`agent.platform`, issue "platform
//! backends"): the external backends of the `backend` sections first (issue 17), then
//! OpenWrt's UCI files (they own the configurable tables), then the Linux host (sysfs,
//! procfs, netlink), both below `agent.platform_root`.

use crate::config::{Config, Platform};
use crate::model::Model;
use crate::shell::persist::State;

/// Puts the platform backends behind the model (`agent.platform`): OpenWrt's UCI files first
/// (they own the configurable tables), then the Linux host (sysfs, procfs, netlink).
pub(super) fn add_platform_backends(model: &mut Model, config: &Config, state: &State) {
    add_external_backends(model, config, state);
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
        let uci = crate::backend::uci::UciBackend::new(root.clone())
            .with_reload_command(a.reload_command.clone())
            .with_mapping_dir(&a.mapping_dir);
        for p in uci.problems() {
            log::warn!("UCI: {p}");
        }
        log::info!("platform backend: OpenWrt UCI below {}", root.display());
        model.add_backend(Box::new(uci), &state.model);
    }
    if linux {
        add_linux_backend(model, config, state);
    }
    #[cfg(feature = "storage")]
    if linux {
        let storage = crate::backend::storage::StorageBackend::for_platform(root, openwrt, a.reload_command.clone());
        log::info!("platform backend: TR-140 storage");
        model.add_backend(Box::new(storage), &state.model);
    }
}

/// The Linux host backend (sysfs, procfs, netlink) below `agent.platform_root`.
fn add_linux_backend(model: &mut Model, config: &Config, state: &State) {
    let root = config.agent.platform_root.clone();
    log::info!("platform backend: Linux below {}", root.display());
    // On OpenWrt the IP.Interface rows are UCI's: references name netifd interfaces.
    let openwrt = matches!(config.agent.platform, crate::config::Platform::OpenWrt)
        || (matches!(config.agent.platform, crate::config::Platform::Auto) && root.join("etc/config/network").exists());
    let linux = crate::backend::linux::LinuxBackend::with_root(root.clone()).openwrt_interfaces(openwrt);
    model.add_backend(Box::new(linux), &state.model);
    let own_certs = [&config.acs.ca_file, &config.acs.client_cert].into_iter().flatten().cloned().collect();
    let t = &config.transfer;
    let restorable = !t.vendor_config_apply_command.is_empty();
    let system = crate::backend::system::SystemBackend::new(root)
        .with_certificate_files(own_certs)
        .with_vendor_config_file(t.upload_config_file.clone(), restorable);
    model.add_backend(Box::new(system), &state.model);
}

/// The external backends (`backend` sections) before the platform's, so a plugin's subtree
/// is its own. Start-up waits for each plugin's `hello` at most its timeout; one that is not
/// there yet is connected in the background (its parameters fault 9002 until then).
fn add_external_backends(model: &mut Model, config: &Config, state: &State) {
    use crate::backend::external::ExternalBackend;
    for b in &config.backends {
        match ExternalBackend::start(b) {
            Ok(backend) => {
                if !backend.wait_ready(b.timeout) {
                    log::warn!("plugin {}: not ready at start; its parameters fault until it is", b.name);
                }
                log::info!("external backend {} serves {}", b.name, b.root);
                model.add_backend(Box::new(backend), &state.model);
            }
            Err(e) => log::error!("plugin {}: cannot start its thread: {e}", b.name),
        }
    }
}
