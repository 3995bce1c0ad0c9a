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
    routing::get,
};
use kycmedia_proto::ApiError;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::OpenApi as _;
use utoipa_axum::{router::OpenApiRouter, routes};

use self::auth::Signature;
use crate::{capture::Capture, console::Console, state::Core};

/// The API, the operator endpoints and the docs, and beside them the
/// capture page (`capture`) and the review console (`console`), under the
/// same request ids, logs and metrics. `metrics_token`, when set, is what
/// `/metrics` requires.
pub fn router(
    core: Arc<Core>,
    capture: Arc<Capture>,
    console: Arc<Console>,
    metrics_token: Option<secrecy::SecretString>,
) -> Router {
    let origins = capture.allowed_origins.clone();
    let metrics = ops::MetricsAccess {
        token: metrics_token.map(Arc::new),
    };
    let pages = crate::capture::router(capture).merge(crate::console::router(console));
    with_layers(core, api_routes(), &origins, pages, metrics)
}

/// The authenticated API's routes, each declared once: its method and path
/// come from the handler's `#[utoipa::path]`, which is also its OpenAPI
/// entry. The routes are grouped by what authentication demands of them.
struct ApiRoutes {
    may_be_unsigned: OpenApiRouter<Arc<Core>>,
    signed: OpenApiRouter<Arc<Core>>,
}

fn api_routes() -> ApiRoutes {
    ApiRoutes {
        // A session may be created without a signature (docs/api.md §1).
        may_be_unsigned: OpenApiRouter::new().routes(routes!(sessions::create)),
        signed: OpenApiRouter::new()
            .routes(routes!(sessions::submit, sessions::delete))
            .routes(routes!(sessions::attempts))
            .routes(routes!(sessions::decision))
            .routes(routes!(media::upload, media::session_media))
            .routes(routes!(media::attempt_media))
            .routes(routes!(media::download))
            .routes(routes!(analysis::attempt))
            .routes(routes!(analysis::media)),
    }
}

/// `@veriff/js-sdk` creates a session from the integrator's own page: a
/// cross-origin `POST /v1/sessions` with `x-auth-client` and `x-origin`,
/// after a preflight. Only that path, and only for the operator's allowed
/// origins, gets the headers that let the browser read the answer; for
/// anything else the browser refuses it.
fn browser_sessions(origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderName, HeaderValue, Method, header};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, request| {
            request.uri.path() == "/v1/sessions" && origins.contains(origin)
        }))
        .allow_methods([Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            HeaderName::from_static("x-auth-client"),
            HeaderName::from_static("x-origin"),
            HeaderName::from_static("x-hmac-signature"),
            HeaderName::from_static("vrf-integration-id"),
        ])
        .expose_headers([HeaderName::from_static("x-hmac-signature")])
        .max_age(std::time::Duration::from_secs(600))
}

/// The OpenAPI document: `openapi::ApiDoc`'s description and every route's
/// entry, from the same declarations the router serves.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let routes = api_routes();
    let (_, document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(routes.may_be_unsigned)
        .merge(routes.signed)
        .split_for_parts();
    openapi::complete(document)
}

/// The API behind authentication, beside the operator endpoints and the
/// docs, under request ids, logs and metrics.
fn with_layers(
    core: Arc<Core>,
    routes: ApiRoutes,
    browser_origins: &[String],
    pages: Router,
    metrics: ops::MetricsAccess,
) -> Router {
    let guard = |routes: OpenApiRouter<Arc<Core>>, signature| {
        let gate = auth::Gate {
            core: core.clone(),
            signature,
        };
        routes
            // Inside authentication, so that a handler's panic becomes the
            // contract's 500, signed like every other answer.
            .route_layer(CatchPanicLayer::custom(error::panic_response))
            .route_layer(from_fn_with_state(gate, auth::authenticate))
    };
    let (api, document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(guard(routes.may_be_unsigned, Signature::Optional))
        .merge(guard(routes.signed, Signature::Required))
        // The body was read (and bounded) by authentication already.
        .layer(DefaultBodyLimit::disable())
        .split_for_parts();
    let ops = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .merge(Router::new().route("/metrics", get(ops::metrics)).with_state(metrics));
    Router::new()
        .merge(api)
        .merge(ops)
        .merge(openapi::docs(openapi::complete(document)))
        .with_state(core.clone())
        .merge(pages)
        .fallback(|| async { error::api_error_response(&ApiError::NotFound) })
        .method_not_allowed_fallback(|| async { error::api_error_response(&ApiError::MethodNotAllowed) })
        .route_layer(from_fn(observe::label_route))
        // Outside authentication and the 405 fallback, so that a preflight
        // and a refusal reach the browser too.
        .layer(browser_sessions(browser_origins))
        .layer(from_fn_with_state(core, observe::track))
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
                keys: crate::config::KeyArgs {
                    master_key_file: None,
                    insecure_plaintext: true,
                },
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
                connections: Default::default(),
                tenants: Default::default(),
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
        let mut routes = api_routes();
        routes.signed = routes.signed.route("/v1/boom/{id}", get(boom));
        let app = with_layers(core, routes, &[], Router::new(), ops::MetricsAccess::default());
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
                .header("X-AUTH-CLIENT", &integration.integration.api_key)
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
