//! X.509 certificate reader (src/proto/x509): never panics on any file; every certificate
//! it reads has xsd:dateTime validity times, a serial number, an algorithm, and no control
//! character in its names (the backend drops what does not fit TR-181's sizes).
#![no_main]
use cwmpd::proto::x509;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let certs = x509::certificates(data);
    assert!(certs.len() <= x509::MAX_PER_FILE);
    for der in certs.iter().map(Vec::as_slice).chain([data]) {
        if let Some(c) = x509::parse(der) {
            assert!(cwmpd::clock::parse_date_time(&c.not_before).is_ok());
            assert!(cwmpd::clock::parse_date_time(&c.not_after).is_ok());
            assert!(!c.serial_number.is_empty() && !c.signature_algorithm.is_empty());
            // Nothing that could not go into an XML answer.
            let texts = [&c.issuer, &c.subject].into_iter().chain(c.subject_alt.iter());
            assert!(texts.flat_map(|t| t.chars()).all(|ch| !ch.is_control()));
        }
    }
    let _ = x509::der::name_text(data);
    let _ = x509::der::oid_text(data);
});
