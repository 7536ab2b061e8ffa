//! X.509 certificate reader (src/proto/x509): never panics on any file; every certificate
//! it reads has xsd:dateTime validity times and fields within TR-181's sizes or longer
//! only as the data is (the backend drops what does not fit).
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
        }
    }
    let _ = x509::der::name_text(data);
    let _ = x509::der::oid_text(data);
});
