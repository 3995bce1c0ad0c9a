//! What a refused client learns beside the contract's body: the reason in
//! words (`X-Kycmedia-Reason`) and the request's id (`X-Request-Id`), while
//! the body stays the provider's, byte for byte.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{fixture, spawn_app};

#[tokio::test]
async fn a_photo_under_a_video_context_says_why_beside_the_unchanged_contract_body() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let reply = app
        .upload(&tenant, &session, "video", "selfid_video", &fixture("face.jpg"))
        .await;
    reply.assert_error(400, "1104");
    assert_eq!(
        reply.body,
        br#"{"status":"fail","code":"1104","message":"Request includes invalid parameters."}"#
    );
    reply.assert_signed(&tenant);
    assert_eq!(
        reply.header("x-kycmedia-reason"),
        Some("image/jpeg does not suit context selfid_video")
    );
}

#[tokio::test]
async fn an_unknown_context_lists_the_valid_ones_and_a_context_of_the_other_kind_names_the_right_key() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let reply = app
        .upload(&tenant, &session, "image", "bogus", &fixture("face.jpg"))
        .await;
    reply.assert_error(400, "1402");
    let reason = reply.header("x-kycmedia-reason").expect("a reason");
    assert!(
        reason.starts_with(r#"unknown image context "bogus"; valid: "#),
        "{reason}"
    );
    for context in kycmedia_proto::ImageContext::ALL {
        assert!(reason.contains(context.as_str()), "{context} missing from {reason}");
    }
    let reply = app
        .upload(&tenant, &session, "image", "selfid_video", &fixture("face.jpg"))
        .await;
    reply.assert_error(400, "1402");
    assert_eq!(
        reply.header("x-kycmedia-reason"),
        Some(r#""selfid_video" is a video context: send it under `video`"#)
    );
}

#[tokio::test]
async fn malformed_bodies_name_the_field_that_is_wrong() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let path = format!("/v1/sessions/{session}/media");
    let cases = [
        (json!({"image": "x"}), "1104", "`image` must be an object, not a string"),
        (
            json!({"image": {"context": "face"}}),
            "1400",
            "`image.content` is missing or empty",
        ),
        (
            json!({"image": {"content": "AAAA"}}),
            "1102",
            "`image.context` is missing",
        ),
        (
            json!({"image": {"context": 7, "content": "AAAA"}}),
            "1104",
            "`context` must be a string, not a number",
        ),
        (json!({}), "1403", "the body needs an `image` or a `video` object"),
    ];
    for (body, code, reason) in cases {
        let reply = app.signed_body(Method::POST, &tenant, &path, &body).await;
        reply.assert_error(400, code);
        assert_eq!(reply.header("x-kycmedia-reason"), Some(reason), "{body}");
    }
    let reply = app
        .signed_body(
            Method::PATCH,
            &tenant,
            &format!("/v1/sessions/{session}"),
            &json!({"verification": {"status": "approved"}}),
        )
        .await;
    reply.assert_error(400, "1304");
    assert!(
        reply
            .header("x-kycmedia-reason")
            .is_some_and(|r| r.contains("submitted"))
    );
}

#[tokio::test]
async fn an_upload_to_a_submitted_session_says_which_status_it_is_in() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    assert_eq!(app.submit(&tenant, &session).await.status, 200);
    let reply = app
        .upload(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    reply.assert_error(409, "1101");
    assert!(
        reply
            .header("x-kycmedia-reason")
            .is_some_and(|r| r.starts_with("the session is submitted")),
        "{:?}",
        reply.header("x-kycmedia-reason")
    );
}

#[tokio::test]
async fn a_404_gives_no_reason_so_that_another_tenants_id_looks_like_a_missing_one() {
    let Some(app) = spawn_app().await else { return };
    let (owner, other) = (app.tenant().await, app.tenant().await);
    let session = app.create_session(&owner, json!({})).await;
    let attempts = |id: String| {
        let path = format!("/v1/sessions/{id}/attempts");
        let app = &app;
        let other = &other;
        async move { app.signed(Method::GET, other, &path, &id).await }
    };
    let theirs = attempts(session).await;
    let missing = attempts("aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7".to_owned()).await;
    theirs.assert_error(404, "1101");
    assert_eq!(theirs.body, missing.body);
    assert_eq!(theirs.header("x-kycmedia-reason"), None);
    assert_eq!(missing.header("x-kycmedia-reason"), None);
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_a_plain_client_id_is_kept() {
    let Some(app) = spawn_app().await else { return };
    for path in [
        "/healthz",
        "/v1/attempts/aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7/media",
        "/nowhere",
    ] {
        let reply = app.send(Method::GET, path, &[], None).await;
        let id = reply.header("x-request-id").expect("a request id");
        assert!(uuid::Uuid::try_parse(id).is_ok(), "{path}: {id}");
    }
    let kept = app
        .send(Method::GET, "/healthz", &[("x-request-id", "trace-42.a_b")], None)
        .await;
    assert_eq!(kept.header("x-request-id"), Some("trace-42.a_b"));
    let replaced = app
        .send(
            Method::GET,
            "/healthz",
            &[("x-request-id", "two words \"quoted\"")],
            None,
        )
        .await;
    let id = replaced.header("x-request-id").expect("a request id");
    assert!(uuid::Uuid::try_parse(id).is_ok(), "{id}");
}
