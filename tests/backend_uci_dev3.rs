//! Issue 16, helper dev3: `Device.Security.Certificate.{i}` from the system backend
//! (src/backend/system/certs.rs) against tests/fixtures/system: uhttpd's DER certificate,
//! a CA file and a bundle in `/etc/ssl/certs` with an OpenSSL hash link, and the agent's
//! own client certificate; all made with openssl for these tests. Exact rows and values,
//! duplicates listed once, every value valid for its Device:2.19 definition, LastModif
//! following the file, and the count through the engine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

#[cfg(feature = "certificates")]
use cwmpd::backend::system::certs;
use cwmpd::backend::system::SystemBackend;
use cwmpd::hal::{Backend, Location};
use cwmpd::schema;
use std::path::{Path, PathBuf};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/system");

fn backend() -> SystemBackend {
    SystemBackend::new(PathBuf::from(FIXTURE)).with_certificate_files(vec![Path::new(FIXTURE).join("acs-client.pem")])
}

#[cfg(feature = "certificates")]
fn rows(b: &SystemBackend) -> Vec<String> {
    b.instances(&Location { object: certs::CERTIFICATE, keys: &[] }).unwrap()
}

#[cfg(feature = "certificates")]
fn get(b: &SystemBackend, key: &str, param: &str) -> Option<String> {
    let keys = [key.to_string()];
    b.get(&Location { object: certs::CERTIFICATE, keys: &keys }, param).unwrap().map(|v| v.to_string())
}

#[cfg(feature = "certificates")]
#[test]
fn rows_are_files_hash_links_skipped_duplicates_once() {
    let b = backend();
    // The bundle repeats the CA (listed under its own file) and holds the client
    // certificate, which the agent's client_cert repeats.
    assert_eq!(
        rows(&b),
        ["/etc/uhttpd.crt", "/etc/ssl/certs/Example_Root_CA.pem", "/etc/ssl/certs/ca-certificates.crt#2"]
    );
    let alone = SystemBackend::new(PathBuf::from(FIXTURE));
    assert_eq!(rows(&alone).len(), 3);
    let missing =
        SystemBackend::new(PathBuf::from("/nonexistent")).with_certificate_files(vec!["/nonexistent/c.pem".into()]);
    assert!(rows(&missing).is_empty());
}

#[cfg(feature = "certificates")]
#[test]
fn values_are_the_certificate_fields() {
    let b = backend();
    let u = "/etc/uhttpd.crt";
    assert_eq!(get(&b, u, "SerialNumber").as_deref(), Some("01:23:45:67:89:ab:cd:ef:01"));
    assert_eq!(get(&b, u, "Subject").as_deref(), Some("CN=OpenWrt,O=OpenWrt6f3a2c,L=Unknown,ST=Somewhere,C=ZZ"));
    assert_eq!(get(&b, u, "Issuer"), get(&b, u, "Subject"));
    assert_eq!(get(&b, u, "NotBefore").as_deref(), Some("2026-12-07T09:07:12Z"));
    assert_eq!(get(&b, u, "NotAfter").as_deref(), Some("2068-01-01T09:07:12Z"));
    assert_eq!(get(&b, u, "SignatureAlgorithm").as_deref(), Some("sha256WithRSAEncryption"));
    assert_eq!(get(&b, u, "SubjectAlt").as_deref(), Some("openwrt.lan,router,192.168.1.1,fd00::1,admin@openwrt.lan"));
    let ca = "/etc/ssl/certs/Example_Root_CA.pem";
    assert_eq!(get(&b, ca, "SubjectAlt").as_deref(), Some(""));
    assert_eq!(get(&b, ca, "SignatureAlgorithm").as_deref(), Some("ecdsa-with-SHA256"));
    let client = "/etc/ssl/certs/ca-certificates.crt#2";
    assert_eq!(get(&b, client, "Issuer"), get(&b, ca, "Subject"));
    assert_eq!(get(&b, client, "SerialNumber").as_deref(), Some("07"));
    assert_eq!(get(&b, client, "Subject").as_deref(), Some("emailAddress=cpe@example.net,OU=CPE\\+1,CN=ACS client"));
    assert_eq!(get(&b, u, "Enable"), None, "not served");
    let unknown = [String::from("/etc/ssl/certs/bbcaca83.0")];
    assert!(b.get(&Location { object: certs::CERTIFICATE, keys: &unknown }, "Subject").is_err());
}

#[cfg(feature = "certificates")]
#[test]
fn every_value_is_valid_for_device_2_19_and_read_only() {
    let b = backend();
    let spec = schema::object(certs::CERTIFICATE).unwrap();
    let mut served = 0;
    for key in rows(&b) {
        let keys = [key.clone()];
        let at = Location { object: certs::CERTIFICATE, keys: &keys };
        for param in certs::PARAMS {
            let p = spec.param(param).unwrap_or_else(|| panic!("{param} not in the schema"));
            assert!(!b.writable(&at, param));
            let Some(cwmpd::hal::Value::Text(t)) = b.get(&at, param).unwrap() else { panic!("{key} {param} absent") };
            let ok = schema::value::canonical(p, &t, None);
            assert!(ok.is_ok(), "{key} {param} = {t:?}: {ok:?}");
            served += 1;
        }
    }
    assert_eq!(served, 3 * certs::PARAMS.len());
}

/// A scratch copy of the fixture's certificate files.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cwmpd-dev3-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("etc/ssl/certs")).unwrap();
    std::fs::copy(Path::new(FIXTURE).join("etc/uhttpd.crt"), dir.join("etc/uhttpd.crt")).unwrap();
    dir
}

fn set_mtime(path: &Path, unix: u64) {
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix)).unwrap();
}

#[cfg(feature = "certificates")]
#[test]
fn last_modif_and_a_replaced_file_are_seen() {
    let dir = scratch("replace");
    let file = dir.join("etc/uhttpd.crt");
    set_mtime(&file, 1_790_000_000);
    let b = SystemBackend::new(dir.clone());
    assert_eq!(get(&b, "/etc/uhttpd.crt", "LastModif").as_deref(), Some("2026-09-21T14:13:20Z"));
    assert_eq!(get(&b, "/etc/uhttpd.crt", "SerialNumber").as_deref(), Some("01:23:45:67:89:ab:cd:ef:01"));
    // uhttpd's init script makes a new certificate: the next read shows it.
    std::fs::copy(Path::new(FIXTURE).join("acs-client.pem"), &file).unwrap();
    set_mtime(&file, 1_790_000_060);
    assert_eq!(get(&b, "/etc/uhttpd.crt", "LastModif").as_deref(), Some("2026-09-21T14:14:20Z"));
    assert_eq!(get(&b, "/etc/uhttpd.crt", "SerialNumber").as_deref(), Some("07"));
    // A file that is no certificate gives no row; neither does a directory.
    std::fs::write(&file, b"not a certificate").unwrap();
    std::fs::create_dir_all(dir.join("etc/ssl/certs/sub.pem")).unwrap();
    assert!(rows(&b).is_empty());
    // A CA file added to the directory is seen on the next read.
    let ca = Path::new(FIXTURE).join("etc/ssl/certs/Example_Root_CA.pem");
    std::fs::copy(ca, dir.join("etc/ssl/certs/new.pem")).unwrap();
    assert_eq!(rows(&b), ["/etc/ssl/certs/new.pem"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(feature = "certificates")]
#[test]
fn too_long_values_are_absent_not_cut() {
    let dir = scratch("long");
    // Each attribute within the 64 characters X.509 allows it (openssl refuses more), five
    // of them: a Subject text of over 300 characters.
    let part = "x".repeat(60);
    let subject = format!("/CN={part}/O={part}/OU={part}/L={part}/ST={part}");
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout"])
        .arg(dir.join("k.pem"))
        .args(["-days", "1", "-subj", &subject, "-out"])
        .arg(dir.join("etc/ssl/certs/long.pem"))
        .output();
    match made {
        Ok(o) if o.status.success() => {}
        _ if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: openssl absent");
            return;
        }
        other => panic!("openssl under CI: {other:?}"),
    }
    let b = SystemBackend::new(dir.clone());
    let key = "/etc/ssl/certs/long.pem";
    assert!(rows(&b).iter().any(|r| r == key));
    assert_eq!(get(&b, key, "Subject"), None, "300 characters do not fit string(256)");
    assert_eq!(get(&b, key, "Issuer"), None);
    assert_eq!(get(&b, key, "SignatureAlgorithm").as_deref(), Some("ecdsa-with-SHA256"));
    let _ = std::fs::remove_dir_all(dir);
}

mod engine_support;

#[cfg(feature = "certificates")]
#[test]
fn the_engine_counts_and_numbers_the_certificates() {
    use cwmpd::backend::agent::{AgentBackend, Identity};
    use cwmpd::model::{Model, ModelState};
    let state = ModelState::default();
    let cfg = engine_support::config();
    let agent = AgentBackend::new(&cfg, Identity::from_host(&cfg, Path::new("/nonexistent")), "/".into());
    let mut m = Model::new(Box::new(agent), &state);
    m.add_backend(Box::new(backend()), &state);
    let values = m.get_parameter_values(&["Device.Security.".into()]).unwrap();
    let find = |name: &str| values.iter().find(|v| v.name == name).map(|v| v.value.clone());
    assert_eq!(find("Device.Security.CertificateNumberOfEntries").as_deref(), Some("3"));
    assert_eq!(find("Device.Security.Certificate.1.SerialNumber").as_deref(), Some("01:23:45:67:89:ab:cd:ef:01"));
    assert_eq!(find("Device.Security.Certificate.3.SerialNumber").as_deref(), Some("07"));
}

fn value(b: &SystemBackend, object: &str, key: &str, param: &str) -> Option<String> {
    let keys = [key.to_string()];
    b.get(&Location { object, keys: &keys }, param).unwrap().map(|v| v.to_string())
}

#[test]
fn processors_are_the_cpus_with_the_kernel_machine() {
    use cwmpd::backend::system::device::PROCESSOR;
    let b = backend();
    assert_eq!(b.instances(&Location { object: PROCESSOR, keys: &[] }).unwrap(), ["cpu0", "cpu1"]);
    // The fixture's kernel says `mips` (a ramips board); the order is the agent's own.
    let order = if cfg!(target_endian = "little") { "mipsel" } else { "mipseb" };
    assert_eq!(value(&b, PROCESSOR, "cpu1", "Architecture").as_deref(), Some(order));
    let spec = schema::object(PROCESSOR).unwrap().param("Architecture").unwrap();
    assert!(schema::value::canonical(spec, order, None).is_ok());
    // Another root without the sysctl: no machine name is guessed.
    let dir = scratch("arch");
    std::fs::create_dir_all(dir.join("proc")).unwrap();
    std::fs::copy(Path::new(FIXTURE).join("proc/stat"), dir.join("proc/stat")).unwrap();
    let other = SystemBackend::new(dir.clone());
    assert_eq!(value(&other, PROCESSOR, "cpu0", "Architecture"), None);
    std::fs::create_dir_all(dir.join("proc/sys/kernel")).unwrap();
    std::fs::write(dir.join("proc/sys/kernel/arch"), "riscv64\n").unwrap();
    assert_eq!(value(&other, PROCESSOR, "cpu0", "Architecture"), None, "not in TR-181's list");
    std::fs::write(dir.join("proc/sys/kernel/arch"), "aarch64\n").unwrap();
    assert_eq!(value(&other, PROCESSOR, "cpu0", "Architecture").as_deref(), Some("arm"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_vendor_config_file_is_the_uploaded_one() {
    use cwmpd::backend::system::device::VENDOR_CONFIG;
    let dir = scratch("vcf");
    let file = dir.join("backup.tar.gz");
    std::fs::write(&file, b"config").unwrap();
    set_mtime(&file, 1_790_000_000);
    let none = SystemBackend::new(dir.clone());
    assert!(none.instances(&Location { object: VENDOR_CONFIG, keys: &[] }).unwrap().is_empty(), "not configured");
    let b = SystemBackend::new(dir.clone()).with_vendor_config_file(Some(file.clone()), true);
    assert_eq!(b.instances(&Location { object: VENDOR_CONFIG, keys: &[] }).unwrap(), ["config"]);
    assert_eq!(value(&b, VENDOR_CONFIG, "config", "Name").as_deref(), Some("backup.tar.gz"));
    assert_eq!(value(&b, VENDOR_CONFIG, "config", "Date").as_deref(), Some("2026-09-21T14:13:20Z"));
    assert_eq!(value(&b, VENDOR_CONFIG, "config", "Version").as_deref(), Some(""));
    assert_eq!(value(&b, VENDOR_CONFIG, "config", "UseForBackupRestore").as_deref(), Some("true"));
    assert_eq!(value(&b, VENDOR_CONFIG, "config", "Description"), None);
    let spec = schema::object(VENDOR_CONFIG).unwrap();
    for p in ["Name", "Date", "Version", "UseForBackupRestore"] {
        let v = value(&b, VENDOR_CONFIG, "config", p).unwrap();
        assert!(schema::value::canonical(spec.param(p).unwrap(), &v, None).is_ok(), "{p} = {v:?}");
    }
    let upload_only = SystemBackend::new(dir.clone()).with_vendor_config_file(Some(file.clone()), false);
    assert_eq!(value(&upload_only, VENDOR_CONFIG, "config", "UseForBackupRestore").as_deref(), Some("false"));
    std::fs::remove_file(&file).unwrap();
    assert!(b.instances(&Location { object: VENDOR_CONFIG, keys: &[] }).unwrap().is_empty(), "the file is gone");
    let _ = std::fs::remove_dir_all(dir);
}

/// DeviceInfo.Location.{i} on the engine: the ACS's one row, DataObject written and kept
/// across a restart, AcquiredTime not made up for the replayed value.
#[test]
fn the_acs_location_row_is_written_counted_and_kept() {
    use cwmpd::backend::agent::{AgentBackend, Identity};
    use cwmpd::config::Config;
    use cwmpd::model::{Model, ModelState};
    use cwmpd::proto::rpc::ParameterValueStruct;
    const T: &str = "Device.DeviceInfo.Location.";
    let model = |state: &ModelState| {
        let cfg = Config::parse("config acs\n\toption url 'http://acs.test/cwmp'\n").unwrap();
        let identity = Identity::from_host(&cfg, Path::new("/nonexistent"));
        Model::new(Box::new(AgentBackend::new(&cfg, identity, "/".into())), state)
    };
    let geo = "<location-info><Point><pos>52.52 13.40</pos></Point></location-info>";
    let mut state = ModelState::default();
    let mut m = model(&state);
    let (n, _) = m.add_object(T, "k1", &mut state).unwrap();
    assert_eq!(m.add_object(T, "k2", &mut state).unwrap_err().fault_code, 9004, "one CWMP row");
    let pv = |name: String, value: &str| ParameterValueStruct { name, value: value.into(), value_type: None };
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    m.set_parameter_values(&[pv(format!("{T}{n}.DataObject"), geo)], "k3", &mut state).unwrap();
    let f = m.set_parameter_values(&[pv(format!("{T}{n}.Source"), "GPS")], "k4", &mut state).unwrap_err();
    assert_eq!(f.set_parameter_values_faults[0].fault_code, 9008, "{f:?}");
    let values = m.get_parameter_values(&["Device.DeviceInfo.".into()]).unwrap();
    let find = |vals: &[ParameterValueStruct], p: &str| {
        vals.iter().find(|v| v.name == format!("{T}{n}.{p}")).map(|v| v.value.clone()).unwrap()
    };
    assert!(values.iter().any(|v| v.name == "Device.DeviceInfo.LocationNumberOfEntries" && v.value == "1"));
    assert_eq!(find(&values, "Source"), "External");
    assert_eq!(find(&values, "ExternalProtocol"), "CWMP");
    assert_eq!(find(&values, "ExternalSource"), "http://acs.test/cwmp");
    assert_eq!(find(&values, "DataObject"), geo);
    let acquired = cwmpd::clock::parse_date_time(&find(&values, "AcquiredTime")).unwrap();
    assert!(acquired >= before as i64 && acquired <= before as i64 + 60, "{acquired} vs {before}");
    let spec = schema::object("Device.DeviceInfo.Location.{i}.").unwrap();
    for p in cwmpd::backend::location::PARAMS {
        assert!(schema::value::canonical(spec.param(p).unwrap(), &find(&values, p), None).is_ok(), "{p}");
    }
    // A restart: the row and its DataObject are back, the time is not invented.
    let again = model(&state);
    let values = again.get_parameter_values(&[T.into()]).unwrap();
    assert_eq!(find(&values, "DataObject"), geo);
    assert_eq!(find(&values, "AcquiredTime"), "0001-01-01T00:00:00Z");
    m.delete_object(&format!("{T}{n}."), "k5", &mut state).unwrap();
    let (n2, _) = m.add_object(T, "k6", &mut state).unwrap();
    assert!(n2 > n);
}

#[test]
fn additional_software_version_is_the_revision_and_the_kernel() {
    let di = |b: &SystemBackend| {
        let at = Location { object: "Device.DeviceInfo.", keys: &[] };
        b.get(&at, "AdditionalSoftwareVersion").unwrap().map(|v| v.to_string())
    };
    let v = di(&backend());
    assert_eq!(v.as_deref(), Some("r28427-6df0e3d02a,Linux 6.6.73"));
    let spec = schema::object("Device.DeviceInfo.").unwrap().param("AdditionalSoftwareVersion").unwrap();
    assert!(schema::value::canonical(spec, &v.unwrap(), None).is_ok());
    assert_eq!(di(&SystemBackend::new("/nonexistent".into())), None);
}
