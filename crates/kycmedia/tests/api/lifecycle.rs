//! Sessions and attempts: create, submit, decisions, resubmission, delete.

use kycmedia::admin;
use kycmedia_proto::Status;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{fixture, spawn_app};

#[tokio::test]
async fn creating_a_session_returns_201_with_the_verification_object() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let body = json!({"verification": {"callback": "https://example.com/cb", "vendorData": "user-1",
        "person": {"firstName": "John", "lastName": "Smith", "idNumber": "123"}, "unknownField": {"x": 1}}});
    let reply = app.signed_body(Method::POST, &tenant, "/v1/sessions", &body).await;
    assert_eq!(reply.status, 201);
    reply.assert_signed(&tenant);
    let v = &reply.json()["verification"];
    assert_eq!(reply.json()["status"], "success");
    assert_eq!(v["status"], "created");
    assert_eq!(v["vendorData"], "user-1");
    assert_eq!(v["host"], app.base.as_str());
    let token = v["sessionToken"].as_str().unwrap();
    assert_eq!(v["url"], format!("{}/v/{token}", app.base));
    assert!(uuid::Uuid::parse_str(v["id"].as_str().unwrap()).is_ok());
    let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys.len(), 6, "{keys:?}");
}

#[tokio::test]
async fn upload_after_submit_returns_409_and_a_second_submit_is_1304() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    app.upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    let submitted = app.submit(&tenant, &session).await;
    assert_eq!(submitted.status, 200);
    submitted.assert_signed(&tenant);
    assert_eq!(submitted.json()["verification"]["status"], "submitted");
    let late = app
        .upload(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    late.assert_error(409, "1101");
    late.assert_signed(&tenant);
    app.submit(&tenant, &session).await.assert_error(400, "1304");
    let wrong = json!({"verification": {"status": "approved"}});
    app.signed_body(Method::PATCH, &tenant, &format!("/v1/sessions/{session}"), &wrong)
        .await
        .assert_error(400, "1304");
    let nonsense = json!({"verification": {"status": "finished"}});
    app.signed_body(Method::PATCH, &tenant, &format!("/v1/sessions/{session}"), &nonsense)
        .await
        .assert_error(400, "1303");
}

#[tokio::test]
async fn a_submitted_session_waits_until_the_decide_command_records_a_decision() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    app.upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    app.submit(&tenant, &session).await;
    assert_eq!(app.attempts(&tenant, &session).await[0]["status"], "submitted");
    admin::decide(
        app.core.store.as_ref(),
        &session.as_str().into(),
        Status::Declined,
        None,
    )
    .await
    .unwrap();
    assert_eq!(app.attempts(&tenant, &session).await[0]["status"], "declined");
    assert!(
        admin::decide(
            app.core.store.as_ref(),
            &session.as_str().into(),
            Status::Approved,
            None
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn the_first_name_convention_decides_on_submit() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    for (name, status) in [
        ("Approve", "approved"),
        ("Decline", "declined"),
        ("Resubmit", "resubmission_requested"),
    ] {
        let session = app
            .create_session(&tenant, json!({"person": {"firstName": name}}))
            .await;
        app.upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
            .await;
        let reply = app.submit(&tenant, &session).await;
        assert_eq!(reply.json()["verification"]["status"], "submitted");
        assert_eq!(app.attempts(&tenant, &session).await[0]["status"], status, "{name}");
    }
}

#[tokio::test]
async fn a_resubmission_opens_a_new_attempt_and_the_old_attempt_keeps_its_media() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app
        .create_session(&tenant, json!({"person": {"firstName": "Resubmit"}}))
        .await;
    let first_media = app
        .upload_ok(&tenant, &session, "image", "face", &fixture("face-blurred.jpg"))
        .await;
    app.submit(&tenant, &session).await;
    let first = app.latest_attempt(&tenant, &session).await;

    let second_media = app
        .upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    let attempts = app.attempts(&tenant, &session).await;
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[1]["id"], first.as_str(), "newest first");
    assert_eq!(attempts[0]["status"], "started");
    assert_eq!(attempts[1]["status"], "resubmission_requested");
    for a in &attempts {
        let t = a["createdTime"].as_str().unwrap();
        assert!(t.ends_with('Z') && t.len() == 24, "{t}");
    }

    let current = app.session_media(&tenant, &session).await.json();
    assert_eq!(current["images"][0]["id"], second_media.as_str());
    assert_eq!(current["images"].as_array().unwrap().len(), 1);
    let old = app.attempt_media(&tenant, &first).await.json();
    assert_eq!(old["images"][0]["id"], first_media.as_str());
    assert_eq!(old["images"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn submitting_without_media_leaves_an_attempt_with_two_empty_arrays() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    assert_eq!(
        app.session_media(&tenant, &session).await.body,
        br#"{"status":"success","images":[],"videos":[]}"#
    );
    app.submit(&tenant, &session).await;
    let attempt = app.latest_attempt(&tenant, &session).await;
    let reply = app.attempt_media(&tenant, &attempt).await;
    assert_eq!(reply.body, br#"{"status":"success","images":[],"videos":[]}"#);
    reply.assert_signed(&tenant);
}

#[tokio::test]
async fn deleting_a_session_erases_its_rows_and_bytes() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let media = app
        .upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    let attempt = app.latest_attempt(&tenant, &session).await;
    // Read both lists first, so that a server caching them must forget them.
    assert_eq!(app.attempt_media(&tenant, &attempt).await.status, 200);
    assert_eq!(app.session_media(&tenant, &session).await.status, 200);
    let keep = app.create_session(&tenant, json!({})).await;
    app.upload_ok(&tenant, &keep, "image", "face", &fixture("face.jpg"))
        .await;
    assert_eq!(app.stored_files().await, 2);

    let reply = app
        .signed(Method::DELETE, &tenant, &format!("/v1/sessions/{session}"), &session)
        .await;
    assert_eq!(reply.status, 200);
    reply.assert_signed(&tenant);
    assert_eq!(
        reply.body,
        format!(r#"{{"status":"success","verification":{{"id":"{session}"}}}}"#).into_bytes()
    );
    assert_eq!(app.stored_files().await, 1);
    app.signed(Method::GET, &tenant, &format!("/v1/media/{media}"), &media)
        .await
        .assert_error(404, "1101");
    app.attempt_media(&tenant, &attempt).await.assert_error(404, "1101");
    app.session_media(&tenant, &session).await.assert_error(404, "1101");
    app.signed(Method::DELETE, &tenant, &format!("/v1/sessions/{session}"), &session)
        .await
        .assert_error(404, "1101");
}
