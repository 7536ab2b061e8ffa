//! Tests of the tar reader (`tar.rs`) on archives built here block by block.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;

/// A ustar header block with a valid checksum.
pub(crate) fn header(name: &str, flag: u8, mode: u32, size: u64, link: &str) -> Vec<u8> {
    let mut b = vec![0u8; 512];
    b[..name.len()].copy_from_slice(name.as_bytes());
    b[100..107].copy_from_slice(format!("{mode:07o}").as_bytes());
    b[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    b[156] = flag;
    b[157..157 + link.len()].copy_from_slice(link.as_bytes());
    b[257..263].copy_from_slice(b"ustar\0");
    b[263..265].copy_from_slice(b"00");
    b[148..156].copy_from_slice(b"        ");
    let sum: u32 = b.iter().map(|c| u32::from(*c)).sum();
    b[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    b
}

/// `data` padded to whole blocks.
pub(crate) fn body(data: &[u8]) -> Vec<u8> {
    let mut v = data.to_vec();
    v.resize(data.len().div_ceil(512) * 512, 0);
    v
}

fn pax(key: &str, value: &str) -> Vec<u8> {
    let rec = |n: usize| format!("{n} {key}={value}\n");
    let mut n = rec(0).len();
    while rec(n).len() != n {
        n = rec(n).len();
    }
    rec(n).into_bytes()
}

#[test]
fn entries_long_names_and_data() {
    let long = format!("usr/{}/file", "d".repeat(150));
    let pax_data = pax("path", &long);
    let mut a = Vec::new();
    a.extend(header("etc/", b'5', 0o755, 0, ""));
    a.extend(header("etc/motd", b'0', 0o4755, 5, ""));
    a.extend(body(b"hello"));
    a.extend(header("bin/sh", b'2', 0o777, 0, "/bin/busybox"));
    a.extend(header("PaxHeaders/x", b'x', 0o644, pax_data.len() as u64, ""));
    a.extend(body(&pax_data));
    a.extend(header("short", b'0', 0o644, 2, ""));
    a.extend(body(b"ok"));
    a.extend(header("././@LongLink", b'L', 0o644, 9, ""));
    a.extend(body(b"gnu/long\0"));
    a.extend(header("gnu/lo", b'1', 0o644, 0, "etc/motd"));
    a.extend(header("dev/null", b'3', 0o666, 0, ""));
    a.extend([0u8; 1024]);
    let mut r = Reader::new(&a[..]);
    let h = r.next_header().unwrap().unwrap();
    assert_eq!((h.name.as_str(), &h.kind, h.mode), ("etc/", &Kind::Dir, 0o755));
    let h = r.next_header().unwrap().unwrap();
    assert_eq!((h.name.as_str(), h.mode, h.size), ("etc/motd", 0o4755, 5));
    let mut s = String::new();
    r.data().read_to_string(&mut s).unwrap();
    assert_eq!(s, "hello");
    assert_eq!(r.next_header().unwrap().unwrap().kind, Kind::Symlink("/bin/busybox".into()));
    let h = r.next_header().unwrap().unwrap();
    assert_eq!((h.name.as_str(), h.size), (long.as_str(), 2), "the pax path replaces the name");
    // Data not read is skipped.
    let h = r.next_header().unwrap().unwrap();
    assert_eq!((h.name.as_str(), h.kind), ("gnu/long", Kind::Hardlink("etc/motd".into())));
    assert_eq!(r.next_header().unwrap().unwrap().kind, Kind::Other(b'3'));
    assert_eq!(r.next_header().unwrap(), None);
}

#[test]
fn malformed_archives_are_errors() {
    let mut a = header("f", b'0', 0o644, 100, "");
    a[0] = b'g';
    assert!(Reader::new(&a[..]).next_header().is_err(), "checksum");
    let mut a = header("f", b'0', 0o644, 100, "");
    a.extend(b"short");
    let mut r = Reader::new(&a[..]);
    r.next_header().unwrap().unwrap();
    assert!(io::copy(&mut r.data(), &mut io::sink()).is_err(), "truncated data");
    let a = header("big", b'x', 0o644, MAX_META + 1, "");
    assert!(Reader::new(&a[..]).next_header().is_err(), "huge pax header");
    assert!(parse_pax(b"99 path=x\n").is_err());
    assert!(parse_pax(b"x path=x\n").is_err());
    assert_eq!(parse_pax(b"11 path=ab\n").unwrap(), (Some("ab".into()), None));
    assert_eq!(number(&[0x80, 0, 0, 1, 0]).unwrap(), 256);
    assert!(number(b"9").is_err());
    assert_eq!(Reader::new(&[][..]).next_header().unwrap(), None);
}
