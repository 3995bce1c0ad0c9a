//! Turning an `AppError` into the contract's JSON error body.
//! Internal failures are logged here, once, with their cause, and the client
//! only ever reads "Something went wrong".

use axum::{
    Json,
    http::{HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use kycmedia_proto::{
    ApiError,
    headers::{REASON_HEADER, header_safe_reason},
    signing::AUTH_CLIENT_HEADER,
};

use crate::error::{AppError, Rejection};

/// What an error response refused and why, carried on the response to the
/// request's log line (`observe::track`), which is the one place that logs it.
#[derive(Clone, Debug)]
pub struct Refused {
    pub code: &'static str,
    pub reason: Option<String>,
}

/// The response for one row of the error table.
pub fn api_error_response(error: &ApiError) -> Response {
    rejection_response(&Rejection::from(error.clone()))
}

/// The table row's body, byte for byte the provider's, with the reason in
/// the `X-Kycmedia-Reason` header when there is one.
pub fn rejection_response(rejection: &Rejection) -> Response {
    let error = &rejection.error;
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Json(error.body())).into_response();
    let reason = rejection.reason.as_deref().map(header_safe_reason);
    if let Some(value) = reason.as_deref().and_then(|r| HeaderValue::from_str(r).ok()) {
        response.headers_mut().insert(REASON_HEADER, value);
    }
    response.extensions_mut().insert(Refused {
        code: error.code(),
        reason,
    });
    response
}

/// A 401: never signed, and echoing the API key only when one was sent.
pub fn unauthenticated(error: ApiError, api_key: Option<HeaderValue>) -> Response {
    let mut response = api_error_response(&error);
    if let Some(key) = api_key {
        response.headers_mut().insert(AUTH_CLIENT_HEADER, key);
    }
    response
}

/// A refusal for load (429 over a rate, 503 at capacity), with
/// `Retry-After` in whole seconds; never signed, like the 401s.
pub fn retry_later(error: ApiError, wait: std::time::Duration, api_key: Option<HeaderValue>) -> Response {
    let mut response = unauthenticated(error, api_key);
    let seconds = crate::admission::retry_after_secs(wait);
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
    }
    response
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::Api(rejection) => rejection_response(&rejection),
            AppError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                api_error_response(&ApiError::Internal)
            }
        }
    }
}

/// The answer to a handler's panic: logged here with its message (our own
/// code's words, never a request's bytes), and the contract's 500 to the
/// client, exactly as for any internal error.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    tracing::error!(panic = %message, "a handler panicked");
    api_error_response(&ApiError::Internal)
}
