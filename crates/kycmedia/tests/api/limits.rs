//! Limits and leftovers: the request deadline, the pixel cap, the orphan sweep.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use kycmedia::sweep;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{fixture, hmac, spawn_app, spawn_app_in};

#[tokio::test]
async fn an_upload_that_trickles_past_the_deadline_gets_408_and_stores_nothing() {
    let app = spawn_app_in(Arc::new(tempfile::tempdir().unwrap()), &["--request-timeout-secs", "1"]).await;
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
    let app = spawn_app_in(Arc::new(tempfile::tempdir().unwrap()), &["--max-pixels", "10000"]).await;
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    app.upload(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await
        .assert_error(400, "1104");
    assert_eq!(app.stored_files(), 0);
}

/// Backdates a stored file past the sweep's one-hour grace period.
fn two_hours_old(path: &std::path::Path) {
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(two_hours_ago).unwrap();
}

#[tokio::test]
async fn the_sweep_erases_old_bytes_without_a_row_and_keeps_everything_else() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let kept = app
        .upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    let folder = app.dir.path().join("media").join("some-integration");
    std::fs::create_dir_all(&folder).unwrap();
    let old = folder.join("f47ac10b-58cc-4372-a567-0e02b2c3d479");
    std::fs::write(&old, b"left behind by a crash").unwrap();
    two_hours_old(&old);
    let fresh = folder.join("0b9e2f6c-9a43-4d55-b1f6-1a5e7c1d2e3f");
    std::fs::write(&fresh, b"an upload still in flight").unwrap();
    // The stored upload is as old as the orphan: only its row keeps it.
    let kept_file = std::fs::read_dir(app.dir.path().join("media"))
        .unwrap()
        .map(|tenant_dir| tenant_dir.unwrap().path().join(&kept))
        .find(|path| path.exists())
        .expect("the upload's bytes are stored under its integration");
    two_hours_old(&kept_file);

    let report = sweep::run(app.core.store.as_ref(), &app.core.blobs, Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!((report.scanned, report.erased), (3, 1));
    assert!(!old.exists());
    assert!(fresh.exists(), "bytes younger than the grace period are kept");
    let reply = app
        .signed(reqwest::Method::GET, &tenant, &format!("/v1/media/{kept}"), &kept)
        .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn the_sweep_checks_orphans_in_batches_and_misses_none() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let kept = app
        .upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    let folder = app.dir.path().join("media").join("crashed-integration");
    std::fs::create_dir_all(&folder).unwrap();
    // Two full batches and a partial one.
    for n in 0..1_001 {
        let orphan = folder.join(format!("orphan-{n:04}"));
        std::fs::write(&orphan, b"left behind").unwrap();
        two_hours_old(&orphan);
    }

    let report = sweep::run(app.core.store.as_ref(), &app.core.blobs, Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!((report.scanned, report.erased), (1_002, 1_001));
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 0);
    let reply = app
        .signed(reqwest::Method::GET, &tenant, &format!("/v1/media/{kept}"), &kept)
        .await;
    assert_eq!(reply.status, 200);
}
