//! The SASL mechanisms of the XMPP client (RFC 6120 6.3.8 and 13.8): SCRAM-SHA-1 (RFC 5802
//! section 3 and 5, without channel binding: GS2 header `n,,`) and PLAIN (RFC 4616), which
//! the client only offers inside TLS.
//!
//! SCRAM proves the password without sending it and makes the server prove it knows the
//! salted password too (the `v=` server signature is checked before the session goes on).
//! The iteration count the server asks for is bounded ([`MAX_ITERATIONS`]) so a hostile
//! server cannot make the CPE hash for minutes. HMAC, PBKDF2 and SHA-1 come from ring.

use super::base64;
use ring::{digest, hmac, pbkdf2};

/// Most PBKDF2 iterations accepted (servers use 4096-10000; RFC 5802 5.1 asks for >= 4096).
pub const MAX_ITERATIONS: u32 = 100_000;
/// Longest server nonce + salt message accepted.
const MAX_SERVER_FIRST: usize = 1024;

/// Why SCRAM failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScramError {
    /// The server-first message is not one (missing or bad r, s, i; nonce not ours).
    BadServerFirst,
    /// The iteration count is 0 or over [`MAX_ITERATIONS`].
    Iterations,
    /// The server's signature does not match: it does not know the password.
    BadServerSignature,
}

/// The client side of one SCRAM-SHA-1 exchange.
#[derive(Clone)]
pub struct Scram {
    client_first_bare: String,
    nonce: String,
    password: String,
    /// The server signature expected in the server-final message, once computed.
    expected: Option<Vec<u8>>,
    verified: bool,
}

/// Never shows the password or the expected signature.
impl core::fmt::Debug for Scram {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Scram").field("client_first_bare", &self.client_first_bare).finish_non_exhaustive()
    }
}

/// RFC 5802 5.1 saslname: `=` and `,` escaped.
fn sasl_name(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    hmac::sign(&key, data).as_ref().to_vec()
}

/// The value of attribute `name` (`r`, `s`, `i`, `v`, `e`) in a SCRAM message.
fn attribute(message: &str, name: char) -> Option<&str> {
    message.split(',').find_map(|part| part.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
}

impl Scram {
    /// A new exchange; `nonce` is printable random text without `,` (the shell's entropy).
    pub fn new(user: &str, password: &str, nonce: &str) -> Scram {
        let client_first_bare = format!("n={},r={nonce}", sasl_name(user));
        Scram {
            client_first_bare,
            nonce: nonce.to_string(),
            password: password.to_string(),
            expected: None,
            verified: false,
        }
    }

    /// The client-first message (the `<auth>` payload).
    pub fn client_first(&self) -> String {
        format!("n,,{}", self.client_first_bare)
    }

    /// The client-final message answering `server_first` (the `<response>` payload).
    pub fn client_final(&mut self, server_first: &str) -> Result<String, ScramError> {
        if server_first.len() > MAX_SERVER_FIRST || server_first.starts_with("m=") {
            return Err(ScramError::BadServerFirst);
        }
        let nonce = attribute(server_first, 'r').ok_or(ScramError::BadServerFirst)?;
        let salt = attribute(server_first, 's').and_then(base64::decode).ok_or(ScramError::BadServerFirst)?;
        let iterations: u32 =
            attribute(server_first, 'i').and_then(|i| i.parse().ok()).ok_or(ScramError::BadServerFirst)?;
        if nonce.len() <= self.nonce.len() || !nonce.starts_with(&self.nonce) || salt.is_empty() {
            return Err(ScramError::BadServerFirst);
        }
        let rounds = core::num::NonZeroU32::new(iterations).filter(|n| n.get() <= MAX_ITERATIONS);
        let rounds = rounds.ok_or(ScramError::Iterations)?;
        let mut salted = [0u8; 20];
        pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA1, rounds, &salt, self.password.as_bytes(), &mut salted);
        let client_key = hmac_sha1(&salted, b"Client Key");
        let stored_key = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &client_key);
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let signature = hmac_sha1(stored_key.as_ref(), auth_message.as_bytes());
        let proof: Vec<u8> = client_key.iter().zip(&signature).map(|(k, s)| k ^ s).collect();
        let server_key = hmac_sha1(&salted, b"Server Key");
        self.expected = Some(hmac_sha1(&server_key, auth_message.as_bytes()));
        Ok(format!("{without_proof},p={}", base64::encode(&proof)))
    }

    /// Checks the server-final message (`v=...`); an `e=` error or a wrong signature fails.
    pub fn verify_server_final(&mut self, server_final: &str) -> Result<(), ScramError> {
        let v = attribute(server_final, 'v').and_then(base64::decode);
        match (&self.expected, v) {
            (Some(expected), Some(v)) if super::connreq::same_secret(expected, &v) => {
                self.verified = true;
                Ok(())
            }
            _ => Err(ScramError::BadServerSignature),
        }
    }

    /// True once the server's signature was checked.
    pub fn verified(&self) -> bool {
        self.verified
    }
}

/// The PLAIN message (RFC 4616): no authorization identity, the user, the password.
pub fn plain(user: &str, password: &str) -> String {
    let mut msg = vec![0u8];
    msg.extend_from_slice(user.as_bytes());
    msg.push(0);
    msg.extend_from_slice(password.as_bytes());
    base64::encode(&msg)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// RFC 5802 section 5 example.
    #[test]
    fn rfc5802_example() {
        let mut s = Scram::new("user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
        assert_eq!(s.client_first(), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
        let server_first = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
        assert_eq!(
            s.client_final(server_first).unwrap(),
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
        );
        assert_eq!(s.verify_server_final("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="), Ok(()));
        assert_eq!(s.verify_server_final("v=rmF9pqV8S7suAoZWja4dJRkFsKA="), Err(ScramError::BadServerSignature));
        assert_eq!(s.verify_server_final("e=other-error"), Err(ScramError::BadServerSignature));
    }

    #[test]
    fn refuses_foreign_nonce_and_costly_iterations() {
        let mut s = Scram::new("u,=", "p", "abc");
        assert_eq!(s.client_first(), "n,,n=u=2C=3D,r=abc");
        assert_eq!(s.client_final("r=xyz123,s=QSXCR+Q6sek8bf92,i=4096"), Err(ScramError::BadServerFirst));
        assert_eq!(s.client_final("r=abc,s=QSXCR+Q6sek8bf92,i=4096"), Err(ScramError::BadServerFirst));
        assert_eq!(s.client_final("r=abcd,s=QSXCR+Q6sek8bf92,i=100001"), Err(ScramError::Iterations));
        assert_eq!(s.client_final("r=abcd,s=QSXCR+Q6sek8bf92,i=0"), Err(ScramError::Iterations));
        assert_eq!(s.client_final("r=abcd,s=!!,i=4096"), Err(ScramError::BadServerFirst));
        assert_eq!(s.verify_server_final("v=AAAA"), Err(ScramError::BadServerSignature));
    }

    #[test]
    fn plain_message() {
        assert_eq!(base64::decode(&plain("u", "p")).unwrap(), b"\0u\0p");
    }
}
