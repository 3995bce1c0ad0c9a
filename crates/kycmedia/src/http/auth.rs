//! Authentication and response signing (docs/api.md §1).
//!
//! One middleware does both, because the response must be signed with the
//! very secret that verified the request: it checks the API key and the
//! signature, hands the handler a `Caller`, then signs whatever the handler
//! answers (errors included). Nothing here logs a header, key or secret.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use axum::{
    body::{Body, Bytes, to_bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, header::CONTENT_LENGTH},
    middleware::Next,
    response::{IntoResponse, Response},
};
use kycmedia_proto::{
    ApiError,
    signing::{self, AUTH_CLIENT_HEADER, HMAC_HEADER, LEGACY_HEADER, Scheme},
};

use crate::{error::AppError, http::error::unauthenticated, state::Core, store::Integration};

/// Who made a request, and how to sign the answer.
#[derive(Clone)]
pub struct Caller {
    pub integration: Arc<Integration>,
    /// The secret that verified the request (or the newest one, for an
    /// unsigned session creation).
    pub secret: SecretString,
    pub scheme: Scheme,
}

impl Caller {
    /// The response headers that vouch for `signature`.
    pub fn signature_headers(&self, signature: &str) -> [(&'static str, HeaderValue); 2] {
        [
            (AUTH_CLIENT_HEADER, header_value(&self.integration.api_key)),
            (self.scheme.header(), header_value(signature)),
        ]
    }
}

fn header_value(text: &str) -> HeaderValue {
    // API keys are UUIDs and signatures hex: always valid header text.
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Put on a response whose handler signed it already (a streamed download).
#[derive(Clone, Copy)]
pub struct PreSigned;

/// `POST /v1/sessions` may come unsigned; every other request must be signed.
fn may_be_unsigned(method: &Method, path: &str) -> bool {
    method == Method::POST && path.trim_end_matches('/') == "/v1/sessions"
}

/// GET and DELETE sign the bare id in the path; everything else signs the body.
fn signs_body(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::DELETE | Method::HEAD)
}

/// Finds the signature header: the current scheme wins over the legacy one.
fn signature_header(headers: &HeaderMap) -> Option<(Scheme, &HeaderValue)> {
    headers
        .get(HMAC_HEADER)
        .map(|v| (Scheme::Hmac, v))
        .or_else(|| headers.get(LEGACY_HEADER).map(|v| (Scheme::Legacy, v)))
}

fn mismatch(scheme: Scheme, body: bool) -> ApiError {
    match (scheme, body) {
        (Scheme::Hmac, false) => ApiError::IdSignatureMismatch,
        (Scheme::Hmac, true) => ApiError::BodySignatureMismatch,
        (Scheme::Legacy, false) => ApiError::LegacyIdSignatureMismatch,
        (Scheme::Legacy, true) => ApiError::LegacyBodySignatureMismatch,
    }
}

/// Reads the body up to the configured limit; over it is a 413.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(ApiError::PayloadTooLarge);
    }
    to_bytes(body, limit).await.map_err(|_| ApiError::PayloadTooLarge)
}

pub async fn authenticate(State(core): State<Arc<Core>>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let sent_key = parts.headers.get(AUTH_CLIENT_HEADER).cloned();
    let fail = |e: ApiError| unauthenticated(e, sent_key.clone());

    let Some(raw_key) = &sent_key else {
        return fail(ApiError::MissingApiKey);
    };
    let Some(api_key) = raw_key
        .to_str()
        .ok()
        .and_then(|k| uuid::Uuid::try_parse(k.trim()).ok())
        .map(|k| k.hyphenated().to_string())
    else {
        return fail(ApiError::MalformedApiKey);
    };
    let integration = match core.integrations.get(core.store.as_ref(), &api_key).await {
        Ok(Some(found)) => found,
        Ok(None) => return fail(ApiError::UnknownIntegration),
        Err(e) => return AppError::from(e).into_response(),
    };
    if !integration.active {
        return fail(ApiError::InactiveIntegration);
    }

    let with_body = signs_body(&parts.method);
    let body = if with_body {
        match read_body(&parts.headers, body, core.limits.max_body_bytes).await {
            Ok(bytes) => bytes,
            Err(e) => return fail(e),
        }
    } else {
        Bytes::new()
    };
    let path = parts.uri.path();
    let payload: &[u8] = if with_body {
        &body
    } else {
        // `/v1/<resource>/<id>…`, also under kycmedia's own `/kycmedia` prefix.
        let versioned = path.strip_prefix("/kycmedia").unwrap_or(path);
        versioned.split('/').nth(3).unwrap_or("").as_bytes()
    };

    let caller = match signature_header(&parts.headers) {
        None if may_be_unsigned(&parts.method, path) => match integration.secrets.first() {
            Some(newest) => Caller {
                secret: newest.clone(),
                integration: integration.clone(),
                scheme: Scheme::Hmac,
            },
            None => return fail(ApiError::MissingSignature),
        },
        None => return fail(ApiError::MissingSignature),
        Some((scheme, value)) => {
            let Some(signature) = value.to_str().ok().and_then(signing::parse_signature) else {
                return fail(ApiError::MalformedSignature);
            };
            let verified = integration
                .secrets
                .iter()
                .find(|secret| signing::verify(scheme, secret.expose_secret().as_bytes(), payload, &signature));
            match verified {
                Some(secret) => Caller {
                    secret: secret.clone(),
                    integration: integration.clone(),
                    scheme,
                },
                None => return fail(mismatch(scheme, with_body)),
            }
        }
    };

    parts.extensions.insert(caller.clone());
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    if response.extensions().get::<PreSigned>().is_some() {
        return response;
    }
    sign_response(response, &caller).await
}

/// Signs the exact bytes of a buffered response body.
async fn sign_response(response: Response, caller: &Caller) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => return AppError::Internal(anyhow::anyhow!("buffering a response: {e}")).into_response(),
    };
    let signature = signing::sign(caller.scheme, caller.secret.expose_secret().as_bytes(), &bytes);
    for (name, value) in caller.signature_headers(&signature) {
        parts.headers.insert(name, value);
    }
    Response::from_parts(parts, Body::from(bytes))
}
