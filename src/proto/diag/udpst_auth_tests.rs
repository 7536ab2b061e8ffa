//! Tests of the UDP Speed Test authentication: RFC 4231 and OpenSSL KBKDF known answers.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::proto::diag::udpst::{Setup, SETUP_LEN};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn hmac_is_rfc4231_test_case_2() {
    let d = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
    assert_eq!(hex(&d), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

#[test]
fn derive_matches_openssl_kbkdf() {
    // openssl kdf -keylen 64 -kdfopt mac:HMAC -kdfopt digest:SHA256 -kdfopt key:firstkey
    //   -kdfopt salt:UDPSTP -kdfopt info:1700000000 KBKDF
    let k = derive(b"firstkey", 1_700_000_000);
    assert_eq!(hex(&k.client), "c46aefd47f968e6dad28d6189797fd06f4a8122fbaccc5b40faa0ac184592c29");
    assert_eq!(hex(&k.server), "e8c791f77f8195c14eb00897fdb696991fe1ce567b5ce0d38f74f2f3300b04ce");
}

#[test]
fn signed_setup_verifies_under_its_key_only() {
    let keys = derive(b"secret", 1_800_000_000);
    let mut pdu = Setup { request: 1, ..Setup::default() }.encode();
    sign(&mut pdu, &keys.client, 7, 1_800_000_001).unwrap();
    assert_eq!(pdu.len(), SETUP_LEN);
    assert_eq!(mode(&pdu), Some(MODE_1));
    assert_eq!(stamp(&pdu), Some((1_800_000_001, 7)));
    assert_eq!(Setup::decode(&pdu).map(|s| s.auth_mode), Some(MODE_1));
    assert!(verify(&pdu, &keys.client));
    assert!(!verify(&pdu, &keys.server));
    // The digest covers every byte: one flipped bit fails.
    let mut bad = pdu.clone();
    bad[10] ^= 1;
    assert!(!verify(&bad, &keys.client));
    // A non-zero checksum is not part of the digest.
    let mut summed = pdu.clone();
    summed[SETUP_LEN - 1] = 0x55;
    assert!(verify(&summed, &keys.client));
}

#[test]
fn short_or_unauthenticated_pdus_do_not_verify() {
    let keys = derive(b"k", 1);
    assert!(!verify(&[0u8; 10], &keys.client));
    assert!(!verify(&Setup::default().encode(), &keys.client));
    assert!(sign(&mut [0u8; 10], &keys.client, 0, 0).is_none());
}

#[test]
fn debug_hides_keys() {
    let a = Auth { key: b"topsecret".to_vec(), key_id: 3 };
    assert!(!format!("{a:?}").contains("topsecret"));
    assert!(!format!("{:?}", derive(b"x", 0)).contains('['));
}
