//! Endpoints for operators and orchestrators, outside the Veriff API.

use std::sync::Arc;

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

use crate::{state::Core, telemetry};

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

/// Prometheus text format.
pub async fn metrics() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        telemetry::metrics_handle().render(),
    )
}
