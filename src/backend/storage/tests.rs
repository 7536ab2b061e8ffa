//! The storage backend over a canned root: a USB disk with a partition mounted, a UCI
//! `samba4` package with shares on it, written through the HAL transaction.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use std::fs;

const USB: &str = "sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sda";

const SAMBA4: &str = "\
# shares of the router
config samba
\toption workgroup 'WORKGROUP'

config sambashare
\toption name 'music'
\toption path '/mnt/usb/music'
\toption guest_ok 'yes'
\toption read_only 'yes'

config sambashare
\toption name 'elsewhere'
\toption path '/tmp/x'
";

fn canned(tag: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("cwmpd-storage-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    let w = |p: &str, t: &str| {
        let f = root.join(p);
        fs::create_dir_all(f.parent().unwrap()).unwrap();
        fs::write(f, t).unwrap();
    };
    w(&format!("{USB}/size"), "62521344\n");
    w(&format!("{USB}/removable"), "1\n");
    w(&format!("{USB}/queue/rotational"), "0\n");
    w(&format!("{USB}/sda1/partition"), "1\n");
    w(&format!("{USB}/sda1/size"), "62519296\n");
    w("sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/version", " 3.00\n");
    let dev = root.join("sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0");
    fs::write(dev.join("vendor"), "SanDisk \n").unwrap();
    fs::write(dev.join("model"), "Ultra Fit       \n").unwrap();
    fs::write(dev.join("rev"), "1.00\n").unwrap();
    fs::write(dev.join("state"), "running\n").unwrap();
    fs::write(dev.join("vpd_pg80"), b"\x00\x80\x00\x144C530001231120114365").unwrap();
    fs::create_dir_all(root.join("sys/block")).unwrap();
    std::os::unix::fs::symlink(root.join(USB), root.join("sys/block/sda")).unwrap();
    std::os::unix::fs::symlink(dev.join("block"), root.join(USB).join("device")).ok();
    fs::remove_file(root.join(USB).join("device")).ok();
    std::os::unix::fs::symlink(&dev, root.join(USB).join("device")).unwrap();
    fs::create_dir_all(root.join("sys/dev/block")).unwrap();
    std::os::unix::fs::symlink(root.join(USB).join("sda1"), root.join("sys/dev/block/8:1")).unwrap();
    w(
        "proc/self/mountinfo",
        "29 1 8:2 / / rw - ext4 /dev/sda2 rw\n40 29 8:1 / /mnt/usb rw,relatime - ext4 /dev/sda1 rw\n",
    );
    w("proc/filesystems", "nodev\tsysfs\n\text4\n\tvfat\nnodev\ttmpfs\n");
    fs::create_dir_all(root.join("mnt/usb/music")).unwrap();
    w("etc/config/samba4", SAMBA4);
    root
}

fn backend(root: &Path) -> StorageBackend {
    StorageBackend::for_platform(root.to_path_buf(), true, Vec::new())
}

fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| s.to_string()).collect()
}

fn get(b: &StorageBackend, object: &str, k: &[&str], param: &str) -> Option<String> {
    b.get(&Location { object, keys: &keys(k) }, param).unwrap().map(|v| v.to_string())
}

#[test]
fn disks_volumes_and_folders_from_the_platform() {
    let root = canned("read");
    let b = backend(&root);
    let pm = b.instances(&Location { object: PHYSICAL, keys: &keys(&["1"]) }).unwrap();
    assert_eq!(pm, ["sda"]);
    let at = ["1", "sda"];
    assert_eq!(get(&b, PHYSICAL, &at, "Vendor").as_deref(), Some("SanDisk"));
    assert_eq!(get(&b, PHYSICAL, &at, "Model").as_deref(), Some("Ultra Fit"));
    assert_eq!(get(&b, PHYSICAL, &at, "SerialNumber").as_deref(), Some("4C530001231120114365"));
    assert_eq!(get(&b, PHYSICAL, &at, "FirmwareVersion").as_deref(), Some("1.00"));
    assert_eq!(get(&b, PHYSICAL, &at, "ConnectionType").as_deref(), Some("USB 3.0"));
    assert_eq!(get(&b, PHYSICAL, &at, "Type").as_deref(), Some("SSD"));
    assert_eq!(get(&b, PHYSICAL, &at, "Removable").as_deref(), Some("true"));
    assert_eq!(get(&b, PHYSICAL, &at, "Capacity").as_deref(), Some("32010"), "62521344 * 512 / 10^6");
    assert_eq!(get(&b, PHYSICAL, &at, "Status").as_deref(), Some("Online"));
    assert_eq!(get(&b, PHYSICAL, &at, "Health"), None, "no SMART without an ioctl");
    let lv = b.instances(&Location { object: VOLUME, keys: &keys(&["1"]) }).unwrap();
    assert_eq!(lv, ["sda1"], "sda2 has no sysfs entry here; / is not listed");
    let v = ["1", "sda1"];
    assert_eq!(get(&b, VOLUME, &v, "FileSystem").as_deref(), Some("ext4"));
    assert_eq!(
        get(&b, VOLUME, &v, "PhysicalReference").as_deref(),
        Some("@ref(Device.Services.StorageService.{i}.PhysicalMedium.{i}.|sda)")
    );
    assert!(get(&b, VOLUME, &v, "Capacity").is_some(), "statvfs of the directory");
    assert_eq!(get(&b, CAPABILITIES, &["1"], "SupportedFileSystemTypes").as_deref(), Some("ext4,FAT16,FAT32"));
    assert_eq!(get(&b, CAPABILITIES, &["1"], "SupportedNetworkProtocols").as_deref(), Some("SMB"));
    assert_eq!(get(&b, NETWORK_SERVER, &["1"], "SMBEnable").as_deref(), Some("false"));
    let folders = b.instances(&Location { object: FOLDER, keys: &keys(&v) }).unwrap();
    assert_eq!(folders.len(), 1, "the share on /tmp is on no volume here: {folders:?}");
    let f = ["1", "sda1", folders[0].as_str()];
    assert_eq!(get(&b, FOLDER, &f, "Name").as_deref(), Some("/music"));
    assert_eq!(get(&b, FOLDER, &f, "UserAccountAccess").as_deref(), Some("0"));
    assert!(!b.writable(&Location { object: FOLDER, keys: &keys(&f) }, "Enable"), "UCI has no per-share switch");
    fs::remove_dir_all(root).unwrap();
}

#[test]
fn folder_writes_land_in_uci_at_commit() {
    let root = canned("write");
    let mut b = backend(&root);
    let v = keys(&["1", "sda1"]);
    let music = b.instances(&Location { object: FOLDER, keys: &v }).unwrap().remove(0);
    let f = keys(&["1", "sda1", &music]);
    let at = Location { object: FOLDER, keys: &f };
    b.begin().unwrap();
    b.set(&at, "UserAccountAccess", &Value::from("2")).unwrap();
    b.set(&at, "Name", &Value::from("/audio")).unwrap();
    assert_eq!(b.set(&at, "Name", &Value::from("/../etc")).unwrap_err().kind, ErrorKind::InvalidValue);
    assert_eq!(b.set(&at, "UserAccountAccess", &Value::from("3")).unwrap_err().kind, ErrorKind::InvalidValue);
    let new = b.add(&Location { object: FOLDER, keys: &v }).unwrap();
    assert_eq!(new, "cwmpd1");
    assert_eq!(fs::read_to_string(root.join("etc/config/samba4")).unwrap(), SAMBA4, "nothing before commit");
    assert_eq!(
        get(&b, FOLDER, &f.iter().map(String::as_str).collect::<Vec<_>>(), "Name").as_deref(),
        Some("/music"),
        "staged values are not read"
    );
    b.commit().unwrap();
    let text = fs::read_to_string(root.join("etc/config/samba4")).unwrap();
    assert!(text.starts_with("# shares of the router\n"), "{text}");
    assert!(
        text.contains("\toption path '/mnt/usb/audio'\n\toption guest_ok 'no'\n\toption read_only 'yes'\n"),
        "{text}"
    );
    assert!(
        text.contains("config sambashare 'cwmpd1'\n\toption name 'cwmpd1'\n\toption path '/mnt/usb/cwmpd1'\n"),
        "{text}"
    );
    assert!(root.join("mnt/usb/audio").is_dir(), "the folder is created at commit");
    assert_eq!(get(&b, FOLDER, &f.iter().map(String::as_str).collect::<Vec<_>>(), "Name").as_deref(), Some("/audio"));
    b.begin().unwrap();
    b.delete(&Location { object: FOLDER, keys: &keys(&["1", "sda1", "cwmpd1"]) }).unwrap();
    b.abort();
    assert_eq!(b.instances(&Location { object: FOLDER, keys: &v }).unwrap().len(), 2, "abort drops the delete");
    b.begin().unwrap();
    b.delete(&Location { object: FOLDER, keys: &keys(&["1", "sda1", "cwmpd1"]) }).unwrap();
    b.commit().unwrap();
    assert_eq!(b.instances(&Location { object: FOLDER, keys: &v }).unwrap(), [music], "key unchanged");
    fs::remove_dir_all(root).unwrap();
}

#[test]
fn refuses_a_file_changed_on_disk() {
    let root = canned("race");
    let mut b = backend(&root);
    let v = keys(&["1", "sda1"]);
    b.begin().unwrap();
    b.add(&Location { object: FOLDER, keys: &v }).unwrap();
    fs::write(root.join("etc/config/samba4"), format!("{SAMBA4}\n# edited by LuCI\n")).unwrap();
    assert_eq!(b.commit().unwrap_err().kind, ErrorKind::Internal);
    fs::remove_dir_all(root).unwrap();
}

#[test]
fn folder_paths_stay_on_the_volume() {
    assert_eq!(folder_path("/mnt/usb", "/a/b/").unwrap(), "/mnt/usb/a/b");
    assert_eq!(folder_path("/mnt/usb", "/").unwrap(), "/mnt/usb");
    assert_eq!(folder_path("/", "/srv").unwrap(), "/srv");
    for bad in ["a", "/a/../b", "/a//b", "/a\nb", "/."] {
        assert!(folder_path("/mnt/usb", bad).is_err(), "{bad}");
    }
}

#[test]
fn ksmbd_anonymous_shares_keep_their_keys() {
    let root = canned("ksmbd");
    fs::remove_file(root.join("etc/config/samba4")).unwrap();
    let ksmbd = "config globals\n\toption workgroup 'WORKGROUP'\n\nconfig share\n\toption name 'a'\n\toption path '/mnt/usb/a'\n\nconfig share\n\toption name 'b'\n\toption path '/mnt/usb/b'\n\toption guest_ok 'yes'\n";
    fs::write(root.join("etc/config/ksmbd"), ksmbd).unwrap();
    let mut b = backend(&root);
    let v = keys(&["1", "sda1"]);
    let before = b.instances(&Location { object: FOLDER, keys: &v }).unwrap();
    assert_eq!(before.len(), 2, "{before:?}");
    let second = keys(&["1", "sda1", &before[1]]);
    assert_eq!(get(&b, FOLDER, &["1", "sda1", &before[1]], "UserAccountAccess").as_deref(), Some("0"));
    b.begin().unwrap();
    b.delete(&Location { object: FOLDER, keys: &keys(&["1", "sda1", &before[0]]) }).unwrap();
    b.commit().unwrap();
    assert_eq!(b.instances(&Location { object: FOLDER, keys: &v }).unwrap(), [before[1].clone()], "key kept");
    assert_eq!(get(&b, FOLDER, &["1", "sda1", &second[2]], "Name").as_deref(), Some("/b"));
    let text = fs::read_to_string(root.join("etc/config/ksmbd")).unwrap();
    assert!(text.starts_with("config globals\n") && !text.contains("'/mnt/usb/a'"), "{text}");
    let again = StorageBackend::for_platform(root.clone(), true, Vec::new());
    assert_eq!(
        again.instances(&Location { object: FOLDER, keys: &v }).unwrap(),
        [before[1].clone()],
        "after a re-read"
    );
    fs::remove_dir_all(root).unwrap();
}

#[test]
fn debian_include_is_written_at_apply() {
    let root = canned("include");
    fs::create_dir_all(root.join("etc/samba")).unwrap();
    let include = root.join(shares::SMB_INCLUDE);
    fs::write(&include, "# mine\n[old]\n\tpath = /mnt/usb/old\n").unwrap();
    let mut b = StorageBackend::new(root.clone()).with_shares(Flavor::SmbInclude(include.clone()), Vec::new());
    let v = keys(&["1", "sda1"]);
    assert_eq!(b.instances(&Location { object: FOLDER, keys: &v }).unwrap(), ["old"]);
    let old = keys(&["1", "sda1", "old"]);
    assert!(b.writable(&Location { object: FOLDER, keys: &old }, "Enable"));
    b.begin().unwrap();
    b.set(&Location { object: FOLDER, keys: &old }, "Enable", &Value::from("false")).unwrap();
    b.commit().unwrap();
    assert_eq!(get(&b, FOLDER, &["1", "sda1", "old"], "Enable").as_deref(), Some("false"), "committed");
    assert!(!fs::read_to_string(&include).unwrap().contains("available"), "not before apply");
    b.apply().unwrap();
    assert_eq!(fs::read_to_string(&include).unwrap(), "# mine\n[old]\n\tpath = /mnt/usb/old\n\tavailable = no\n");
    fs::remove_dir_all(root).unwrap();
}

#[test]
fn nfs_exports_are_read_only_folders() {
    let root = canned("nfs");
    fs::write(root.join("etc/exports"), "/mnt/usb/music *(ro)\n/mnt/usb/nfsonly 10.0.0.0/8(rw)\n/elsewhere *(ro)\n")
        .unwrap();
    let mut b = backend(&root);
    let v = keys(&["1", "sda1"]);
    let rows = b.instances(&Location { object: FOLDER, keys: &v }).unwrap();
    assert_eq!(rows.len(), 2, "the SMB share of /music, then the NFS-only folder: {rows:?}");
    assert_eq!(rows[1], "nfs:/mnt/usb/nfsonly");
    let nfs = keys(&["1", "sda1", "nfs:/mnt/usb/nfsonly"]);
    let at = Location { object: FOLDER, keys: &nfs };
    assert_eq!(get(&b, FOLDER, &["1", "sda1", "nfs:/mnt/usb/nfsonly"], "Name").as_deref(), Some("/nfsonly"));
    assert_eq!(get(&b, FOLDER, &["1", "sda1", "nfs:/mnt/usb/nfsonly"], "UserAccountAccess"), None);
    assert!(!b.writable(&at, "Name"));
    b.begin().unwrap();
    assert_eq!(b.delete(&at).unwrap_err().kind, ErrorKind::Denied);
    assert_eq!(b.set(&at, "Name", &Value::from("/x")).unwrap_err().kind, ErrorKind::NotWritable);
    let music = keys(&["1", "sda1", &rows[0]]);
    let taken = b.set(&Location { object: FOLDER, keys: &music }, "Name", &Value::from("/nfsonly/"));
    assert_eq!(taken.unwrap_err().kind, ErrorKind::InvalidValue, "Name is unique on the volume");
    b.abort();
    fs::remove_dir_all(root).unwrap();
}
