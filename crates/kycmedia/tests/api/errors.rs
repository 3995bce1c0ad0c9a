//! The error table (docs/api.md §2) over HTTP: path ids, bodies, limits,
//! tenant isolation. Every authenticated error is signed.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{fixture, hmac, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_path_id_of_the_wrong_length_is_1001_and_a_non_uuid_is_1002() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let short = app.signed(Method::GET, &tenant, "/v1/attempts/abc/media", "abc").await;
    short.assert_error(400, "1001");
    short.assert_signed(&tenant);
    let seed_example = "e7ab18d1-5545-5e47-af7b-e23gb6247f80";
    app.signed(
        Method::GET,
        &tenant,
        &format!("/v1/attempts/{seed_example}/media"),
        seed_example,
    )
    .await
    .assert_error(400, "1002");
}

#[tokio::test]
async fn an_unknown_id_is_a_signed_404() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let id = "a1c68aea-7f4d-478d-80ab-ca9356074f69";
    for path in [
        format!("/v1/attempts/{id}/media"),
        format!("/v1/sessions/{id}/media"),
        format!("/v1/sessions/{id}/attempts"),
        format!("/v1/media/{id}"),
    ] {
        let reply = app.signed(Method::GET, &tenant, &path, id).await;
        reply.assert_error(404, "1101");
        reply.assert_signed(&tenant);
    }
    app.signed(Method::DELETE, &tenant, &format!("/v1/sessions/{id}"), id)
        .await
        .assert_error(404, "1101");
}

#[tokio::test]
async fn another_integrations_ids_are_404_on_every_endpoint() {
    let Some(app) = spawn_app().await else { return };
    let owner = app.tenant().await;
    let other = app.tenant().await;
    let session = app.create_session(&owner, json!({})).await;
    let media = app
        .upload_ok(&owner, &session, "image", "face", &fixture("face.jpg"))
        .await;
    let attempt = app.latest_attempt(&owner, &session).await;
    // The owner reads first, so that any cached list is what the other would hit.
    assert_eq!(app.attempt_media(&owner, &attempt).await.status, 200);
    assert_eq!(app.session_media(&owner, &session).await.status, 200);

    for (path, id) in [
        (format!("/v1/attempts/{attempt}/media"), &attempt),
        (format!("/v1/sessions/{session}/media"), &session),
        (format!("/v1/sessions/{session}/attempts"), &session),
        (format!("/v1/media/{media}"), &media),
    ] {
        app.signed(Method::GET, &other, &path, id)
            .await
            .assert_error(404, "1101");
    }
    app.upload(&other, &session, "image", "face", &fixture("face.jpg"))
        .await
        .assert_error(404, "1101");
    app.submit(&other, &session).await.assert_error(404, "1101");
    app.signed(Method::DELETE, &other, &format!("/v1/sessions/{session}"), &session)
        .await
        .assert_error(404, "1101");
    // Nothing the other tenant did touched the owner's data.
    assert_eq!(
        app.attempt_media(&owner, &attempt).await.json()["images"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn each_malformed_upload_gets_its_code_and_stores_nothing() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let path = format!("/v1/sessions/{session}/media");
    let cases = [
        (json!({}), "1403"),
        (json!({"image": {"context": "face"}}), "1400"),
        (json!({"image": {"content": "aGk="}}), "1102"),
        (json!({"image": {"context": "selfie", "content": "aGk="}}), "1402"),
        (json!({"image": {"context": "face", "content": "!!!"}}), "1401"),
        (
            json!({"image": {"context": "face", "content": "aGVsbG8gd29ybGQ="}}),
            "1104",
        ),
    ];
    for (body, code) in cases {
        let reply = app.signed_body(Method::POST, &tenant, &path, &body).await;
        reply.assert_error(400, code);
        reply.assert_signed(&tenant);
    }
    let mp4_as_image = app
        .upload(&tenant, &session, "image", "face", &fixture("selfid.mp4"))
        .await;
    mp4_as_image.assert_error(400, "1104");
    let jpeg_as_video = app
        .upload(&tenant, &session, "video", "selfid_video", &fixture("face.jpg"))
        .await;
    jpeg_as_video.assert_error(400, "1104");
    let truncated = fixture("selfid.mp4")[..200].to_vec();
    app.upload(&tenant, &session, "video", "selfid_video", &truncated)
        .await
        .assert_error(400, "1104");
    assert!(app.attempts(&tenant, &session).await.is_empty());
    assert_eq!(app.stored_files().await, 0);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_and_stores_nothing() {
    let Some(app) = spawn_app_with(&["--max-body-bytes", "4096"]).await else {
        return;
    };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    app.upload(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await
        .assert_error(413, "1101");
    assert_eq!(app.stored_files().await, 0);
}

#[tokio::test]
async fn invalid_json_is_1101_and_session_fields_get_their_codes() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let body = b"{not json".to_vec();
    let signature = hmac(&tenant.secret, &body);
    app.send(
        Method::POST,
        "/v1/sessions",
        &[("X-AUTH-CLIENT", &tenant.api_key), ("X-HMAC-SIGNATURE", &signature)],
        Some(body),
    )
    .await
    .assert_error(400, "1101");
    for (body, code) in [
        (json!({}), "1102"),
        (json!({"verification": {"callback": "http://example.com"}}), "1302"),
        (json!({"verification": {"vendorData": 42}}), "1501"),
        (json!({"verification": {"vendorData": "x".repeat(1001)}}), "1500"),
    ] {
        app.signed_body(Method::POST, &tenant, "/v1/sessions", &body)
            .await
            .assert_error(400, code);
    }
}

#[tokio::test]
async fn an_unknown_route_is_a_json_404_and_a_wrong_method_a_json_405() {
    let Some(app) = spawn_app().await else { return };
    let reply = app.send(Method::GET, "/v1/nothing-here", &[], None).await;
    reply.assert_error(404, "1101");
    let tenant = app.tenant().await;
    let id = "a1c68aea-7f4d-478d-80ab-ca9356074f69";
    let reply = app
        .signed(Method::PUT, &tenant, &format!("/v1/sessions/{id}"), id)
        .await;
    reply.assert_error(405, "1101");
}

#[tokio::test]
async fn an_internal_failure_is_a_signed_500_that_reveals_nothing() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let media = app
        .upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    // The bytes vanish from under their row (a disk fault, an operator's rm).
    app.erase_bytes(&media).await;
    let reply = app
        .signed(Method::GET, &tenant, &format!("/v1/media/{media}"), &media)
        .await;
    reply.assert_error(500, "1101");
    reply.assert_signed(&tenant);
    assert_eq!(reply.json()["message"], "Something went wrong");
    let text = String::from_utf8_lossy(&reply.body);
    assert!(!text.contains(&media) && !text.contains("media/"), "{text}");
}

#[tokio::test]
async fn a_download_racing_its_sessions_delete_is_a_200_or_a_404_never_a_500() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for _ in 0..15 {
        let session = app.create_session(&tenant, json!({})).await;
        let media = app
            .upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
            .await;
        let path = format!("/v1/media/{media}");
        let downloads: Vec<_> = (0..40)
            .map(|_| app.signed(Method::GET, &tenant, &path, &media))
            .collect();
        let session_path = format!("/v1/sessions/{session}");
        let delete = app.signed(Method::DELETE, &tenant, &session_path, &session);
        let (replies, deleted) = tokio::join!(futures::future::join_all(downloads), delete);
        assert_eq!(deleted.status, 200);
        for reply in replies {
            *statuses.entry(reply.status).or_default() += 1;
            if reply.status == 404 {
                reply.assert_error(404, "1101");
            }
        }
    }
    assert!(statuses.keys().all(|s| *s == 200 || *s == 404), "{statuses:?}");
}
