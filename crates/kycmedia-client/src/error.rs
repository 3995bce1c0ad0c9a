//! The one error type of the SDK.
//!
//! Signature failures are their own variants, never folded into transport or
//! decode errors: a caller (or its monitoring) must be able to tell "the
//! network hiccuped" from "someone altered or forged this response".

use bytes::Bytes;

/// Everything a call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error body (`{"status":"fail","code",...}`).
    ///
    /// `signed` is `true` when the body's signature was verified. The contract
    /// sends 401 refusals unsigned (the server could not tell which secret to
    /// sign with), so those arrive with `signed == false`: they carry no data,
    /// only a refusal, but their wording is not authenticated.
    #[error("API error {status} {code}: {message}{}{}",
        reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default(),
        request_id.as_ref().map(|id| format!(" [request id {id}]")).unwrap_or_default())]
    Api {
        /// HTTP status code.
        status: u16,
        /// The API error code, digits as sent (`"1101"`).
        code: String,
        /// The API's human-readable message.
        message: String,
        /// The response body exactly as received, for callers that print it.
        body: Bytes,
        /// Whether the body's signature was verified (see above).
        signed: bool,
        /// Why, in words, from the `X-Kycmedia-Reason` header: kycmedia
        /// sends it beside the contract's fixed message (the hosted provider
        /// does not). Headers are not signed, so it informs a person and
        /// should decide nothing.
        reason: Option<Box<str>>,
        /// The `X-Request-Id` the server gave the request, to find its log line.
        request_id: Option<Box<str>>,
    },
    /// The response carried no `X-HMAC-SIGNATURE` (or an unparseable one), so
    /// its body cannot be trusted and is not handed over.
    #[error("response (HTTP {status}) is not signed")]
    MissingSignature {
        /// HTTP status of the unsigned response, e.g. 503 from a proxy.
        status: u16,
    },
    /// The response's signature matches none of the configured secrets: it was
    /// altered in transit or does not come from the integration's server.
    #[error("response (HTTP {status}) has a signature that does not match its body")]
    BadSignature {
        /// HTTP status of the rejected response.
        status: u16,
    },
    /// A verified response body was not the JSON the endpoint documents.
    #[error("response (HTTP {status}) could not be decoded: {source}")]
    Decode {
        /// HTTP status of the response.
        status: u16,
        /// The body exactly as received.
        body: Bytes,
        /// What serde reported.
        #[source]
        source: serde_json::Error,
    },
    /// A response body was larger than the client accepts for JSON.
    #[error("response body exceeds {limit} bytes")]
    ResponseTooLarge {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
    /// The request or response did not complete within the configured time.
    #[error("request timed out: {0}")]
    Timeout(#[source] reqwest::Error),
    /// The request could not be sent or the response not read (DNS, TCP,
    /// TLS, a connection reset).
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// Writing a download failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A file to upload could not be read.
    #[error("reading {}: {source}", path.display())]
    File {
        /// The file as the caller named it.
        path: std::path::PathBuf,
        /// What the operating system reported.
        #[source]
        source: std::io::Error,
    },
    /// The client was configured or called with something unusable (a base
    /// URL that does not parse, an id that cannot be put into a path, a
    /// header value with control characters).
    #[error("invalid input: {0}")]
    Invalid(String),
}

impl Error {
    /// The HTTP status the failure came with, when there was a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. }
            | Error::MissingSignature { status }
            | Error::BadSignature { status }
            | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The API error code (`"1101"`), when the API answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The reason in words a kycmedia server gave for refusing the request
    /// (the `X-Kycmedia-Reason` header), when it gave one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Error::Api { reason, .. } => reason.as_deref(),
            _ => None,
        }
    }

    /// The server's id for the refused request (`X-Request-Id`), when it sent one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// Whether the failure means the response could not be authenticated.
    pub fn is_signature_error(&self) -> bool {
        matches!(self, Error::MissingSignature { .. } | Error::BadSignature { .. })
    }

    /// Sorts a reqwest failure into timeout or transport.
    pub(crate) fn from_reqwest(error: reqwest::Error) -> Self {
        if error.is_timeout() {
            Error::Timeout(error)
        } else {
            Error::Transport(error)
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
