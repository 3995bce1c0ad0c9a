//! Authentication (docs/api.md §1): every 401 row, both schemes, rotation.

use std::time::Duration;

use kycmedia::admin;
use kycmedia_proto::signing::{Scheme, sign};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{hmac, spawn_app};

const SOME_ID: &str = "a1c68aea-7f4d-478d-80ab-ca9356074f69";

#[tokio::test]
async fn a_request_without_an_api_key_gets_1801_unsigned() {
    let Some(app) = spawn_app().await else { return };
    let reply = app
        .send(Method::GET, &format!("/v1/attempts/{SOME_ID}/media"), &[], None)
        .await;
    reply.assert_error(401, "1801");
    assert!(reply.header("x-hmac-signature").is_none());
    assert!(reply.header("x-auth-client").is_none());
}

#[tokio::test]
async fn a_malformed_api_key_gets_1802_and_is_echoed() {
    let Some(app) = spawn_app().await else { return };
    let reply = app
        .send(
            Method::GET,
            &format!("/v1/attempts/{SOME_ID}/media"),
            &[("X-AUTH-CLIENT", "not-a-uuid")],
            None,
        )
        .await;
    reply.assert_error(401, "1802");
    assert_eq!(reply.header("x-auth-client"), Some("not-a-uuid"));
    assert!(reply.header("x-hmac-signature").is_none());
}

#[tokio::test]
async fn an_unknown_api_key_gets_1803() {
    let Some(app) = spawn_app().await else { return };
    let headers = [
        ("X-AUTH-CLIENT", SOME_ID),
        ("X-HMAC-SIGNATURE", &*hmac("x", SOME_ID.as_bytes())),
    ];
    app.send(Method::GET, &format!("/v1/attempts/{SOME_ID}/media"), &headers, None)
        .await
        .assert_error(401, "1803");
}

#[tokio::test]
async fn a_disabled_integration_gets_1804_within_one_second() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    admin::disable(app.core.store.as_ref(), &tenant.api_key).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    app.session_media(&tenant, &session).await.assert_error(401, "1804");
}

#[tokio::test]
async fn each_bad_signature_gets_its_own_code() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let key = tenant.api_key.as_str();
    let path = format!("/v1/attempts/{SOME_ID}/media");
    let wrong = hmac("wrong secret", SOME_ID.as_bytes());
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("X-AUTH-CLIENT", key)], "1815"),
        (&[("X-AUTH-CLIENT", key), ("X-HMAC-SIGNATURE", "abc123")], "1812"),
        (&[("X-AUTH-CLIENT", key), ("X-HMAC-SIGNATURE", &"z".repeat(64))], "1812"),
        (&[("X-AUTH-CLIENT", key), ("X-HMAC-SIGNATURE", &wrong)], "1818"),
        (&[("X-AUTH-CLIENT", key), ("X-SIGNATURE", &wrong)], "1813"),
    ];
    for (headers, code) in cases {
        let reply = app.send(Method::GET, &path, headers, None).await;
        reply.assert_error(401, code);
        assert!(reply.header("x-hmac-signature").is_none());
        assert_eq!(reply.header("x-auth-client"), Some(key));
    }
    let session = app.create_session(&tenant, json!({})).await;
    let body = br#"{"verification":{"status":"submitted"}}"#.to_vec();
    let wrong = hmac("wrong secret", &body);
    for (header, code) in [("X-HMAC-SIGNATURE", "1819"), ("X-SIGNATURE", "1814")] {
        app.send(
            Method::PATCH,
            &format!("/v1/sessions/{session}"),
            &[("X-AUTH-CLIENT", key), (header, &wrong)],
            Some(body.clone()),
        )
        .await
        .assert_error(401, code);
    }
}

#[tokio::test]
async fn a_body_altered_after_signing_is_rejected() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let signed = br#"{"verification":{"vendorData":"a"}}"#;
    let sent = br#"{"verification":{"vendorData":"b"}}"#.to_vec();
    let signature = hmac(&tenant.secret, signed);
    app.send(
        Method::POST,
        "/v1/sessions",
        &[("X-AUTH-CLIENT", &tenant.api_key), ("X-HMAC-SIGNATURE", &signature)],
        Some(sent),
    )
    .await
    .assert_error(401, "1819");
}

#[tokio::test]
async fn upper_case_hex_signatures_are_accepted() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let signature = hmac(&tenant.secret, session.as_bytes()).to_uppercase();
    let reply = app
        .send(
            Method::GET,
            &format!("/v1/sessions/{session}/media"),
            &[("X-AUTH-CLIENT", &tenant.api_key), ("X-HMAC-SIGNATURE", &signature)],
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
    reply.assert_signed(&tenant);
}

#[tokio::test]
async fn a_legacy_signed_request_gets_a_legacy_signed_response() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let signature = sign(Scheme::Legacy, tenant.secret.as_bytes(), session.as_bytes());
    let reply = app
        .send(
            Method::GET,
            &format!("/v1/sessions/{session}/attempts"),
            &[("X-AUTH-CLIENT", &tenant.api_key), ("X-SIGNATURE", &signature)],
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
    let expected = sign(Scheme::Legacy, tenant.secret.as_bytes(), &reply.body);
    assert_eq!(reply.header("x-signature"), Some(expected.as_str()));
    assert!(reply.header("x-hmac-signature").is_none());
}

#[tokio::test]
async fn an_unsigned_session_creation_is_answered_with_the_newest_secret() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let newer = admin::add_secret(app.core.store.as_ref(), &tenant.api_key)
        .await
        .unwrap();
    let newer = newer["sharedSecret"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let reply = app
        .send(
            Method::POST,
            "/v1/sessions",
            &[("X-AUTH-CLIENT", &tenant.api_key)],
            Some(br#"{"verification":{}}"#.to_vec()),
        )
        .await;
    assert_eq!(reply.status, 201);
    reply.assert_signed_by(&tenant, newer);
}

#[tokio::test]
async fn secrets_rotate_without_downtime_and_revoked_ones_stop_working_within_a_second() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let added = admin::add_secret(app.core.store.as_ref(), &tenant.api_key)
        .await
        .unwrap();
    let mut rotated = tenant.clone();
    rotated.secret = added["sharedSecret"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1000)).await;

    // Both secrets work, and each answer is signed with the secret that was used.
    let old = app.session_media(&tenant, &session).await;
    assert_eq!(old.status, 200);
    old.assert_signed(&tenant);
    let new = app.session_media(&rotated, &session).await;
    assert_eq!(new.status, 200);
    new.assert_signed(&rotated);

    admin::revoke_secret(app.core.store.as_ref(), &tenant.api_key, &tenant.secret)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    app.session_media(&tenant, &session).await.assert_error(401, "1818");
    assert_eq!(app.session_media(&rotated, &session).await.status, 200);
}

#[tokio::test]
async fn an_integration_holds_at_most_five_secrets_and_never_none() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let store = app.core.store.as_ref();
    for _ in 0..4 {
        admin::add_secret(store, &tenant.api_key).await.unwrap();
    }
    assert!(admin::add_secret(store, &tenant.api_key).await.is_err());
    let solo = app.tenant().await;
    assert!(admin::revoke_secret(store, &solo.api_key, &solo.secret).await.is_err());
}
