//! Deployment-unit UUIDs the CPE generates when the ACS gave none (TR-069 Amd 6 A.4.1.9
//! InstallOpStruct UUID; TR-181 Annex "Software Module Management UUID Usage"): a version 5
//! (SHA-1, name-based) UUID per RFC 4122 4.3, so the ACS can compute the same value.
//!
//! Name: the DU's name followed by its vendor (as the package declares them). Namespace:
//! the RFC 4122 URL namespace. README "Software modules" says what of this was checked
//! against the Annex text.

use super::du_state::Package;

/// RFC 4122 Appendix C: the URL namespace, 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
const NAMESPACE: [u8; 16] =
    [0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8];

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
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let part = |a: usize, z: usize| hex.get(a..z).unwrap_or_default().to_string();
    format!("{}-{}-{}-{}-{}", part(0, 8), part(8, 12), part(12, 16), part(16, 20), part(20, 32))
}

/// The UUID of a package installed without one.
pub fn du_uuid(p: &Package) -> String {
    let mut name = p.name.clone();
    name.push_str(&p.vendor);
    uuid5(&NAMESPACE, name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4122_version_5_of_a_known_name() {
        // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
        let dns = [0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8];
        assert_eq!(uuid5(&dns, b"python.org"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
        let a = du_uuid(&Package { name: "hello".into(), version: "1".into(), vendor: "acme".into() });
        let b = du_uuid(&Package { name: "hello".into(), version: "2".into(), vendor: "acme".into() });
        assert_eq!(a, b, "the UUID does not depend on the version");
        assert!(super::super::du::valid_uuid(&a));
    }
}
