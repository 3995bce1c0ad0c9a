//! Every error the API answers with (docs/api.md §2): HTTP status, numeric code
//! (sent as a JSON string) and the provider's exact message.

use serde::{Deserialize, Serialize};

/// The body of every error response:
/// `{"status":"fail","code":"1801","message":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailBody {
    /// Always `fail`.
    pub status: String,
    /// The error code, digits as a string.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{4}$"))]
    pub code: String,
    pub message: String,
}

/// One row of the error table. The variant decides status, code and message,
/// so a handler cannot pair a code with the wrong wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    MissingApiKey,
    MalformedApiKey,
    UnknownIntegration,
    InactiveIntegration,
    MalformedSignature,
    MissingSignature,
    IdSignatureMismatch,
    BodySignatureMismatch,
    LegacyIdSignatureMismatch,
    LegacyBodySignatureMismatch,
    IdLength,
    IdNotUuid,
    MissingParameters,
    InvalidParameters,
    InvalidStatus,
    /// Carries the status the client asked for, quoted in the message.
    CannotTransition(String),
    ImageDataNotFound,
    InvalidBase64,
    UnsupportedContext,
    ImagePropertyMissing,
    HttpsOnly,
    VendorDataTooLong,
    VendorDataNotString,
    ValidationFailed,
    NotFound,
    /// (ours) Upload to a session that no longer accepts media.
    Conflict,
    /// (ours) Body over the configured limit.
    PayloadTooLarge,
    /// (ours) The request did not complete within the configured time.
    Timeout,
    /// (ours) The path exists but not with this method.
    MethodNotAllowed,
    /// (ours) Replay protection refused the request: no timestamp or nonce,
    /// a time outside the window, or a nonce seen before.
    Replayed,
    /// Over a rate limit (per integration, per address, or the provider's
    /// DELETE limit); sent with `Retry-After`.
    TooManyRequests,
    /// (ours) The server is at capacity (connections, or body bytes in
    /// memory); sent with `Retry-After`.
    Busy,
    Internal,
}

impl ApiError {
    /// The HTTP status code.
    pub fn http_status(&self) -> u16 {
        use ApiError::*;
        match self {
            MissingApiKey
            | MalformedApiKey
            | UnknownIntegration
            | InactiveIntegration
            | MalformedSignature
            | MissingSignature
            | IdSignatureMismatch
            | BodySignatureMismatch
            | LegacyIdSignatureMismatch
            | LegacyBodySignatureMismatch
            | Replayed => 401,
            NotFound => 404,
            MethodNotAllowed => 405,
            Timeout => 408,
            Conflict => 409,
            PayloadTooLarge => 413,
            TooManyRequests => 429,
            Internal => 500,
            Busy => 503,
            _ => 400,
        }
    }

    /// The API error code.
    pub fn code(&self) -> &'static str {
        use ApiError::*;
        match self {
            MissingApiKey => "1801",
            MalformedApiKey => "1802",
            UnknownIntegration => "1803",
            InactiveIntegration => "1804",
            MalformedSignature => "1812",
            LegacyIdSignatureMismatch => "1813",
            LegacyBodySignatureMismatch => "1814",
            MissingSignature => "1815",
            IdSignatureMismatch => "1818",
            BodySignatureMismatch => "1819",
            IdLength => "1001",
            IdNotUuid => "1002",
            MissingParameters => "1102",
            InvalidParameters => "1104",
            HttpsOnly => "1302",
            InvalidStatus => "1303",
            CannotTransition(_) => "1304",
            ImageDataNotFound => "1400",
            InvalidBase64 => "1401",
            UnsupportedContext => "1402",
            ImagePropertyMissing => "1403",
            VendorDataTooLong => "1500",
            VendorDataNotString => "1501",
            ValidationFailed | NotFound | MethodNotAllowed | Conflict | PayloadTooLarge | Timeout | Replayed
            | TooManyRequests | Busy | Internal => "1101",
        }
    }

    /// The human-readable message, worded as the provider words it.
    pub fn message(&self) -> String {
        use ApiError::*;
        let text = match self {
            MissingApiKey => "Mandatory X-AUTH-CLIENT header containing the API key is missing from the request.",
            MalformedApiKey => "API key is not a valid UUID",
            UnknownIntegration => "Integration with the API key was not found",
            InactiveIntegration => "Integration with the API key is not active",
            MalformedSignature => "Signature is not a valid SHA256 hash",
            MissingSignature => "Could not authenticate request",
            IdSignatureMismatch => "Signature does not match the HMAC-SHA256 of query ID and integration API secret",
            BodySignatureMismatch => {
                "Signature does not match the HMAC-SHA256 of request body and integration API secret"
            }
            LegacyIdSignatureMismatch => "Signature does not match the SHA256 of query ID and integration API secret",
            LegacyBodySignatureMismatch => {
                "Signature does not match the SHA256 of request body and integration API secret"
            }
            IdLength => "Query ID must be between 20 and 40 symbols.",
            IdNotUuid => "Query ID must be a valid UUID V4",
            MissingParameters => "Mandatory parameters are missing from the request.",
            InvalidParameters => "Request includes invalid parameters.",
            InvalidStatus => "Invalid status.",
            CannotTransition(status) => return format!("Cannot transition to \"{status}\" status."),
            ImageDataNotFound => "Image data not found.",
            InvalidBase64 => "Image is not in valid base64.",
            UnsupportedContext => "Image context is not supported.",
            ImagePropertyMissing => "Image property is missing.",
            HttpsOnly => "Only HTTPS return URLs are allowed.",
            VendorDataTooLong => "vendorData field cannot be more than 1000 symbols.",
            VendorDataNotString => "vendorData must be a string.",
            ValidationFailed => "Validation failed",
            NotFound => "Resource not found",
            Conflict => "Session does not accept media in its current status",
            PayloadTooLarge => "Request body is too large",
            Timeout => "Request timed out",
            MethodNotAllowed => "Method not allowed",
            Replayed => "Request is stale, replayed, or lacks its timestamp and nonce",
            TooManyRequests => "Too many requests",
            Busy => "Server is busy, retry later",
            Internal => "Something went wrong",
        };
        text.to_owned()
    }

    /// The JSON body for this error.
    pub fn body(&self) -> FailBody {
        FailBody {
            status: "fail".to_owned(),
            code: self.code().to_owned(),
            message: self.message(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.http_status(), self.code(), self.message())
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_body_has_the_code_as_a_json_string_in_the_documented_key_order() {
        let json = serde_json::to_string(&ApiError::MissingApiKey.body()).unwrap();
        assert_eq!(
            json,
            r#"{"status":"fail","code":"1801","message":"Mandatory X-AUTH-CLIENT header containing the API key is missing from the request."}"#
        );
    }

    #[test]
    fn the_transition_message_quotes_the_requested_status() {
        assert_eq!(
            ApiError::CannotTransition("submitted".into()).message(),
            r#"Cannot transition to "submitted" status."#
        );
    }

    /// Every row of the table, `CannotTransition` with a placeholder status.
    fn every_error() -> Vec<ApiError> {
        use ApiError::*;
        let all = vec![
            MissingApiKey,
            MalformedApiKey,
            UnknownIntegration,
            InactiveIntegration,
            MalformedSignature,
            LegacyIdSignatureMismatch,
            LegacyBodySignatureMismatch,
            MissingSignature,
            IdSignatureMismatch,
            BodySignatureMismatch,
            IdLength,
            IdNotUuid,
            ValidationFailed,
            MissingParameters,
            InvalidParameters,
            HttpsOnly,
            InvalidStatus,
            CannotTransition("{status}".into()),
            ImageDataNotFound,
            InvalidBase64,
            UnsupportedContext,
            ImagePropertyMissing,
            VendorDataTooLong,
            VendorDataNotString,
            NotFound,
            MethodNotAllowed,
            Timeout,
            Conflict,
            PayloadTooLarge,
            Replayed,
            TooManyRequests,
            Busy,
            Internal,
        ];
        // No wildcard: a new variant stops this compiling until it is listed above.
        for e in &all {
            match e {
                MissingApiKey
                | MalformedApiKey
                | UnknownIntegration
                | InactiveIntegration
                | MalformedSignature
                | MissingSignature
                | IdSignatureMismatch
                | BodySignatureMismatch
                | LegacyIdSignatureMismatch
                | LegacyBodySignatureMismatch
                | IdLength
                | IdNotUuid
                | MissingParameters
                | InvalidParameters
                | InvalidStatus
                | CannotTransition(_)
                | ImageDataNotFound
                | InvalidBase64
                | UnsupportedContext
                | ImagePropertyMissing
                | HttpsOnly
                | VendorDataTooLong
                | VendorDataNotString
                | ValidationFailed
                | NotFound
                | Conflict
                | PayloadTooLarge
                | Timeout
                | MethodNotAllowed
                | Replayed
                | TooManyRequests
                | Busy
                | Internal => {}
            }
        }
        all
    }

    /// The row `docs/api.md` §2 must hold for `e`.
    fn table_row(e: &ApiError) -> String {
        format!("| {} | {} | `{}` |", e.http_status(), e.code(), e.message())
    }

    #[test]
    fn the_error_table_in_docs_api_md_has_a_row_for_every_error_with_its_status_code_and_exact_message() {
        let doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md"));
        let missing: Vec<String> = every_error()
            .iter()
            .map(table_row)
            .filter(|row| !doc.contains(row.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "docs/api.md §2 lacks these rows (status, code, message; then a column saying when):\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn only_authentication_failures_are_401() {
        assert_eq!(ApiError::MissingSignature.http_status(), 401);
        assert_eq!(ApiError::BodySignatureMismatch.http_status(), 401);
        assert_eq!(ApiError::NotFound.http_status(), 404);
        assert_eq!(ApiError::Conflict.http_status(), 409);
    }
}
