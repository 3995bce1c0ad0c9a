//! Limits and leftovers: the request deadline, the pixel cap, the orphan sweep.

use std::time::Duration;

use futures::StreamExt;

use kycmedia::sweep;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{fixture, hmac, spawn_app, spawn_app_with};

#[tokio::test]
async fn an_upload_that_trickles_past_the_deadline_gets_408_and_stores_nothing() {
    let Some(app) = spawn_app_with(&["--request-timeout-secs", "1"]).await else {
        return;
    };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /v1/sessions/{session}/media HTTP/1.1\r\nHost: {address}\r\nX-AUTH-CLIENT: {}\r\n\
         X-HMAC-SIGNATURE: {}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"image\":",
        tenant.api_key,
        hmac(&tenant.secret, b"never completed")
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server never answered a stalled upload");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains(r#""code":"1101""#), "{text}");
    assert!(app.attempts(&tenant, &session).await.is_empty());
}

#[tokio::test]
async fn an_image_declaring_more_pixels_than_allowed_is_1104() {
    let Some(app) = spawn_app_with(&["--max-pixels", "10000"]).await else {
        return;
    };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    app.upload(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await
        .assert_error(400, "1104");
    assert_eq!(app.stored_files().await, 0);
}

/// Leaves bytes with no row behind, as a crash between the two writes would.
async fn orphan(app: &crate::helpers::TestApp, key: &str) {
    app.core
        .blobs
        .put(key, bytes::Bytes::from_static(b"left behind by a crash"))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_sweep_erases_bytes_without_a_row_once_past_the_grace_period_and_keeps_everything_else() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let kept = app
        .upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    let lost = "some-integration/f47ac10b-58cc-4372-a567-0e02b2c3d479";
    orphan(&app, lost).await;
    let (store, blobs) = (app.core.store.as_ref(), &app.core.blobs);

    // Within the grace period an orphan may be an upload still in flight.
    let report = sweep::run(store, blobs, Duration::from_secs(3600)).await.unwrap();
    assert_eq!((report.scanned, report.erased), (2, 0));
    assert!(blobs.size(lost).await.unwrap().is_some());

    // Past it, only the row keeps the upload's bytes, as old as the orphan.
    let report = sweep::run(store, blobs, Duration::ZERO).await.unwrap();
    assert_eq!((report.scanned, report.erased), (2, 1));
    assert!(blobs.size(lost).await.unwrap().is_none());
    let reply = app
        .signed(reqwest::Method::GET, &tenant, &format!("/v1/media/{kept}"), &kept)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, fixture("face.jpg"));
}

#[tokio::test]
async fn the_sweep_checks_orphans_in_batches_and_misses_none() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let kept = app
        .upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    // Two full batches and a partial one.
    futures::stream::iter(0..1_001)
        .for_each_concurrent(16, |n| {
            let app = &app;
            async move { orphan(app, &format!("crashed-integration/orphan-{n:04}")).await }
        })
        .await;

    let report = sweep::run(app.core.store.as_ref(), &app.core.blobs, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!((report.scanned, report.erased), (1_002, 1_001));
    assert_eq!(app.stored_files().await, 1);
    let reply = app
        .signed(reqwest::Method::GET, &tenant, &format!("/v1/media/{kept}"), &kept)
        .await;
    assert_eq!(reply.status, 200);
}
