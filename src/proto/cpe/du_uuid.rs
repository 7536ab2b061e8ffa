//! Deployment-unit UUIDs the CPE generates when the ACS gave none (TR-069 Amd 6 A.4.1.9
//! InstallOpStruct UUID; the "Software Module Management UUID Usage" annex, TR-069 Annex H,
//! now TR-181 Annex C, C.2 and C.3): a version 5 (SHA-1, name-based) UUID per RFC 4122 4.3,
//! so the ACS computes the same value.
//!
//! Namespace: the RFC 4122 Appendix C FQDN namespace (6ba7b810-9dad-11d1-80b4-00c04fd430c8).
//! Name: the DU's FQDN, `<Name> "." <Vendor> "."`, Name and Vendor as the DeploymentUnit
//! parameters show them, every byte of Name other than `0-9 a-z A-Z _ -` percent-encoded
//! (`sample.1` becomes `sample%2e1`, as the annex's example writes it).

use super::du_state::Package;

/// RFC 4122 Appendix C: the FQDN (DNS) namespace, 6ba7b810-9dad-11d1-80b4-00c04fd430c8.
const NAMESPACE: [u8; 16] =
    [0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8];

/// The version 5 UUID of `name` in `namespace` (RFC 4122 4.3), in its text form.
pub fn uuid5(namespace: &[u8; 16], name: &[u8]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(namespace);
    ctx.update(name);
    let digest = ctx.finish();
    let mut b = [0u8; 16];
    for (dst, src) in b.iter_mut().zip(digest.as_ref()) {
        *dst = *src;
    }
    if let Some(v) = b.get_mut(6) {
        *v = (*v & 0x0f) | 0x50;
    }
    if let Some(v) = b.get_mut(8) {
        *v = (*v & 0x3f) | 0x80;
    }
    let hex = crate::proto::cr::digest::hex(&b);
    let part = |a: usize, z: usize| hex.get(a..z).unwrap_or_default().to_string();
    format!("{}-{}-{}-{}-{}", part(0, 8), part(8, 12), part(12, 16), part(16, 20), part(20, 32))
}

/// The name the UUID is made from: `<Name>.<Vendor>.` with Name percent-encoded.
pub fn du_fqdn(name: &str, vendor: &str) -> String {
    let mut out = String::with_capacity(name.len() + vendor.len() + 2);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out.push('.');
    out.push_str(vendor);
    out.push('.');
    out
}

/// The UUID of a package installed without one.
pub fn du_uuid(p: &Package) -> String {
    uuid5(&NAMESPACE, du_fqdn(&p.name, &p.vendor).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4122_version_5_of_a_known_name() {
        // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
        assert_eq!(uuid5(&NAMESPACE, b"python.org"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
        let a = du_uuid(&Package { name: "hello".into(), version: "1".into(), vendor: "acme".into() });
        let b = du_uuid(&Package { name: "hello".into(), version: "2".into(), vendor: "acme".into() });
        assert_eq!(a, b, "the UUID does not depend on the version");
        assert!(super::super::du::valid_uuid(&a));
    }

    #[test]
    fn the_annex_example_fqdn_and_its_uuid() {
        // The annex: Vendor "broadband-forum.org", Name "sample1" -> "sample1.broadband-forum.org.";
        // Name "sample.1" -> "sample%2e1". UUIDs from Python's uuid.uuid5(uuid.NAMESPACE_DNS, fqdn).
        assert_eq!(du_fqdn("sample1", "broadband-forum.org"), "sample1.broadband-forum.org.");
        assert_eq!(du_fqdn("sample.1", "broadband-forum.org"), "sample%2e1.broadband-forum.org.");
        assert_eq!(du_fqdn("a b/c", "v"), "a%20b%2fc.v.");
        let p = Package { name: "sample1".into(), version: "1".into(), vendor: "broadband-forum.org".into() };
        assert_eq!(du_uuid(&p), "fe2d23bd-dd02-51b8-af04-f5c18b2b0aa6");
        let p = Package { name: "sample.1".into(), ..p };
        assert_eq!(du_uuid(&p), "0fbf4583-efd7-51b6-8483-7b347f4b521d");
    }
}
