//! Async Rust client for kycmedia and any other server speaking the
//! Veriff-compatible Public API v1 media endpoints.
//!
//! Why use it rather than a hand-rolled `reqwest` call: it signs **exactly
//! the bytes it sends** (a body is serialised once, and those bytes are both
//! signed and sent), and it verifies `X-HMAC-SIGNATURE` on **every** response,
//! success or error, in constant time, before decoding anything. A response
//! that is unsigned or whose signature does not match is reported as
//! [`Error::MissingSignature`] or [`Error::BadSignature`] and its content is
//! never handed over.
//!
//! ```no_run
//! use kycmedia_client::{Client, Error, NewSession};
//!
//! # async fn run() -> Result<(), Error> {
//! let client = Client::builder("https://kycmedia.example.com", "api-key-uuid", "shared-secret")
//!     .retries(2) // GET and DELETE only
//!     .build()?;
//! let session = client.create_session(&NewSession::new().vendor_data("customer-42")).await?;
//! let id = &session.verification.id;
//! client.upload_file(id, "face", "face.jpg").await?;
//! client.upload_file(id, "document-front", "passport.jpg").await?;
//! client.submit(id).await?;
//!
//! // Lists are ranked best first; download the best face photo.
//! let media = client.session_media(id).await?;
//! if let Some(best) = media.images.iter().find(|m| m.context == "face") {
//!     let mut file = tokio::fs::File::create("face-best.jpg").await?;
//!     client.download(&best.id, &mut file).await?;
//! }
//! // The exact bytes the server sent are kept, e.g. to print or archive them.
//! println!("{}", String::from_utf8_lossy(media.body()));
//! # Ok(())
//! # }
//! ```
//!
//! Signing on its own, e.g. to build a `curl` call:
//!
//! ```
//! let signature = kycmedia_client::sign("abcdef12-abcd-abcd-abcd-abcdef012345", "aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7");
//! assert_eq!(signature, "895cb3fd31139d89aeb7b263682e15479ab57651e70591256ad2c14fde4950dd");
//! ```

#![warn(missing_docs)]

mod builder;
mod client;
mod download;
mod endpoints;
mod error;
mod session;
mod signed;

pub use builder::{ClientBuilder, DEFAULT_USER_AGENT};
pub use client::Client;
pub use download::Download;
pub use endpoints::media_kind;
pub use error::{Error, Result};
pub use session::{Document, NewSession, Person};
pub use signed::Signed;

/// Verifying and reading webhooks.
pub mod webhook;

/// The shared wire crate, for the types responses decode into.
pub use kycmedia_proto as proto;
pub use kycmedia_proto::{
    FailBody, ImageContext, MediaKind, Status, VideoContext,
    decision::{DecisionObject, DecisionResponse},
    wire::{
        AttemptList, AttemptObject, DeleteResponse, DeletedSession, MediaList, MediaObject, SessionObject,
        SessionResponse, UploadResponse,
    },
};

/// The `X-HMAC-SIGNATURE` of `payload` under `secret`: lower-case hex
/// HMAC-SHA256.
///
/// The payload is the exact request body for POST and PATCH, and the bare id
/// from the path for GET and DELETE. Exposed so that callers can sign
/// requests made by other means (curl, a queue worker) the same way.
pub fn sign(secret: impl AsRef<[u8]>, payload: impl AsRef<[u8]>) -> String {
    proto::signing::sign(proto::signing::Scheme::Hmac, secret.as_ref(), payload.as_ref())
}

/// Whether `signature` (64 hex digits, either case) is the `X-HMAC-SIGNATURE`
/// of `payload` under `secret`. Constant time: use this, never `==`, to check
/// a webhook or response by hand.
pub fn verify(secret: impl AsRef<[u8]>, payload: impl AsRef<[u8]>, signature: &str) -> bool {
    proto::signing::parse_signature(signature).is_some_and(|signature| {
        proto::signing::verify(
            proto::signing::Scheme::Hmac,
            secret.as_ref(),
            payload.as_ref(),
            &signature,
        )
    })
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// The signature test vectors, kept in the repository at
    /// `docs/hmac-vectors.json` (see `docs/api.md` §1) and compiled in, so
    /// that a change to them is tested at once and nothing outside the
    /// repository is read.
    const VECTORS: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/hmac-vectors.json"));

    fn vectors() -> Vec<Value> {
        let doc: Value = serde_json::from_str(VECTORS).expect("the vectors are JSON");
        doc["vectors"].as_array().expect("a vectors array").clone()
    }

    #[test]
    fn every_shared_hmac_vector_signs_to_its_published_value_through_the_public_function() {
        let vectors = vectors();
        assert!(vectors.len() >= 3, "expected at least the three published vectors");
        for v in vectors {
            let (secret, payload) = (v["secret"].as_str().unwrap(), v["payload"].as_str().unwrap());
            let expected = v["hmac_sha256"].as_str().unwrap();
            assert_eq!(super::sign(secret, payload), expected, "{}", v["name"]);
            assert!(super::verify(secret, payload, expected), "{}", v["name"]);
            assert!(
                super::verify(secret, payload, &expected.to_uppercase()),
                "{}",
                v["name"]
            );
            assert!(!super::verify(secret, format!("{payload} "), expected), "{}", v["name"]);
            assert!(!super::verify("another secret", payload, expected), "{}", v["name"]);
        }
    }

    #[test]
    fn the_providers_own_decision_webhook_vector_verifies_and_reads() {
        let d = vectors()
            .into_iter()
            .find(|v| v["name"].as_str().unwrap().starts_with("D:"))
            .expect("vector D");
        let (secret, body) = (d["secret"].as_str().unwrap(), d["payload"].as_str().unwrap());
        for (header, signature) in [
            ("x-hmac-signature", d["hmac_sha256"].as_str().unwrap()),
            ("x-signature", d["legacy_sha256"].as_str().unwrap()),
        ] {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(header, signature.parse().unwrap());
            let verified = super::webhook::verify(&headers, body.as_bytes(), &["an old secret", secret]).unwrap();
            assert_eq!(verified.secret_index, 1, "{header}");
            let super::webhook::Webhook::Decision(decision) = verified.webhook else {
                panic!("a decision")
            };
            assert_eq!(decision.verification.code, 9001);
            assert_eq!(decision.verification.status, "approved");
            assert_eq!(
                super::webhook::verify(&headers, format!("{body} ").as_bytes(), &[secret]),
                Err(super::webhook::WebhookError::Mismatch)
            );
        }
        assert_eq!(
            super::webhook::verify(&reqwest::header::HeaderMap::new(), body.as_bytes(), &[secret]),
            Err(super::webhook::WebhookError::MissingSignature)
        );
    }

    #[test]
    fn a_malformed_signature_never_verifies() {
        assert!(!super::verify("s", "p", "not hex"));
        assert!(!super::verify("s", "p", ""));
    }
}
