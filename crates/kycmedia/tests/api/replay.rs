//! Replay protection (docs/api.md §1.7): off by default, as on the
//! provider; once an integration opts in, a captured signature is good for
//! one request only.

use kycmedia_proto::signing::{NONCE_HEADER, Scheme, TIMESTAMP_HEADER, replay_protected_payload, sign};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Reply, Tenant, TestApp, fixture, spawn_app};

fn now_secs() -> i64 {
    kycmedia::ids::now_ms() / 1000
}

/// A request signed under replay protection at `at`, with `nonce`.
async fn protected(
    app: &TestApp,
    tenant: &Tenant,
    method: Method,
    path: &str,
    payload: &[u8],
    at: i64,
    nonce: &str,
) -> Reply {
    let timestamp = at.to_string();
    let signed = replay_protected_payload(&timestamp, nonce, method.as_str(), path, payload);
    let signature = sign(Scheme::Hmac, tenant.secret.as_bytes(), &signed);
    app.send(
        method,
        path,
        &[
            ("X-AUTH-CLIENT", &tenant.api_key),
            ("X-HMAC-SIGNATURE", &signature),
            (TIMESTAMP_HEADER, &timestamp),
            (NONCE_HEADER, nonce),
        ],
        None,
    )
    .await
}

async fn protect(app: &TestApp, tenant: &Tenant) {
    kycmedia::admin::set_replay_window(app.core.store.as_ref(), &tenant.api_key, Some(300))
        .await
        .unwrap();
    // Integrations are cached for 500 ms.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
}

#[tokio::test]
async fn by_default_a_captured_get_signature_also_deletes_the_session_as_on_the_provider() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    // Both sign the bare id: the provider's scheme, kept byte for byte.
    let get = app
        .signed(
            Method::GET,
            &tenant,
            &format!("/v1/sessions/{session}/attempts"),
            &session,
        )
        .await;
    assert_eq!(get.status, 200);
    let delete = app
        .signed(Method::DELETE, &tenant, &format!("/v1/sessions/{session}"), &session)
        .await;
    assert_eq!(delete.status, 200);
}

#[tokio::test]
async fn under_replay_protection_a_request_without_its_time_and_nonce_is_refused() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    protect(&app, &tenant).await;
    let plain = app
        .signed(
            Method::GET,
            &tenant,
            &format!("/v1/sessions/{session}/attempts"),
            &session,
        )
        .await;
    plain.assert_error(401, "1101");
    assert!(
        plain
            .header("x-kycmedia-reason")
            .unwrap()
            .contains("requires X-Kycmedia-Timestamp")
    );
    assert_eq!(plain.header("x-auth-client"), Some(tenant.api_key.as_str()));
    let path = format!("/v1/sessions/{session}/attempts");
    let short = protected(
        &app,
        &tenant,
        Method::GET,
        &path,
        session.as_bytes(),
        now_secs(),
        "short",
    )
    .await;
    short.assert_error(401, "1101");
    let ok = protected(
        &app,
        &tenant,
        Method::GET,
        &path,
        session.as_bytes(),
        now_secs(),
        "nonce-0000000000000001",
    )
    .await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    ok.assert_signed(&tenant);
}

#[tokio::test]
async fn under_replay_protection_no_signature_works_twice_late_or_for_another_request() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    protect(&app, &tenant).await;
    let attempts = format!("/v1/sessions/{session}/attempts");
    let at = now_secs();
    let nonce = "nonce-aaaaaaaaaaaaaaaa";
    let first = protected(&app, &tenant, Method::GET, &attempts, session.as_bytes(), at, nonce).await;
    assert_eq!(first.status, 200);
    // The very same request again.
    let again = protected(&app, &tenant, Method::GET, &attempts, session.as_bytes(), at, nonce).await;
    again.assert_error(401, "1101");
    assert_eq!(again.header("x-kycmedia-reason"), Some("this nonce was used before"));
    // The GET's signature as the session's DELETE: method and path are signed.
    let timestamp = at.to_string();
    let get_signature = sign(
        Scheme::Hmac,
        tenant.secret.as_bytes(),
        &replay_protected_payload(
            &timestamp,
            "nonce-bbbbbbbbbbbbbbbb",
            "GET",
            &attempts,
            session.as_bytes(),
        ),
    );
    let delete = app
        .send(
            Method::DELETE,
            &format!("/v1/sessions/{session}"),
            &[
                ("X-AUTH-CLIENT", &tenant.api_key),
                ("X-HMAC-SIGNATURE", &get_signature),
                (TIMESTAMP_HEADER, &timestamp),
                (NONCE_HEADER, "nonce-bbbbbbbbbbbbbbbb"),
            ],
            None,
        )
        .await;
    delete.assert_error(401, "1818");
    // Ten minutes late, or early.
    for skew in [-600, 600] {
        let late = protected(
            &app,
            &tenant,
            Method::GET,
            &attempts,
            session.as_bytes(),
            at + skew,
            "nonce-cccccccccccccccc",
        )
        .await;
        late.assert_error(401, "1101");
        assert!(
            late.header("x-kycmedia-reason")
                .unwrap()
                .contains("outside the 300 s window")
        );
    }
    // The session is still there.
    let still = protected(
        &app,
        &tenant,
        Method::GET,
        &attempts,
        session.as_bytes(),
        now_secs(),
        "nonce-dddddddddddddddd",
    )
    .await;
    assert_eq!(still.status, 200);
}

#[tokio::test]
async fn the_sdk_with_replay_protection_goes_through_the_whole_flow() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    protect(&app, &tenant).await;
    let client = kycmedia_client::Client::builder(&app.base, tenant.api_key.clone(), tenant.secret.clone())
        .replay_protection(true)
        .build()
        .unwrap();
    let session = client
        .create_session(&kycmedia_client::NewSession::default())
        .await
        .unwrap();
    let id = session.verification.id.clone();
    let face = fixture("face.jpg");
    let uploaded = client.upload_image(&id, "face", &face).await.unwrap();
    let media = uploaded.image.as_ref().unwrap().id.clone();
    let list = client.session_media(&id).await.unwrap();
    assert_eq!(list.images.len(), 1);
    let mut bytes = Vec::new();
    client.download(&media, &mut bytes).await.unwrap();
    assert_eq!(bytes, face);
    client.delete_session(&id).await.unwrap();
    // The same client without it is refused.
    let plain = kycmedia_client::Client::new(&app.base, tenant.api_key.clone(), tenant.secret.clone()).unwrap();
    assert!(plain.attempts(&id).await.is_err());
}
