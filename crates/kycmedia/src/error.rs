//! The application error type: either an answer from the contract's error
//! table, or an internal failure whose details go to the log and never to
//! the client.

use kycmedia_proto::ApiError;

use crate::{blobs::BlobError, store::StoreError};

/// A refusal from the contract's table, with the reason in words when there
/// is one. The contract's body carries only the table's fixed message
/// ("Request includes invalid parameters."), so the reason travels beside it
/// in the `X-Kycmedia-Reason` header and the request's log line: the body
/// stays byte-exact, and the person who sent the request can still fix it.
/// A reason names fields, types and contexts; never a secret or media bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub error: ApiError,
    pub reason: Option<String>,
}

impl Rejection {
    pub fn new(error: ApiError, reason: impl Into<String>) -> Self {
        Rejection {
            error,
            reason: Some(reason.into()),
        }
    }
}

impl From<ApiError> for Rejection {
    fn from(error: ApiError) -> Self {
        Rejection { error, reason: None }
    }
}

/// Lets a test compare a rejection with the table row it should carry.
impl PartialEq<ApiError> for Rejection {
    fn eq(&self, other: &ApiError) -> bool {
        self.error == *other
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.reason {
            Some(reason) => write!(f, "{} ({reason})", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Api(Rejection),
    #[error("internal: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// The HTTP status it answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::Api(rejection) => rejection.error.http_status(),
            AppError::Internal(_) => 500,
        }
    }
}

impl From<ApiError> for AppError {
    fn from(e: ApiError) -> Self {
        AppError::Api(e.into())
    }
}

impl From<Rejection> for AppError {
    fn from(e: Rejection) -> Self {
        AppError::Api(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound.into(),
            StoreError::Conflict(status) => {
                Rejection::new(ApiError::Conflict, format!("the session's status is {status}")).into()
            }
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<BlobError> for AppError {
    fn from(e: BlobError) -> Self {
        AppError::Internal(e.into())
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// An error and its causes on one line, each cause once: a layer that
/// quotes its source's message is not followed by that message again.
pub fn describe(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}
