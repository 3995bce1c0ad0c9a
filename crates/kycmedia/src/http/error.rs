//! Turning an `AppError` into the contract's JSON error body.
//! Internal failures are logged here, once, with their cause, and the client
//! only ever reads "Something went wrong".

use axum::{
    Json,
    http::{HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use kycmedia_proto::{ApiError, signing::AUTH_CLIENT_HEADER};

use crate::error::AppError;

/// The response for one row of the error table.
pub fn api_error_response(error: &ApiError) -> Response {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(error.body())).into_response()
}

/// A 401: never signed, and echoing the API key only when one was sent.
pub fn unauthenticated(error: ApiError, api_key: Option<HeaderValue>) -> Response {
    let mut response = api_error_response(&error);
    if let Some(key) = api_key {
        response.headers_mut().insert(AUTH_CLIENT_HEADER, key);
    }
    response
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::Api(e) => api_error_response(&e),
            AppError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                api_error_response(&ApiError::Internal)
            }
        }
    }
}
