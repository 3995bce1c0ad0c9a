//! Endpoints for operators and orchestrators, outside the Veriff API.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Json,
    extract::{ConnectInfo, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use kycmedia_proto::ApiError;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::{error::Rejection, http::error::rejection_response, state::Core, telemetry};

/// Liveness: the process answers.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// Readiness: the database and the storage answer too.
pub async fn readyz(State(core): State<Arc<Core>>) -> impl IntoResponse {
    let (database, storage) = tokio::join!(core.store.ping(), core.blobs.check());
    let unavailable = || (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable"})));
    if let Err(e) = database {
        tracing::warn!(error = %e, "database not ready");
        return unavailable();
    }
    if let Err(e) = storage {
        tracing::warn!(error = %e, "storage not ready");
        return unavailable();
    }
    (StatusCode::OK, Json(json!({"status": "ok"})))
}

/// Who may read `/metrics`: the bearer of the operator's token, or without
/// one a client on this machine that came through no proxy.
#[derive(Clone, Default)]
pub struct MetricsAccess {
    pub token: Option<Arc<SecretString>>,
}

impl MetricsAccess {
    fn allows(&self, request: &Request) -> bool {
        let headers = request.headers();
        match &self.token {
            Some(token) => headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .is_some_and(|sent| bool::from(sent.trim().as_bytes().ct_eq(token.expose_secret().as_bytes()))),
            None => {
                let direct = !headers.contains_key("x-forwarded-for") && !headers.contains_key(header::FORWARDED);
                let local = request
                    .extensions()
                    .get::<ConnectInfo<SocketAddr>>()
                    .is_some_and(|ConnectInfo(peer)| peer.ip().is_loopback());
                direct && local
            }
        }
    }
}

/// Prometheus text format, for whom `MetricsAccess` allows; anyone else
/// gets the contract's 401.
pub async fn metrics(State(access): State<MetricsAccess>, request: Request) -> Response {
    if !access.allows(&request) {
        let reason = match access.token {
            Some(_) => "the metrics need `Authorization: Bearer` with the --metrics-token",
            None => "without --metrics-token, only a client on this machine, through no proxy, reads the metrics",
        };
        return rejection_response(&Rejection::new(ApiError::MissingSignature, reason));
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        telemetry::metrics_handle().render(),
    )
        .into_response()
}
