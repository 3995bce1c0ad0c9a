//! Uploads, the two list endpoints, downloads; ranking and persistence.

use std::sync::Arc;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{fixture, spawn_app, spawn_app_in, spawn_app_with};

#[tokio::test]
async fn an_uploaded_image_is_listed_with_metadata_measured_from_its_bytes() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let bytes = fixture("face.png");
    let reply = app.upload(&tenant, &session, "image", "face", &bytes).await;
    assert_eq!(reply.status, 201);
    reply.assert_signed(&tenant);
    let image = &reply.json()["image"];
    assert_eq!(image["mimetype"], "image/png");
    assert_eq!(image["size"], bytes.len());
    let id = image["id"].as_str().unwrap();

    let attempt = app.latest_attempt(&tenant, &session).await;
    let list = app.attempt_media(&tenant, &attempt).await;
    assert_eq!(list.status, 200);
    list.assert_signed(&tenant);
    let expected = format!(
        r#"{{"status":"success","images":[{{"id":"{id}","name":"face","context":"face","timestamp":null,"size":{},"mimetype":"image/png","url":"{}/v1/media/{id}","sessionId":"{session}"}}],"videos":[]}}"#,
        bytes.len(),
        app.base
    );
    assert_eq!(String::from_utf8(list.body).unwrap(), expected);
}

#[tokio::test]
async fn videos_of_each_container_list_an_integer_duration() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    for (file, mimetype, context) in [
        ("selfid.mp4", "video/mp4", "selfid_video"),
        ("selfid.mov", "video/quicktime", "face-pre-video"),
        ("selfid.webm", "video/webm", "documet-back-barcode-pre-video"),
    ] {
        let reply = app.upload(&tenant, &session, "video", context, &fixture(file)).await;
        assert_eq!(reply.status, 201, "{file}: {}", String::from_utf8_lossy(&reply.body));
        let video = &reply.json()["video"];
        assert_eq!(video["mimetype"], mimetype, "{file}");
        assert_eq!(video["duration"], 3, "{file}");
        assert_eq!(video["context"], context);
    }
    let list = app.session_media(&tenant, &session).await.json();
    assert_eq!(list["videos"].as_array().unwrap().len(), 3);
    assert!(list["images"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_data_uri_upload_is_accepted_and_its_declared_type_ignored() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let content = format!("data:image/png;base64,{}", STANDARD.encode(fixture("face.jpg")));
    let body = json!({"image": {"context": "document-front", "content": content, "timestamp": "2024-01-01T00:00:00Z"}});
    let reply = app
        .signed_body(Method::POST, &tenant, &format!("/v1/sessions/{session}/media"), &body)
        .await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.json()["image"]["mimetype"], "image/jpeg");
}

#[tokio::test]
async fn a_sharp_photo_is_listed_before_its_blurred_and_badly_exposed_copies() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let mut ids = Vec::new();
    for file in ["face-blurred.jpg", "face-dark.jpg", "face.jpg", "face-bright.jpg"] {
        ids.push((
            file,
            app.upload_ok(&tenant, &session, "image", "face", &fixture(file)).await,
        ));
    }
    let list = app.session_media(&tenant, &session).await.json();
    let sharp = &ids[2].1;
    assert_eq!(list["images"][0]["id"], sharp.as_str(), "{list}");
    let blurred_position = list["images"]
        .as_array()
        .unwrap()
        .iter()
        .position(|m| m["id"] == ids[0].1.as_str());
    assert!(blurred_position > Some(0));
}

#[tokio::test]
async fn a_pdf_sorts_after_photos_under_a_face_context() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let pdf = app
        .upload_ok(&tenant, &session, "image", "face", &fixture("page.pdf"))
        .await;
    let photo = app
        .upload_ok(&tenant, &session, "image", "face", &fixture("face-blurred.jpg"))
        .await;
    let list = app.session_media(&tenant, &session).await.json();
    assert_eq!(list["images"][0]["id"], photo.as_str());
    assert_eq!(list["images"][1]["id"], pdf.as_str());
    assert_eq!(list["images"][1]["mimetype"], "application/pdf");
}

#[tokio::test]
async fn a_download_returns_the_exact_bytes_signed_with_vrf_copies_of_the_headers() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let bytes = fixture("selfid.mp4");
    let id = app.upload_ok(&tenant, &session, "video", "selfid_video", &bytes).await;
    let reply = app.signed(Method::GET, &tenant, &format!("/v1/media/{id}"), &id).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, bytes);
    assert_eq!(reply.header("content-type"), Some("video/mp4"));
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    reply.assert_signed(&tenant);
    assert_eq!(reply.header("vrf-auth-client"), reply.header("x-auth-client"));
    assert_eq!(reply.header("vrf-hmac-signature"), reply.header("x-hmac-signature"));
}

#[tokio::test]
async fn concurrent_uploads_to_one_session_land_in_one_attempt() {
    let Some(app) = spawn_app().await else { return };
    let app = Arc::new(app);
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let face = fixture("face.jpg");
    let uploads = (0..8).map(|_| {
        let (app, tenant, session, face) = (app.clone(), tenant.clone(), session.clone(), face.clone());
        tokio::spawn(async move { app.upload(&tenant, &session, "image", "face", &face).await.status })
    });
    for status in futures::future::join_all(uploads).await {
        assert_eq!(status.unwrap(), 201);
    }
    let attempts = app.attempts(&tenant, &session).await;
    assert_eq!(attempts.len(), 1);
    let list = app.session_media(&tenant, &session).await.json();
    assert_eq!(list["images"].as_array().unwrap().len(), 8);
}

#[tokio::test]
async fn data_and_order_survive_a_restart() {
    let public = ["--public-url", "https://media.example.test"];
    let Some(app) = spawn_app_with(&public).await else {
        return;
    };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    for file in ["face-blurred.jpg", "face.jpg", "face-dark.jpg"] {
        app.upload_ok(&tenant, &session, "image", "face", &fixture(file)).await;
    }
    let attempt = app.latest_attempt(&tenant, &session).await;
    let before = app.attempt_media(&tenant, &attempt).await.body;
    let place = app.stop().await;

    let app = spawn_app_in(place, &public).await;
    let after = app.attempt_media(&tenant, &attempt).await;
    assert_eq!(
        String::from_utf8(after.body.clone()).unwrap(),
        String::from_utf8(before).unwrap()
    );
    let first = after.json()["images"][0]["id"].as_str().unwrap().to_owned();
    assert!(
        after.json()["images"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://media.example.test/v1/media/")
    );
    let bytes = app
        .signed(Method::GET, &tenant, &format!("/v1/media/{first}"), &first)
        .await;
    assert_eq!(bytes.status, 200);
    assert_eq!(bytes.body, fixture("face.jpg"));
}

#[tokio::test]
async fn a_list_read_before_an_upload_shows_the_upload_right_after() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    app.upload_ok(&tenant, &session, "image", "face", &fixture("face-blurred.jpg"))
        .await;
    let attempt = app.latest_attempt(&tenant, &session).await;
    for _ in 0..2 {
        assert_eq!(
            app.attempt_media(&tenant, &attempt).await.json()["images"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            app.session_media(&tenant, &session).await.json()["images"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
    let sharp = app
        .upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    let by_attempt = app.attempt_media(&tenant, &attempt).await.json();
    let by_session = app.session_media(&tenant, &session).await.json();
    assert_eq!(by_attempt, by_session);
    assert_eq!(by_attempt["images"].as_array().unwrap().len(), 2);
    assert_eq!(
        by_attempt["images"][0]["id"],
        sharp.as_str(),
        "re-ranked with the new upload first"
    );
}
