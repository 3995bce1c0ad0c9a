//! Request and response signatures (docs/api.md §1).
//!
//! Two schemes exist. The current one, sent as `X-HMAC-SIGNATURE`, is
//! HMAC-SHA256 keyed with the shared secret. The legacy one, sent as
//! `X-SIGNATURE`, is plain SHA-256 over the payload followed by the secret.
//! Both are written as 64 hex digits; either case is accepted on input and
//! lower case is produced on output.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Header of the current scheme.
pub const HMAC_HEADER: &str = "x-hmac-signature";
/// Header of the legacy scheme.
pub const LEGACY_HEADER: &str = "x-signature";
/// Header carrying the API key, on requests and echoed on responses.
pub const AUTH_CLIENT_HEADER: &str = "x-auth-client";
/// Replay protection (kycmedia, opt-in per integration): the request's
/// time, in Unix seconds.
pub const TIMESTAMP_HEADER: &str = "x-kycmedia-timestamp";
/// Replay protection: a value the client never sends twice (16 to 128 of
/// `A-Z a-z 0-9 - _`).
pub const NONCE_HEADER: &str = "x-kycmedia-nonce";

/// What a request signs under replay protection (docs/api.md §1.7): the
/// provider's payload (the body, or the bare id) behind the time, the
/// nonce, the method and the path, so that a captured signature is good
/// for this one request only: not later, not twice, not as another method
/// or on another path.
pub fn replay_protected_payload(timestamp: &str, nonce: &str, method: &str, path: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("kycmedia-replay-v1\n{timestamp}\n{nonce}\n{method}\n{path}\n").into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Whether a nonce is of the accepted form.
pub fn well_formed_nonce(nonce: &str) -> bool {
    (16..=128).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Which signature scheme a request used; the response answers in kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `X-HMAC-SIGNATURE`: HMAC-SHA256(secret, payload).
    Hmac,
    /// `X-SIGNATURE`: SHA-256(payload || secret).
    Legacy,
}

impl Scheme {
    /// The header name this scheme travels in.
    pub fn header(self) -> &'static str {
        match self {
            Scheme::Hmac => HMAC_HEADER,
            Scheme::Legacy => LEGACY_HEADER,
        }
    }
}

/// A signature computed incrementally, so that a large download can be signed
/// without holding it in memory.
pub enum Signer {
    Hmac(Box<Hmac<Sha256>>),
    Legacy { hash: Sha256, secret: Vec<u8> },
}

impl Signer {
    pub fn new(scheme: Scheme, secret: &[u8]) -> Self {
        match scheme {
            Scheme::Hmac => {
                // HMAC accepts keys of any length, so this cannot fail.
                let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
                Signer::Hmac(Box::new(mac))
            }
            Scheme::Legacy => Signer::Legacy {
                hash: Sha256::new(),
                secret: secret.to_vec(),
            },
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Signer::Hmac(mac) => mac.update(bytes),
            Signer::Legacy { hash, .. } => hash.update(bytes),
        }
    }

    /// The raw 32-byte signature.
    pub fn finish(self) -> [u8; 32] {
        match self {
            Signer::Hmac(mac) => mac.finalize().into_bytes().into(),
            Signer::Legacy { mut hash, secret } => {
                hash.update(&secret);
                hash.finalize().into()
            }
        }
    }

    /// The signature as 64 lower-case hex digits.
    pub fn finish_hex(self) -> String {
        hex::encode(self.finish())
    }
}

/// Signs `payload` with `secret`, as lower-case hex.
pub fn sign(scheme: Scheme, secret: &[u8], payload: &[u8]) -> String {
    let mut signer = Signer::new(scheme, secret);
    signer.update(payload);
    signer.finish_hex()
}

/// Parses a signature header value: exactly 64 hex digits, either case.
/// `None` means the header is malformed (error 1812).
pub fn parse_signature(value: &str) -> Option<[u8; 32]> {
    let value = value.trim();
    if value.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(value, &mut out).ok()?;
    Some(out)
}

/// Whether `signature` is the signature of `payload` under `secret`.
/// The comparison takes the same time wherever the first difference lies.
pub fn verify(scheme: Scheme, secret: &[u8], payload: &[u8], signature: &[u8; 32]) -> bool {
    let mut signer = Signer::new(scheme, secret);
    signer.update(payload);
    signer.finish().ct_eq(signature).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The signature test vectors, kept in the repository at
    /// `docs/hmac-vectors.json` (see `docs/api.md` §1) and compiled in, so
    /// that the tests read nothing at run time.
    const VECTORS: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/hmac-vectors.json"));

    fn vectors() -> Vec<Value> {
        let doc: Value = serde_json::from_str(VECTORS).expect("vectors are JSON");
        doc["vectors"].as_array().expect("a vectors array").clone()
    }

    #[test]
    fn every_shared_hmac_vector_signs_to_its_published_value() {
        let vectors = vectors();
        assert!(vectors.len() >= 3);
        for v in vectors {
            let secret = v["secret"].as_str().unwrap().as_bytes();
            let payload = v["payload"].as_str().unwrap().as_bytes();
            assert_eq!(
                sign(Scheme::Hmac, secret, payload),
                v["hmac_sha256"].as_str().unwrap(),
                "{}",
                v["name"]
            );
            assert_eq!(
                sign(Scheme::Legacy, secret, payload),
                v["legacy_sha256"].as_str().unwrap(),
                "{}",
                v["name"]
            );
        }
    }

    #[test]
    fn every_shared_vector_verifies_in_upper_and_lower_case_and_fails_when_altered() {
        for v in vectors() {
            let secret = v["secret"].as_str().unwrap().as_bytes();
            let payload = v["payload"].as_str().unwrap().as_bytes();
            for (scheme, key) in [(Scheme::Hmac, "hmac_sha256"), (Scheme::Legacy, "legacy_sha256")] {
                let hex = v[key].as_str().unwrap();
                for text in [hex.to_owned(), hex.to_uppercase()] {
                    let sig = parse_signature(&text).unwrap();
                    assert!(verify(scheme, secret, payload, &sig));
                    assert!(!verify(scheme, b"another secret", payload, &sig));
                    let mut altered = payload.to_vec();
                    altered.push(b' ');
                    assert!(!verify(scheme, secret, &altered, &sig));
                }
            }
        }
    }

    #[test]
    fn a_signature_that_is_not_64_hex_digits_is_malformed() {
        assert!(parse_signature("abc").is_none());
        assert!(parse_signature(&"g".repeat(64)).is_none());
        assert!(parse_signature(&"a".repeat(63)).is_none());
        assert!(parse_signature(&"a".repeat(65)).is_none());
        assert!(parse_signature(&"A".repeat(64)).is_some());
    }

    #[test]
    fn signing_in_pieces_equals_signing_at_once() {
        let mut signer = Signer::new(Scheme::Hmac, b"secret");
        signer.update(b"hello ");
        signer.update(b"world");
        assert_eq!(signer.finish_hex(), sign(Scheme::Hmac, b"secret", b"hello world"));
    }
}
