//! The OCI layer readers (`shell::du::tar`, `shell::du::gunzip`): any bytes read as a tar
//! stream or as a gzip stream end in entries or an error, never a panic or an endless loop;
//! a header the reader accepts has no data size for anything but a file, and the user's
//! `User` resolution (`oci_image::resolve_user`) never panics.
#![no_main]
use cwmpd::shell::du::{gunzip::Gunzip, oci_image, tar};
use libfuzzer_sys::fuzz_target;
use std::io::Read;

fuzz_target!(|data: &[u8]| {
    let mut r = tar::Reader::new(data);
    for _ in 0..10_000 {
        match r.next_header() {
            Ok(Some(h)) => {
                assert!(h.size == 0 || h.kind == tar::Kind::File);
                let _ = std::io::copy(&mut r.data(), &mut std::io::sink());
            }
            Ok(None) | Err(_) => break,
        }
    }
    let mut out = Vec::new();
    let _ = Gunzip::new(data).take(1 << 20).read_to_end(&mut out);
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let (user, passwd) = (lines.next().unwrap_or_default(), lines.next().unwrap_or_default());
    let _ = oci_image::resolve_user(user, passwd, passwd);
});
