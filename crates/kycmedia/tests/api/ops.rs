//! Operator endpoints: health, readiness, metrics, OpenAPI, docs.

use reqwest::Method;
use serde_json::json;

use kycmedia::telemetry;

use crate::helpers::{fixture, spawn_app};

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

/// The value of one series (`name` or `name{labels}`) in a Prometheus text page.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test]
async fn metrics_describe_every_family_and_count_the_stored_media_and_the_build() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let (face, back) = (fixture("face.jpg"), fixture("document-back.jpg"));
    app.upload_ok(&tenant, &session, "image", "face", &face).await;
    app.upload_ok(&tenant, &session, "image", "document-back", &back).await;
    let bytes = (face.len() + back.len()) as f64;

    // The gauges are process-wide and every test's server refreshes them
    // from its own database: refresh from ours until a scrape shows it.
    let mut text = String::new();
    for _ in 0..50 {
        telemetry::refresh_store_metrics(app.core.store.as_ref())
            .await
            .expect("the totals query succeeds");
        text = String::from_utf8(app.send(Method::GET, "/metrics", &[], None).await.body).unwrap();
        if sample(&text, "kycmedia_stored_objects") == Some(2.0)
            && sample(&text, "kycmedia_stored_bytes") == Some(bytes)
        {
            break;
        }
    }
    assert_eq!(sample(&text, "kycmedia_stored_objects"), Some(2.0), "{text}");
    assert_eq!(sample(&text, "kycmedia_stored_bytes"), Some(bytes), "{text}");

    for family in [
        "http_requests_total",
        "http_request_duration_seconds",
        "kycmedia_uploads_total",
        "kycmedia_analysis_duration_seconds",
        "kycmedia_stored_objects",
        "kycmedia_stored_bytes",
        "kycmedia_db_pool_connections",
        "kycmedia_db_pool_max_connections",
        "kycmedia_build_info",
        "kycmedia_webhook_deliveries_total",
        "kycmedia_webhooks_pending",
        "kycmedia_webhook_oldest_pending_seconds",
    ] {
        assert!(
            text.lines().any(|line| line.starts_with(&format!("# HELP {family} "))),
            "no help for {family}:\n{text}"
        );
    }
    assert!(
        sample(&text, "kycmedia_db_pool_max_connections").is_some_and(|max| max >= 1.0),
        "{text}"
    );
    for state in ["idle", "in_use"] {
        let series = format!(r#"kycmedia_db_pool_connections{{state="{state}"}}"#);
        assert!(sample(&text, &series).is_some(), "{series}:\n{text}");
    }
    let build = text
        .lines()
        .find(|line| line.starts_with("kycmedia_build_info{"))
        .unwrap_or_else(|| panic!("no build info:\n{text}"));
    assert!(
        build.contains(&format!(r#"version="{}""#, env!("CARGO_PKG_VERSION"))),
        "{build}"
    );
    assert!(build.contains("commit=\""), "{build}");
    assert!(build.ends_with(" 1"), "{build}");

    // Uploads are counted by outcome and analyses timed by family (the
    // counters are process-wide: at least this test's own).
    let at_least = |series: &str, n: f64| {
        assert!(sample(&text, series).is_some_and(|v| v >= n), "{series} < {n}:\n{text}");
    };
    at_least(r#"kycmedia_uploads_total{outcome="stored"}"#, 2.0);
    at_least(r#"kycmedia_analysis_duration_seconds_count{family="face"}"#, 1.0);
    at_least(
        r#"kycmedia_analysis_duration_seconds_count{family="document_back"}"#,
        1.0,
    );
    assert_eq!(app.submit(&tenant, &session).await.status, 200);
    app.upload(&tenant, &session, "image", "face", &face)
        .await
        .assert_error(409, "1101");
    let other = app.create_session(&tenant, json!({})).await;
    app.upload(&tenant, &other, "video", "selfid_video", &face)
        .await
        .assert_error(400, "1104");
    let text = String::from_utf8(app.send(Method::GET, "/metrics", &[], None).await.body).unwrap();
    let at_least = |series: &str, n: f64| {
        assert!(sample(&text, series).is_some_and(|v| v >= n), "{series} < {n}:\n{text}");
    };
    at_least(r#"kycmedia_uploads_total{outcome="conflict"}"#, 1.0);
    at_least(r#"kycmedia_uploads_total{outcome="rejected"}"#, 1.0);
}

#[tokio::test]
async fn uploads_are_counted_by_outcome_and_analyses_timed_by_a_fixed_set_of_families() {
    let Some(app) = spawn_app().await else { return };
    let scrape = || async { String::from_utf8(app.send(Method::GET, "/metrics", &[], None).await.body).unwrap() };
    let before = scrape().await;
    // Every outcome is there from the start, at zero or more.
    for outcome in ["stored", "rejected", "conflict", "failed"] {
        let series = format!(r#"kycmedia_uploads_total{{outcome="{outcome}"}}"#);
        assert!(sample(&before, &series).is_some(), "{series}:\n{before}");
    }
    let conflicts = r#"kycmedia_uploads_total{outcome="conflict"}"#;
    let faces = r#"kycmedia_analysis_duration_seconds_count{family="face"}"#;
    let (conflicts_before, faces_before) = (
        sample(&before, conflicts).unwrap(),
        sample(&before, faces).unwrap_or(0.0),
    );
    // Every family's series exists from the start.
    for family in kycmedia_media::FAMILY_LABELS {
        let series = format!(r#"kycmedia_analysis_duration_seconds_count{{family="{family}"}}"#);
        assert!(sample(&before, &series).is_some(), "{series}:\n{before}");
    }

    telemetry::record_upload(telemetry::UploadOutcome::Conflict);
    let face_nfc = kycmedia_proto::Context::Image(kycmedia_proto::ImageContext::FaceNfc);
    telemetry::record_analysis(face_nfc, std::time::Duration::from_millis(20));
    telemetry::metrics_handle().run_upkeep();

    let after = scrape().await;
    assert!(sample(&after, conflicts).unwrap() >= conflicts_before + 1.0, "{after}");
    assert!(sample(&after, faces).unwrap() >= faces_before + 1.0, "{after}");
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
        "/v1/sessions/{id}/decision",
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

#[tokio::test]
async fn an_unauthenticated_scrape_of_the_metrics_is_refused_and_the_token_bearer_reads_them() {
    let Some(app) = crate::helpers::spawn_app_with(&["--metrics-token", "scrape-me"]).await else {
        return;
    };
    app.send(Method::GET, "/metrics", &[], None)
        .await
        .assert_error(401, "1815");
    app.send(Method::GET, "/metrics", &[("authorization", "Bearer wrong")], None)
        .await
        .assert_error(401, "1815");
    let allowed = app
        .send(Method::GET, "/metrics", &[("authorization", "Bearer scrape-me")], None)
        .await;
    assert_eq!(allowed.status, 200);
    assert!(String::from_utf8_lossy(&allowed.body).contains("http_requests_total"));
}

#[tokio::test]
async fn without_a_token_a_scrape_that_came_through_a_proxy_is_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };
    app.send(Method::GET, "/metrics", &[("x-forwarded-for", "203.0.113.9")], None)
        .await
        .assert_error(401, "1815");
    app.send(Method::GET, "/metrics", &[("forwarded", "for=203.0.113.9")], None)
        .await
        .assert_error(401, "1815");
    assert_eq!(app.send(Method::GET, "/metrics", &[], None).await.status, 200);
}
