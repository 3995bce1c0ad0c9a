//! Checking a webhook kycmedia (or the provider) sent: the signature over
//! the exact body, with any of the integration's secrets, and the body read
//! into its kind.
//!
//! ```
//! use kycmedia_client::webhook;
//! # let (secret, body) = ("s3cret", br#"{"id":"x","attemptId":"y","feature":"selfid","code":7002,"action":"submitted","vendorData":null,"endUserId":null}"#);
//! let mut headers = reqwest::header::HeaderMap::new();
//! headers.insert("x-hmac-signature", kycmedia_client::sign(secret, body).parse().unwrap());
//! let verified = webhook::verify(&headers, body, &[secret]).expect("signed with our secret");
//! assert!(matches!(verified.webhook, webhook::Webhook::Event(_)));
//! ```

use kycmedia_proto::{
    decision::DecisionWebhook,
    signing::{self, Scheme},
    webhook::{EventWebhook, WEBHOOK_ID_HEADER},
};
use reqwest::header::HeaderMap;

/// A webhook's body, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Webhook {
    /// `started` or `submitted`.
    Event(EventWebhook),
    /// A decision (9xxx).
    Decision(Box<DecisionWebhook>),
}

/// A webhook whose signature verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The body, read.
    pub webhook: Webhook,
    /// Which of the secrets given verified it.
    pub secret_index: usize,
    /// kycmedia's delivery id (`X-Kycmedia-Webhook-Id`), the same on every
    /// retry: drop a webhook whose id was handled already.
    pub id: Option<String>,
}

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// No signature header at all.
    #[error("the webhook carries no X-HMAC-SIGNATURE or X-SIGNATURE header")]
    MissingSignature,
    /// A signature header that is not a SHA-256 in hex.
    #[error("the signature header is not 64 hex digits")]
    MalformedSignature,
    /// Signed, but with none of the secrets.
    #[error("the signature matches none of the secrets: not sent by your integration, or altered")]
    Mismatch,
    /// Signed, but not a webhook body.
    #[error("the body is neither an event nor a decision webhook: {0}")]
    Body(String),
}

/// Verifies `body` against its signature header with each of `secrets`
/// (several while a secret is being rotated), in constant time, then reads
/// it. `X-HMAC-SIGNATURE` (or its `vrf-` spelling) is preferred; the legacy
/// `X-SIGNATURE` is accepted when it is the only one.
pub fn verify<S: AsRef<[u8]>>(headers: &HeaderMap, body: &[u8], secrets: &[S]) -> Result<Verified, WebhookError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (scheme, value) = match (
        header(signing::HMAC_HEADER).or_else(|| header("vrf-hmac-signature")),
        header(signing::LEGACY_HEADER),
    ) {
        (Some(value), _) => (Scheme::Hmac, value),
        (None, Some(value)) => (Scheme::Legacy, value),
        (None, None) => return Err(WebhookError::MissingSignature),
    };
    let signature = signing::parse_signature(value).ok_or(WebhookError::MalformedSignature)?;
    let secret_index = secrets
        .iter()
        .position(|secret| signing::verify(scheme, secret.as_ref(), body, &signature))
        .ok_or(WebhookError::Mismatch)?;
    Ok(Verified {
        webhook: parse(body)?,
        secret_index,
        id: header(WEBHOOK_ID_HEADER).map(str::to_owned),
    })
}

/// Reads a webhook body: a decision when it has `verification`, else an event.
pub fn parse(body: &[u8]) -> Result<Webhook, WebhookError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| WebhookError::Body(e.to_string()))?;
    let read = |e: serde_json::Error| WebhookError::Body(e.to_string());
    if value.get("verification").is_some() {
        Ok(Webhook::Decision(Box::new(
            serde_json::from_value(value).map_err(read)?,
        )))
    } else {
        Ok(Webhook::Event(serde_json::from_value(value).map_err(read)?))
    }
}
