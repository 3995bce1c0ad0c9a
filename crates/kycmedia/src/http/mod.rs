//! The HTTP surface: the Veriff-compatible `/v1` API and kycmedia's own
//! `/kycmedia/v1` analysis endpoints behind authentication, and the
//! operator endpoints beside them.

mod analysis;
pub mod auth;
pub mod error;
pub mod ids;
mod media;
pub mod observe;
pub mod openapi;
mod ops;
mod sessions;

use std::sync::Arc;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    middleware::{from_fn, from_fn_with_state},
    routing::{get, post},
};
use kycmedia_proto::ApiError;

use crate::state::Core;

pub fn router(core: Arc<Core>) -> Router {
    let api = Router::new()
        .route("/v1/sessions", post(sessions::create))
        .route(
            "/v1/sessions/{id}",
            axum::routing::patch(sessions::submit).delete(sessions::delete),
        )
        .route("/v1/sessions/{id}/media", post(media::upload).get(media::session_media))
        .route("/v1/sessions/{id}/attempts", get(sessions::attempts))
        .route("/v1/attempts/{id}/media", get(media::attempt_media))
        .route("/v1/media/{id}", get(media::download))
        .route("/kycmedia/v1/attempts/{id}/analysis", get(analysis::attempt))
        .route("/kycmedia/v1/media/{id}/analysis", get(analysis::media))
        .route_layer(from_fn_with_state(core.clone(), auth::authenticate))
        // The body was read (and bounded) by authentication already.
        .layer(DefaultBodyLimit::disable());
    let ops = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics));
    Router::new()
        .merge(api)
        .merge(ops)
        .merge(openapi::docs())
        .fallback(|| async { error::api_error_response(&ApiError::NotFound) })
        .method_not_allowed_fallback(|| async { error::api_error_response(&ApiError::MethodNotAllowed) })
        .route_layer(from_fn(observe::label_route))
        .layer(from_fn_with_state(core.clone(), observe::track))
        .with_state(core)
}
