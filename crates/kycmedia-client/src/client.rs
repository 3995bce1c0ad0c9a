//! The transport: signing what is sent, retrying what may be retried, and
//! verifying what comes back before anything is decoded.

use std::{sync::Arc, time::Duration};

use bytes::{Bytes, BytesMut};
use kycmedia_proto::{
    FailBody,
    headers::{REASON_HEADER, REQUEST_ID_HEADER},
    signing::{
        AUTH_CLIENT_HEADER, HMAC_HEADER, NONCE_HEADER, Scheme, TIMESTAMP_HEADER, parse_signature,
        replay_protected_payload, sign, verify,
    },
};
use reqwest::{Method, StatusCode, Url, header::HeaderMap};
use serde::de::DeserializeOwned;

use crate::{
    ClientBuilder, Signed,
    error::{Error, Result},
};

/// An async client of the API. Cheap to clone: clones share one connection
/// pool and configuration, so make one per integration and pass it around.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

/// What every clone of a [`Client`] shares.
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    /// Always ends with `/`, so that `join("v1/…")` appends.
    pub(crate) base: Url,
    pub(crate) api_key: String,
    /// Never empty; the first one signs.
    pub(crate) secrets: Vec<String>,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_json_body: usize,
    /// Sign with a timestamp and nonce (`ClientBuilder::replay_protection`).
    pub(crate) replay_protection: bool,
}

/// When and how often idempotent calls are repeated.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    pub(crate) retries: u32,
    pub(crate) backoff: Duration,
    pub(crate) max_backoff: Duration,
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0-based): doubling from the
    /// initial backoff, never below what the server asked for, never over
    /// the cap.
    fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let doubled = self.backoff.saturating_mul(2u32.saturating_pow(attempt));
        doubled.max(retry_after.unwrap_or_default()).min(self.max_backoff)
    }
}

/// Secrets and keys are never printed: a client may end up in a log line.
impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("api_key", &self.inner.api_key)
            .field("secrets", &format_args!("[{} redacted]", self.inner.secrets.len()))
            .finish_non_exhaustive()
    }
}

/// A request about to be sent: the method, the path under the base URL,
/// the signed payload and the body (absent for GET and DELETE).
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) signed: &'a [u8],
    pub(crate) body: Option<Bytes>,
}

impl Client {
    /// Starts configuring a client for the API at `base_url` (for example
    /// `https://kycmedia.example.com`, or a prefix such as
    /// `https://example.com/kyc`), as the integration `api_key`, signing with
    /// `secret`.
    pub fn builder(base_url: impl AsRef<str>, api_key: impl Into<String>, secret: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(base_url.as_ref(), api_key.into(), secret.into())
    }

    /// A client with the default configuration; see [`ClientBuilder`].
    pub fn new(base_url: impl AsRef<str>, api_key: impl Into<String>, secret: impl Into<String>) -> Result<Self> {
        Client::builder(base_url, api_key, secret).build()
    }

    /// The base URL every path is joined to, ending with `/`.
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    /// The integration's API key, sent as `X-AUTH-CLIENT`.
    pub fn api_key(&self) -> &str {
        &self.inner.api_key
    }

    /// Sends `call`, repeating it on 429, 5xx and connection failures when
    /// its method is idempotent and retries are configured. `total_timeout`
    /// bounds the whole exchange; without it only the client's read timeout
    /// applies (downloads, whose duration grows with the file).
    pub(crate) async fn send(&self, call: &Call<'_>, total_timeout: bool) -> Result<reqwest::Response> {
        let url = self.url(&call.path)?;
        let secret = self.inner.secrets.first().map(String::as_bytes).unwrap_or_default();
        let signature = sign(Scheme::Hmac, secret, call.signed);
        let idempotent = call.method == Method::GET || call.method == Method::DELETE;
        let mut attempt = 0;
        loop {
            let mut request = self
                .inner
                .http
                .request(call.method.clone(), url.clone())
                .header(AUTH_CLIENT_HEADER, &self.inner.api_key);
            request = if self.inner.replay_protection {
                // A fresh nonce and time for each try: a retry is a new request.
                let timestamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
                    .to_string();
                let nonce = uuid::Uuid::new_v4().simple().to_string();
                let payload =
                    replay_protected_payload(&timestamp, &nonce, call.method.as_str(), url.path(), call.signed);
                request
                    .header(TIMESTAMP_HEADER, timestamp)
                    .header(NONCE_HEADER, nonce)
                    .header(HMAC_HEADER, sign(Scheme::Hmac, secret, &payload))
            } else {
                request.header(HMAC_HEADER, &signature)
            };
            if let Some(body) = &call.body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            if total_timeout {
                request = request.timeout(self.inner.timeout);
            }
            let result = request.send().await;
            if idempotent && attempt < self.inner.retry.retries {
                let retry_after = match &result {
                    Ok(response) if is_retryable(response.status()) => Some(retry_after(response.headers())),
                    Err(error) if error.is_connect() => Some(None),
                    _ => None,
                };
                if let Some(retry_after) = retry_after {
                    drop(result);
                    tokio::time::sleep(self.inner.retry.delay(attempt, retry_after)).await;
                    attempt += 1;
                    continue;
                }
            }
            return result.map_err(Error::from_reqwest);
        }
    }

    /// Sends `call` and returns its verified, decoded answer.
    pub(crate) async fn call<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<Signed<T>> {
        let response = self.send(&call, true).await?;
        let status = response.status().as_u16();
        let body = self.verified_body(response).await?;
        match serde_json::from_slice(&body) {
            Ok(value) => Ok(Signed::new(value, body, status)),
            Err(source) => Err(Error::Decode { status, body, source }),
        }
    }

    /// Reads a response to the end and verifies its signature. A success
    /// status yields the body; an error status yields [`Error::Api`], so
    /// callers of this only ever see authenticated success bodies.
    pub(crate) async fn verified_body(&self, mut response: reqwest::Response) -> Result<Bytes> {
        let status = response.status();
        let signature = response
            .headers()
            .get(HMAC_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(Box::<str>::from)
        };
        let (reason, request_id) = (header(REASON_HEADER), header(REQUEST_ID_HEADER));
        let limit = self.inner.max_json_body;
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(Error::from_reqwest)? {
            if body.len() + chunk.len() > limit {
                return Err(Error::ResponseTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        let body = body.freeze();
        let signed = match signature.as_deref().and_then(parse_signature) {
            Some(signature) => {
                if !self.verifies(&body, &signature) {
                    return Err(Error::BadSignature {
                        status: status.as_u16(),
                    });
                }
                true
            }
            // The contract sends 401 refusals unsigned; anything else must be signed.
            None if status == StatusCode::UNAUTHORIZED => false,
            None => {
                return Err(Error::MissingSignature {
                    status: status.as_u16(),
                });
            }
        };
        if status.is_success() {
            return Ok(body);
        }
        match serde_json::from_slice::<FailBody>(&body) {
            Ok(fail) => Err(Error::Api {
                status: status.as_u16(),
                code: fail.code,
                message: fail.message,
                body,
                signed,
                reason,
                request_id,
            }),
            // An unsigned 401 that is not even an API error body is no
            // refusal from the API; treat it as the unsigned response it is.
            Err(_) if !signed => Err(Error::MissingSignature {
                status: status.as_u16(),
            }),
            Err(source) => Err(Error::Decode {
                status: status.as_u16(),
                body,
                source,
            }),
        }
    }

    /// Whether `signature` signs `payload` under any configured secret; each
    /// comparison is constant time.
    pub(crate) fn verifies(&self, payload: &[u8], signature: &[u8; 32]) -> bool {
        self.inner
            .secrets
            .iter()
            .any(|secret| verify(Scheme::Hmac, secret.as_bytes(), payload, signature))
    }

    /// The secrets accepted on responses, signing one first.
    pub(crate) fn secrets(&self) -> &[String] {
        &self.inner.secrets
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.inner
            .base
            .join(path)
            .map_err(|e| Error::Invalid(format!("path {path:?}: {e}")))
    }
}

/// 429 and every 5xx may succeed when asked again.
fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// `Retry-After` in whole seconds; the HTTP-date form is ignored (the
/// doubling backoff still applies).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Checks that `id` can go into a URL path as one segment, unescaped. The
/// API's ids are UUIDs; anything else is left for the server to reject (it
/// answers 1001/1002), but nothing that could change the path is sent.
pub(crate) fn check_id(id: &str) -> Result<&str> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(Error::Invalid(format!("{id:?} is not an id")));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_honours_retry_after_and_stops_at_the_cap() {
        let policy = RetryPolicy {
            retries: 5,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        };
        assert_eq!(policy.delay(0, None), Duration::from_millis(100));
        assert_eq!(policy.delay(2, None), Duration::from_millis(400));
        assert_eq!(policy.delay(9, None), Duration::from_secs(1));
        assert_eq!(
            policy.delay(0, Some(Duration::from_millis(700))),
            Duration::from_millis(700)
        );
        assert_eq!(policy.delay(0, Some(Duration::from_secs(60))), Duration::from_secs(1));
        assert_eq!(policy.delay(u32::MAX, None), Duration::from_secs(1));
    }

    #[test]
    fn ids_that_could_change_the_path_are_refused() {
        assert!(check_id("aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7").is_ok());
        for bad in ["", "../admin", "a/b", "a?b", "a#b", "a%2F", "a b", &"a".repeat(65)] {
            assert!(check_id(bad).is_err(), "{bad:?}");
        }
    }
}
