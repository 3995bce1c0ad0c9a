//! Operator endpoints: health, readiness, metrics, OpenAPI, docs.

use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_readiness_answer_200() {
    let Some(app) = spawn_app().await else { return };
    assert_eq!(app.send(Method::GET, "/healthz", &[], None).await.status, 200);
    assert_eq!(app.send(Method::GET, "/readyz", &[], None).await.status, 200);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_with_latency_histograms() {
    let Some(app) = spawn_app().await else { return };
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
    let Some(app) = spawn_app().await else { return };
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

#[tokio::test]
async fn an_upload_in_flight_when_the_server_is_stopped_still_completes() {
    use base64::{Engine as _, engine::general_purpose::STANDARD};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let body = serde_json::to_vec(
        &json!({"image": {"context": "face", "content": STANDARD.encode(crate::helpers::fixture("face.jpg"))}}),
    )
    .unwrap();
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /v1/sessions/{session}/media HTTP/1.1\r\nHost: {address}\r\nX-AUTH-CLIENT: {}\r\nX-HMAC-SIGNATURE: {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        tenant.api_key,
        crate::helpers::hmac(&tenant.secret, &body),
        body.len()
    );
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let stopping = tokio::spawn(app.stop());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!stopping.is_finished(), "the server stopped with a request in flight");
    stream.write_all(rest).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 201"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    tokio::time::timeout(std::time::Duration::from_secs(10), stopping)
        .await
        .expect("the server stops once the request is done")
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(&address).await.is_err(),
        "new connections are refused after stopping"
    );
}
