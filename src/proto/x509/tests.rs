//! Tests of the X.509 reader against certificates made with `openssl req -x509` / `openssl
//! x509 -req` for the fixtures (tests/fixtures/system): the expected values are what
//! `openssl x509 -noout -serial -subject -issuer -dates -nameopt RFC2253 -text` printed.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

const UHTTPD_DER: &[u8] = include_bytes!("../../../tests/fixtures/system/etc/uhttpd.crt");
const CA_PEM: &[u8] = include_bytes!("../../../tests/fixtures/system/etc/ssl/certs/Example_Root_CA.pem");
const BUNDLE: &[u8] = include_bytes!("../../../tests/fixtures/system/etc/ssl/certs/ca-certificates.crt");

#[test]
fn self_signed_rsa_der_with_generalized_time_and_alt_names() {
    let certs = certificates(UHTTPD_DER);
    assert_eq!(certs.len(), 1);
    let c = parse(&certs[0]).unwrap();
    assert_eq!(c.serial_number, "01:23:45:67:89:ab:cd:ef:01");
    assert_eq!(c.subject, "CN=OpenWrt,O=OpenWrt6f3a2c,L=Unknown,ST=Somewhere,C=ZZ");
    assert_eq!(c.issuer, c.subject);
    assert_eq!(c.not_before, "2026-12-07T09:07:12Z");
    assert_eq!(c.not_after, "2068-01-01T09:07:12Z");
    assert_eq!(c.signature_algorithm, "sha256WithRSAEncryption");
    assert_eq!(c.subject_alt, ["openwrt.lan", "router", "192.168.1.1", "fd00::1", "admin@openwrt.lan"]);
}

#[test]
fn ec_ca_pem_with_sign_octet_and_escaped_comma() {
    let certs = certificates(CA_PEM);
    assert_eq!(certs.len(), 1);
    let c = parse(&certs[0]).unwrap();
    assert_eq!(c.serial_number, "8a:11:22:33:44:55:66:77", "the DER sign octet is not part of the number");
    assert_eq!(c.subject, "CN=Example Root CA,O=Example Trust\\, Inc.,C=DE");
    assert_eq!(c.not_before, "2026-12-07T09:07:11Z");
    assert_eq!(c.not_after, "2046-12-02T09:07:11Z");
    assert_eq!(c.signature_algorithm, "ecdsa-with-SHA256");
    assert!(c.subject_alt.is_empty());
}

#[test]
fn bundle_gives_every_block_in_order() {
    let certs = certificates(BUNDLE);
    assert_eq!(certs.len(), 2);
    assert_eq!(certs[0], certificates(CA_PEM)[0]);
    let client = parse(&certs[1]).unwrap();
    assert_eq!(client.serial_number, "07");
    assert_eq!(client.subject, "emailAddress=cpe@example.net,OU=CPE\\+1,CN=ACS client");
    assert_eq!(client.issuer, "CN=Example Root CA,O=Example Trust\\, Inc.,C=DE");
    assert_eq!(client.signature_algorithm, "ecdsa-with-SHA384");
    assert_eq!(client.not_after, "2036-12-04T09:07:14Z");
}

#[test]
fn pem_whitespace_other_blocks_and_bad_base64() {
    let pem = std::str::from_utf8(CA_PEM).unwrap();
    let crlf = format!("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n{}", pem.replace('\n', "\r\n"));
    assert_eq!(certificates(crlf.as_bytes()), certificates(CA_PEM));
    let broken = "-----BEGIN CERTIFICATE-----\nMII*\n-----END CERTIFICATE-----\n";
    assert!(certificates(broken.as_bytes()).is_empty());
    assert!(certificates(b"-----BEGIN CERTIFICATE-----\nMIIB").is_empty(), "no END line");
    assert_eq!(base64(b"aGk=").unwrap(), b"hi");
    assert_eq!(base64(b"aGVsbG8h").unwrap(), b"hello!");
    assert_eq!(base64(b"aG==").unwrap(), b"h");
    assert_eq!(base64(b"aGk"), None);
}

#[test]
fn der_file_with_trailing_bytes_and_truncated() {
    let mut padded = UHTTPD_DER.to_vec();
    padded.extend_from_slice(b"\n\n");
    assert_eq!(certificates(&padded), certificates(UHTTPD_DER));
    assert!(certificates(&UHTTPD_DER[..UHTTPD_DER.len() - 1]).is_empty());
    for cut in [4, 100, 400, 900] {
        assert_eq!(parse(&UHTTPD_DER[..cut]), None);
    }
}

#[test]
fn times_refused_when_not_rfc5280() {
    assert_eq!(time((0x17, b"491231235959Z")).unwrap(), "2049-12-31T23:59:59Z");
    assert_eq!(time((0x17, b"500101000000Z")).unwrap(), "1950-01-01T00:00:00Z");
    assert_eq!(time((0x18, b"99991231235959Z")).unwrap(), "9999-12-31T23:59:59Z");
    assert_eq!(time((0x17, b"491231235959")), None, "no Z");
    assert_eq!(time((0x17, b"4912312359Z")), None, "no seconds");
    assert_eq!(time((0x18, b"491231235959Z")), None, "GeneralizedTime needs four year digits");
    assert_eq!(time((0x17, b"491331235959Z")), None, "month 13");
    assert_eq!(time((0x17, b"491200235959Z")), None, "day 0");
    assert_eq!(time((0x17, b"49123123595+Z")), None);
    assert_eq!(time((0x04, b"491231235959Z")), None);
}

#[test]
fn serial_numbers() {
    assert_eq!(serial_text(&[0x00, 0x80]).unwrap(), "80");
    assert_eq!(serial_text(&[0x00]).unwrap(), "00");
    assert_eq!(serial_text(&[0x00, 0x7f]).unwrap(), "00:7f", "not a sign octet");
    assert_eq!(serial_text(&[]), None);
}

#[test]
fn unknown_algorithm_is_its_oid_and_ip_lengths() {
    assert_eq!(ip_text(&[10, 0, 0, 1]).unwrap(), "10.0.0.1");
    assert_eq!(ip_text(&[10, 0, 0]), None);
    // The outer AlgorithmIdentifier replaced by 1.2.3 (same length as the ecdsa one: no).
    let der = certificates(CA_PEM).remove(0);
    let at = der.windows(10).rposition(|w| w == [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]).unwrap();
    let mut changed = der.clone();
    changed[at + 9] = 0x09;
    assert_eq!(parse(&changed).unwrap().signature_algorithm, "1.2.840.10045.4.3.9");
}
