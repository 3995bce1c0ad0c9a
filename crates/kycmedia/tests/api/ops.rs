//! Operator endpoints: health, readiness, metrics, OpenAPI, docs.

use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_readiness_answer_200() {
    let app = spawn_app().await;
    assert_eq!(app.send(Method::GET, "/healthz", &[], None).await.status, 200);
    assert_eq!(app.send(Method::GET, "/readyz", &[], None).await.status, 200);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_with_latency_histograms() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    app.session_media(&tenant, &session).await;
    let text = String::from_utf8(app.send(Method::GET, "/metrics", &[], None).await.body).unwrap();
    assert!(text.contains("http_requests_total{"), "{text}");
    assert!(text.contains(r#"route="/v1/sessions/{id}/media""#), "{text}");
    assert!(text.contains("http_request_duration_seconds_bucket{"), "{text}");
    assert!(!text.contains(&tenant.api_key));
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint_and_the_docs_are_served() {
    let app = spawn_app().await;
    let spec = app.send(Method::GET, "/openapi.json", &[], None).await.json();
    for path in [
        "/v1/sessions",
        "/v1/sessions/{id}",
        "/v1/sessions/{id}/media",
        "/v1/sessions/{id}/attempts",
        "/v1/attempts/{id}/media",
        "/v1/media/{id}",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} missing");
    }
    assert!(spec["components"]["schemas"]["MediaList"].is_object());
    let docs = app.send(Method::GET, "/docs/", &[], None).await;
    assert_eq!(docs.status, 200);
    assert!(String::from_utf8_lossy(&docs.body).contains("swagger"));
}
