//! The application's error type: either an answer from the contract's error
//! table, or an internal failure whose details go to the log and never to
//! the client.

use kycmedia_proto::ApiError;

use crate::{blobs::BlobError, store::StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("internal: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::Api(ApiError::NotFound),
            StoreError::Conflict(_) => AppError::Api(ApiError::Conflict),
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
