//! Request logs, metrics and the request deadline.
//!
//! Logs carry the request id, method, route template (never the raw path or
//! any header), status and latency.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::Response,
};
use kycmedia_proto::ApiError;
use tracing::Instrument;

use crate::{app::Core, http::error::api_error_response};

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

/// Outer layer: the request deadline (408 when a request, body upload
/// included, outlives it), one log line and two metrics per request. One
/// layer rather than two, because every layer costs a boxed future per request.
pub async fn track(State(core): State<Arc<Core>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let span = tracing::info_span!("request", request_id = %request_id, method = %method);
    let deadline = core.limits.request_timeout();
    let response = match tokio::time::timeout(deadline, next.run(request).instrument(span)).await {
        Ok(response) => response,
        Err(_) => api_error_response(&ApiError::Timeout),
    };
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
    tracing::info!(
        request_id = %request_id,
        method = %method,
        route = %route,
        status,
        latency_ms = latency.as_secs_f64() * 1000.0,
        "request"
    );
    response
}
