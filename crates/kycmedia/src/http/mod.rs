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
use tower_http::catch_panic::CatchPanicLayer;

use crate::state::Core;

pub fn router(core: Arc<Core>) -> Router {
    with_layers(core, api_routes())
}

/// The authenticated API's routes, before any layer.
fn api_routes() -> Router<Arc<Core>> {
    Router::new()
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
}

/// The API behind authentication, beside the operator endpoints and the
/// docs, under request ids, logs and metrics.
fn with_layers(core: Arc<Core>, api: Router<Arc<Core>>) -> Router {
    let api = api
        // Inside authentication, so that a handler's panic becomes the
        // contract's 500, signed like every other answer.
        .route_layer(CatchPanicLayer::custom(error::panic_response))
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
        // Anything else that panics (an operator endpoint, a layer) still
        // answers, unsigned, and is logged.
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(from_fn_with_state(core.clone(), observe::track))
        .with_state(core)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DatabaseArgs, DecodeArgs, LimitArgs, StorageArgs};

    async fn boom() -> &'static str {
        panic!("a handler's bug")
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_the_contracts_signed_500_and_the_server_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let core = Core::open(
            &DatabaseArgs {
                database: format!("sqlite://{}", dir.path().join("k.db").display()),
                database_max_connections: 1,
            },
            &StorageArgs {
                storage: format!("file://{}", dir.path().join("media").display()),
                storage_endpoint: None,
                storage_options: Vec::new(),
            },
            "http://127.0.0.1".to_owned(),
            LimitArgs {
                max_body_bytes: 1024,
                request_timeout_secs: 5,
                decode: DecodeArgs {
                    decode_max_alloc_bytes: 1 << 20,
                    max_pixels: 1 << 20,
                },
            },
            None,
            0,
        )
        .await
        .unwrap();
        let integration = crate::admin::create_integration(core.store.as_ref(), "t")
            .await
            .unwrap();
        let secret = secrecy::ExposeSecret::expose_secret(&integration.secrets[0]).to_owned();
        let app = with_layers(core, api_routes().route("/v1/boom/{id}", get(boom)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });

        let id = "aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7";
        let signature =
            kycmedia_proto::signing::sign(kycmedia_proto::signing::Scheme::Hmac, secret.as_bytes(), id.as_bytes());
        let client = reqwest::Client::new();
        for _ in 0..2 {
            let reply = client
                .get(format!("{base}/v1/boom/{id}"))
                .header("X-AUTH-CLIENT", &integration.api_key)
                .header("X-HMAC-SIGNATURE", &signature)
                .send()
                .await
                .expect("the server answers, twice");
            assert_eq!(reply.status(), 500);
            let signed = reply.headers()["x-hmac-signature"].to_str().unwrap().to_owned();
            let body = reply.bytes().await.unwrap();
            assert_eq!(
                &body[..],
                br#"{"status":"fail","code":"1101","message":"Something went wrong"}"#
            );
            let expected =
                kycmedia_proto::signing::sign(kycmedia_proto::signing::Scheme::Hmac, secret.as_bytes(), &body);
            assert_eq!(signed, expected, "the 500 is signed over its bytes");
        }
    }
}
