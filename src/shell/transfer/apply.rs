//! Storage and apply side of Downloads (TR-069 Amd 6 A.3.2.8 FileType): the room left in the
//! download directory (statvfs, capped by configuration), the files of one transfer, and the
//! configured apply command per FileType (run as an argument vector with the file path
//! appended, never through a shell, by [`super::apply_job`]: the ACS chooses URL,
//! TargetFileName and CommandKey), and the rule for an apply a restart left without result.
//! An apply command that fails gives 9018 (file unusable) in TransferComplete.

use super::queue::fault;
use crate::config::TransferConfig;
use crate::proto::fault::FaultCode;
use crate::proto::rpc::FaultStruct;
use std::path::{Path, PathBuf};

pub use crate::proto::transfer::{FIRMWARE, VENDOR_CONFIG, WEB_CONTENT};

/// The apply argv for a Download FileType, if this device is configured for it.
pub fn command<'a>(cfg: &'a TransferConfig, file_type: &str) -> Option<&'a [String]> {
    let argv: &[String] = match file_type {
        FIRMWARE => &cfg.firmware_apply_command,
        WEB_CONTENT => &cfg.web_content_apply_command,
        VENDOR_CONFIG => &cfg.vendor_config_apply_command,
        other => cfg.vendor_apply_commands.iter().find(|(t, _)| t == other).map(|(_, c)| c.as_slice())?,
    };
    (!argv.is_empty()).then_some(argv)
}

/// The file an Upload FileType sends: `1 Vendor Configuration File` and `3 Vendor
/// Configuration File 1` the configured configuration file, `2 Vendor Log File` and
/// `4 Vendor Log File 1` the configured log file (one instance of each exists).
pub fn upload_source<'a>(cfg: &'a TransferConfig, file_type: &str) -> Option<&'a Path> {
    match file_type {
        "1 Vendor Configuration File" | "3 Vendor Configuration File 1" => cfg.upload_config_file.as_deref(),
        "2 Vendor Log File" | "4 Vendor Log File 1" => cfg.upload_log_file.as_deref(),
        _ => None,
    }
}

/// (partial, complete) file names of transfer `id`: ids, never ACS text, name files.
pub fn files(cfg: &TransferConfig, id: u64) -> (PathBuf, PathBuf) {
    let done = cfg.download_dir.join(format!("transfer-{id}"));
    (done.with_extension("part"), done)
}

/// Bytes a download may take: the free space of the download directory for unprivileged
/// users, capped by `download_max_bytes` when set.
// The statvfs field types are u64 here but 32-bit on some targets: the conversions stay.
#[allow(clippy::useless_conversion)]
pub fn room(cfg: &TransferConfig) -> u64 {
    let _ = std::fs::create_dir_all(&cfg.download_dir);
    let free = nix::sys::statvfs::statvfs(&cfg.download_dir)
        .map(|s| u64::from(s.blocks_available()).saturating_mul(u64::from(s.fragment_size())))
        .unwrap_or(0);
    match cfg.download_max_bytes {
        0 => free,
        cap => free.min(cap),
    }
}

/// The TransferComplete fault of an apply that a restart found without a result (README
/// "Transfers", durability): `ran` when its command was started, else its downloaded file
/// is gone and no run was recorded. After a boot a firmware apply counts as done: the image
/// reboots the device (as sysupgrade does) before anything is recorded, and a boot empties
/// a download directory on tmpfs of the file and the record alike. Anything else is 9002
/// and is not run again.
pub fn unknown_outcome(file_type: &str, boot: bool, ran: bool) -> FaultStruct {
    if boot && file_type == FIRMWARE {
        return super::queue::success();
    }
    if ran {
        super::apply_job::interrupted()
    } else {
        fault(FaultCode::INTERNAL_ERROR, "downloaded file gone and no apply recorded; not applied")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cfg() -> TransferConfig {
        crate::config::Config::parse(
            "config transfer\n\toption download_dir '/tmp'\n\toption download_max_bytes '1000'\n\
             \toption firmware_apply_command '/bin/true'\n\toption upload_log_file '/var/log/x'\n\
             config apply\n\toption file_type 'X 00D09E Tone'\n\toption command '/bin/false'\n",
        )
        .unwrap()
        .transfer
    }

    #[test]
    fn commands_sources_and_room() {
        let c = cfg();
        assert!(command(&c, FIRMWARE).is_some());
        assert!(command(&c, WEB_CONTENT).is_none());
        assert!(command(&c, "X 00D09E Tone").is_some());
        assert!(command(&c, "X 00D09E Other").is_none());
        assert_eq!(upload_source(&c, "4 Vendor Log File 1"), Some(Path::new("/var/log/x")));
        assert!(upload_source(&c, "1 Vendor Configuration File").is_none());
        assert!(upload_source(&c, "4 Vendor Log File 2").is_none());
        assert!(room(&c) <= 1000);
        assert_eq!(files(&c, 3).0, PathBuf::from("/tmp/transfer-3.part"));
    }

    #[test]
    fn an_apply_without_result_is_never_run_again() {
        assert_eq!(unknown_outcome(FIRMWARE, true, true).fault_code, 0, "the image rebooted the device");
        assert_eq!(unknown_outcome(FIRMWARE, true, false).fault_code, 0, "a boot emptied a tmpfs directory");
        for (file_type, boot, ran) in
            [(FIRMWARE, false, true), (VENDOR_CONFIG, true, true), (WEB_CONTENT, false, false)]
        {
            let f = unknown_outcome(file_type, boot, ran);
            assert_eq!(f.fault_code, 9002, "{file_type} {boot} {ran}");
            assert!(!f.fault_string.is_empty());
        }
    }
}
