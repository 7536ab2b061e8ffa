//! TR-140 storage on real devices: a file attached as a loop device, formatted with
//! mkfs.ext4 (and one with mkfs.vfat -F 32), mounted in a temporary directory; the engine over the storage backend serves
//! it as a PhysicalMedium and a LogicalVolume whose values are checked against the truth
//! (the image's size, `df`'s figures before and after writing a file). A Folder added and
//! named through the engine lands in the smb.conf include at apply, and a real Samba
//! (`smbd` on a free loopback port, its own state below the test's directory) serves it:
//! `smbclient` lists the share and the file in it. Needs root, losetup, mkfs.ext4, smbd and
//! smbclient: without them it prints `skipped:` (a failure under CI).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, clippy::expect_used)]

mod engine_support;

use cwmpd::backend::agent::{AgentBackend, Identity};
use cwmpd::backend::storage::shares::Flavor;
use cwmpd::backend::storage::StorageBackend;
use cwmpd::model::{Model, ModelState};
use cwmpd::proto::rpc::ParameterValueStruct;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SVC: &str = "Device.Services.StorageService.1.";

fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("storage test cannot run under CI: {why}");
    }
    eprintln!("skipped: {why}");
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The loop device and mount; undone on drop.
struct Disk {
    dir: PathBuf,
    device: String,
    mounted: bool,
}

impl Drop for Disk {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(self.dir.join("mnt")).status();
        }
        let _ = Command::new("losetup").args(["-d", &self.device]).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn attach(tag: &str, bytes: u64) -> Disk {
    attach_with(tag, bytes, &["mkfs.ext4", "-q", "-F"], true)
}

/// A loop device over a new image of `bytes`, formatted by `mkfs` (device appended), mounted
/// when `mount`.
fn attach_with(tag: &str, bytes: u64, mkfs: &[&str], mount: bool) -> Disk {
    let dir = std::env::temp_dir().join(format!("cwmpd-storage-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("mnt")).unwrap();
    let image = dir.join("disk.img");
    std::fs::File::create(&image).unwrap().set_len(bytes).unwrap();
    let device = run("losetup", &["--find", "--show", image.to_str().unwrap()]).trim().to_string();
    let mut disk = Disk { dir, device, mounted: false };
    let (program, args) = mkfs.split_first().unwrap();
    run(program, &[args, &[disk.device.as_str()]].concat());
    if mount {
        run("mount", &[&disk.device, disk.dir.join("mnt").to_str().unwrap()]);
        disk.mounted = true;
    }
    disk
}

/// `df`'s (size, used) in bytes of the file system at `path`.
fn df(path: &Path) -> (u64, u64) {
    let out = run("df", &["-B1", "--output=size,used", path.to_str().unwrap()]);
    let nums: Vec<u64> = out.lines().nth(1).unwrap().split_whitespace().map(|n| n.parse().unwrap()).collect();
    (nums[0], nums[1])
}

fn values(m: &Model, prefix: &str) -> Vec<(String, String)> {
    m.get_parameter_values(&[prefix.into()]).unwrap().into_iter().map(|p| (p.name, p.value)).collect()
}

/// The row (`…PhysicalMedium.3.`) of `table` whose `Name` is `name`.
fn row_named(all: &[(String, String)], table: &str, name: &str) -> String {
    let hit = all.iter().find(|(n, v)| n.starts_with(table) && n.ends_with(".Name") && v == name);
    hit.map(|(n, _)| n.trim_end_matches("Name").to_string()).unwrap_or_else(|| panic!("no {table} row {name}: {all:?}"))
}

fn value(m: &Model, name: &str) -> String {
    m.get_parameter_values(&[name.into()]).unwrap().remove(0).value
}

fn pv(name: &str, value: &str) -> ParameterValueStruct {
    ParameterValueStruct { name: name.into(), value: value.into(), value_type: None }
}

fn model(include: &Path) -> Model {
    let cfg = engine_support::config();
    let state = ModelState::default();
    let mut m = Model::new(
        Box::new(AgentBackend::new(&cfg, Identity::from_host(&cfg, Path::new("/nonexistent")), "/".into())),
        &state,
    );
    let storage = StorageBackend::new("/".into()).with_shares(Flavor::SmbInclude(include.to_path_buf()), Vec::new());
    m.add_backend(Box::new(storage), &state);
    m
}

fn ready() -> bool {
    let root = nix::unistd::Uid::effective().is_root();
    let tools = ["losetup", "mkfs.ext4", "mount", "df"].iter().all(|t| have(t));
    if !root || !tools {
        skip_or_fail("needs root, losetup, mkfs.ext4, mount and df");
        return false;
    }
    true
}

#[test]
fn loop_device_is_a_physical_medium_and_a_logical_volume() {
    if !ready() {
        return;
    }
    let disk = attach("values", 64 << 20);
    let mnt = disk.dir.join("mnt");
    let m = model(&disk.dir.join("shares.conf"));
    let name = disk.device.trim_start_matches("/dev/");
    let all = values(&m, SVC);
    let pm = row_named(&all, &format!("{SVC}PhysicalMedium."), name);
    assert_eq!(value(&m, &format!("{pm}Capacity")), ((64u64 << 20) / 1_000_000).to_string());
    assert_eq!(value(&m, &format!("{pm}Status")), "Online");
    assert_eq!(value(&m, &format!("{pm}Removable")), "false");
    let lv = row_named(&all, &format!("{SVC}LogicalVolume."), name);
    assert_eq!(value(&m, &format!("{lv}FileSystem")), "ext4");
    assert_eq!(value(&m, &format!("{lv}PhysicalReference")), pm.trim_end_matches('.'));
    let (size, used) = df(&mnt);
    assert_eq!(value(&m, &format!("{lv}Capacity")), (size / 1_000_000).to_string());
    assert_eq!(value(&m, &format!("{lv}UsedSpace")), (used / 1_000_000).to_string());
    std::fs::write(mnt.join("blob"), vec![7u8; 20_000_000]).unwrap();
    run("sync", &[]);
    let (_, used_after) = df(&mnt);
    assert!(used_after >= used + 20_000_000, "df: {used} -> {used_after}");
    assert_eq!(value(&m, &format!("{lv}UsedSpace")), (used_after / 1_000_000).to_string());
    let supported = value(&m, &format!("{SVC}Capabilities.SupportedFileSystemTypes"));
    assert!(supported.split(',').any(|f| f == "ext4"), "{supported}");
}

#[test]
fn vfat_volume_reads_as_fat32() {
    if !ready() {
        return;
    }
    if !have("mkfs.vfat") {
        skip_or_fail("needs mkfs.vfat (Debian package dosfstools)");
        return;
    }
    let kernel_vfat =
        std::fs::read_to_string("/proc/filesystems").unwrap_or_default().lines().any(|l| l.ends_with("\tvfat"));
    if !kernel_vfat {
        // The boot-sector check still runs on the real, unmounted device: a kernel without
        // vfat cannot mount it, and no package installs a kernel module in a container.
        let disk = attach_with("vfat", 64 << 20, &["mkfs.vfat", "-F", "32"], false);
        let fat32 = cwmpd::backend::storage::volume::file_system("vfat", Path::new(&disk.device));
        assert_eq!(fat32, Some("FAT32"));
        let disk16 = attach_with("fat16", 16 << 20, &["mkfs.vfat", "-F", "16"], false);
        let fat16 = cwmpd::backend::storage::volume::file_system("vfat", Path::new(&disk16.device));
        assert_eq!(fat16, Some("FAT16"));
        eprintln!("note: kernel without vfat: FAT32/FAT16 checked on unmounted devices only");
        return;
    }
    let disk = attach_with("vfat", 64 << 20, &["mkfs.vfat", "-F", "32"], true);
    let m = model(&disk.dir.join("shares.conf"));
    let lv = row_named(&values(&m, SVC), &format!("{SVC}LogicalVolume."), disk.device.trim_start_matches("/dev/"));
    assert_eq!(value(&m, &format!("{lv}FileSystem")), "FAT32");
    let (size, used) = df(&disk.dir.join("mnt"));
    assert_eq!(value(&m, &format!("{lv}Capacity")), (size / 1_000_000).to_string());
    assert_eq!(value(&m, &format!("{lv}UsedSpace")), (used / 1_000_000).to_string());
}

/// A free TCP port on 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn smbd_config(dir: &Path, port: u16, include: &Path) -> PathBuf {
    let mut text = format!("[global]\n\tsmb ports = {port}\n\tinterfaces = 127.0.0.1\n\tbind interfaces only = yes\n");
    for (opt, sub) in [("private dir", "private"), ("lock directory", "lock"), ("state directory", "state")]
        .into_iter()
        .chain([("cache directory", "cache"), ("pid directory", "pid"), ("ncalrpc dir", "ncalrpc")])
    {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        text += &format!("\t{opt} = {}\n", dir.join(sub).display());
    }
    text += &format!("\tlog file = {}/log.%m\n\tdisable netbios = yes\n\tmap to guest = Bad User\n", dir.display());
    text += "\tserver role = standalone server\n\tload printers = no\n\tprintcap name = /dev/null\n";
    text += &format!("\tinclude = {}\n", include.display());
    let conf = dir.join("smb.conf");
    std::fs::write(&conf, text).unwrap();
    conf
}

struct Smbd(std::process::Child);

impl Drop for Smbd {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.0.id()).unwrap());
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.0.wait();
    }
}

#[test]
fn folder_added_through_the_engine_is_served_by_samba() {
    if !ready() {
        return;
    }
    if !have("smbd") || !have("smbclient") {
        skip_or_fail("needs smbd and smbclient (Debian packages samba, smbclient)");
        return;
    }
    let disk = attach("samba", 32 << 20);
    let mnt = disk.dir.join("mnt");
    let include = disk.dir.join("shares.conf");
    std::fs::write(&include, "# cwmpd owns this file; smb.conf includes it\n").unwrap();
    let mut m = model(&include);
    let mut state = ModelState::default();
    let lv = row_named(&values(&m, SVC), &format!("{SVC}LogicalVolume."), disk.device.trim_start_matches("/dev/"));
    let (n, _) = m.add_object(&format!("{lv}Folder."), "k1", &mut state).unwrap();
    let folder = format!("{lv}Folder.{n}.");
    let set = [pv(&format!("{folder}Name"), "/public"), pv(&format!("{folder}UserAccountAccess"), "0")];
    m.set_parameter_values(&set, "k2", &mut state).unwrap();
    assert_eq!(value(&m, &format!("{folder}Name")), "/public");
    assert!(!std::fs::read_to_string(&include).unwrap().contains("[cwmpd1]"), "written at apply, not before");
    m.apply_pending();
    let text = std::fs::read_to_string(&include).unwrap();
    assert!(text.starts_with("# cwmpd owns this file"), "{text}");
    assert!(text.contains(&format!("[cwmpd1]\n\tpath = {}/public\n\tguest ok = yes\n", mnt.display())), "{text}");
    std::fs::write(mnt.join("public/hello.txt"), "hi").unwrap();

    let port = free_port();
    let conf = smbd_config(&disk.dir, port, &include);
    let child = Command::new("smbd")
        // Without --no-process-group smbd makes a session of its own: it signals its whole
        // process group when it stops, which must not be the test's.
        .args(["--foreground", "-s", conf.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _smbd = Smbd(child);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "smbd did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(value(&m, &format!("{SVC}NetworkServer.SMBEnable")), "true");
    let p = port.to_string();
    let list = run("smbclient", &["-N", "-p", &p, "-s", conf.to_str().unwrap(), "-L", "127.0.0.1"]);
    assert!(list.contains("cwmpd1"), "{list}");
    let ls = run("smbclient", &["-N", "-p", &p, "-s", conf.to_str().unwrap(), "//127.0.0.1/cwmpd1", "-c", "ls"]);
    assert!(ls.contains("hello.txt"), "{ls}");

    m.delete_object(&folder, "k3", &mut state).unwrap();
    m.apply_pending();
    let text = std::fs::read_to_string(&include).unwrap();
    assert!(!text.contains("[cwmpd1]") && text.starts_with("# cwmpd owns this file"), "{text}");
}
