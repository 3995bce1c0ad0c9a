//! Request ids, logs, metrics and the request deadline.
//!
//! Logs carry the request id, method, route template (never the raw path or
//! any header), status, latency and, for a refusal, the contract's code and
//! the reason in words.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use kycmedia_proto::{ApiError, headers::REQUEST_ID_HEADER};
use tracing::Instrument;

use crate::{
    http::error::{Refused, api_error_response},
    state::Core,
};

/// The route template a request matched, carried from routing to the
/// outermost layer on the response.
#[derive(Clone)]
struct RouteLabel(String);

/// Inner layer (a route layer): copies the matched route onto the response.
pub async fn label_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(RouteLabel(route));
    }
    response
}

/// A client's own request id is kept when it is short and plain (letters,
/// digits, `-`, `_`, `.`, `:`), so that it can be searched for in logs and
/// cannot smuggle anything into them; otherwise the request gets a fresh one.
fn usable_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
    (!text.is_empty() && text.len() <= 128 && text.chars().all(plain)).then(|| text.to_owned())
}

/// Outer layer: the request id (kept or made, and sent back on every
/// answer), the request deadline (408 when a request, body upload included,
/// outlives it), one log line and two metrics per request. One layer rather
/// than several, because every layer costs a boxed future per request.
pub async fn track(State(core): State<Arc<Core>>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(usable_request_id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    // A UUID or plain text checked above: always a valid header value.
    let id_header = HeaderValue::from_str(&request_id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    request.headers_mut().insert(REQUEST_ID_HEADER, id_header.clone());
    let span = tracing::info_span!("request", request_id = %request_id, method = %method);
    let deadline = core.limits.request_timeout();
    let mut response = match tokio::time::timeout(deadline, next.run(request).instrument(span)).await {
        Ok(response) => response,
        Err(_) => api_error_response(&ApiError::Timeout),
    };
    response.headers_mut().insert(REQUEST_ID_HEADER, id_header);
    let route = response
        .extensions()
        .get::<RouteLabel>()
        .map_or("unmatched", |r| r.0.as_str())
        .to_owned();
    let status = response.status().as_u16();
    let latency = started.elapsed();
    let labels = [
        ("method", method.clone()),
        ("route", route.clone()),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(latency.as_secs_f64());
    // Microsecond resolution: enough for a log, and no float noise
    // (0.18687700000000002) in the line.
    let latency_ms = (latency.as_secs_f64() * 1e6).round() / 1e3;
    match response.extensions().get::<Refused>() {
        Some(refused) => tracing::info!(
            request_id = %request_id,
            method = %method,
            route = %route,
            status,
            latency_ms,
            code = refused.code,
            reason = refused.reason.as_deref().unwrap_or(""),
            "request refused"
        ),
        None => tracing::info!(
            request_id = %request_id,
            method = %method,
            route = %route,
            status,
            latency_ms,
            "request"
        ),
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_client_request_id_is_kept_and_anything_else_is_replaced() {
        let id = |s: &str| usable_request_id(&HeaderValue::from_str(s).unwrap());
        assert_eq!(id("req-42_a.b:c").as_deref(), Some("req-42_a.b:c"));
        assert_eq!(id(""), None);
        assert_eq!(id("two words"), None);
        assert_eq!(id("x\"=1"), None);
        assert_eq!(id(&"a".repeat(129)), None);
    }
}
