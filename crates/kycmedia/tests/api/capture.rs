//! The capture page at `verification.url`, over HTTP: what the page's
//! script does (flow, photos, submit), the headers that keep it to this
//! server and the allowed origins, and the answers for links that open
//! nothing. `capture_browser` drives the same page in Chromium.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{Tenant, TestApp, fixture, spawn_app, spawn_app_with},
    receiver::Receiver,
};

/// A session created through the API; its id and its capture path (`/v/…`).
pub async fn capture_session(app: &TestApp, tenant: &Tenant, verification: Value) -> (String, String) {
    let created = app.create_session_object(tenant, verification).await;
    let url = created["url"].as_str().unwrap();
    let path = url
        .strip_prefix(&app.base)
        .expect("the url is on this server")
        .to_owned();
    (created["id"].as_str().unwrap().to_owned(), path)
}

/// Sends the tenant's event webhooks to `receiver`'s `/events`.
pub async fn events_to(app: &TestApp, tenant: &Tenant, receiver: &Receiver) {
    kycmedia::admin::set_webhooks(
        app.core.store.as_ref(),
        &tenant.api_key,
        None,
        Some(&format!("{}/events", receiver.base)),
    )
    .await
    .unwrap();
}

/// POSTs a photo as the page does: the file itself.
async fn send_photo(app: &TestApp, path: &str, context: &str, bytes: &[u8]) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}{path}/captures/{context}", app.base))
        .header("content-type", "image/jpeg")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

#[tokio::test]
async fn the_session_url_opens_a_page_that_loads_only_this_servers_assets() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let (_, path) = capture_session(&app, &tenant, json!({})).await;
    let (status, headers, html) = get(&app, &path).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"<html lang="en">"#), "{html}");
    assert!(html.contains("<title>Verify your identity</title>"), "{html}");
    for asset in ["/capture/app.js", "/capture/app.css"] {
        assert!(html.contains(asset), "{html}");
        let (status, headers, body) = get(&app, asset).await;
        assert_eq!(status, 200, "{asset}");
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{asset} names another host"
        );
        assert!(
            headers["content-type"].to_str().unwrap().starts_with("text/"),
            "{asset}"
        );
    }
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "no inline script or style"
    );
    let policy = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers.get("set-cookie").is_none());
}

#[tokio::test]
async fn only_the_allowed_origins_may_frame_the_page() {
    let Some(app) = spawn_app_with(&["--allowed-origins", "https://shop.example,http://127.0.0.1:9"]).await else {
        return;
    };
    let tenant = app.tenant().await;
    let (_, path) = capture_session(&app, &tenant, json!({})).await;
    let (_, headers, _) = get(&app, &path).await;
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(
        policy.ends_with("frame-ancestors https://shop.example http://127.0.0.1:9"),
        "{policy}"
    );
}

#[tokio::test]
async fn a_photo_comes_back_with_advice_and_submit_leads_to_the_callback() {
    let Some(app) = spawn_app_with(&["--webhook-allow-http", "--webhook-allow-private"]).await else {
        return;
    };
    let tenant = app.tenant().await;
    let receiver = Receiver::start().await;
    events_to(&app, &tenant, &receiver).await;
    let (session, path) = capture_session(&app, &tenant, json!({"callback": "https://shop.example/done?x=1"})).await;

    let (status, flow) = {
        let response = app.client.get(format!("{}{path}/flow", app.base)).send().await.unwrap();
        (response.status().as_u16(), response.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 200);
    let contexts: Vec<&str> = flow["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["context"].as_str().unwrap())
        .collect();
    assert_eq!(contexts, ["document-front", "document-back", "face"]);
    assert_eq!(flow["steps"][0]["camera"], "environment");
    assert_eq!(flow["steps"][2]["camera"], "user");
    assert_eq!(flow["strings"]["hint.too-dark"], "Too dark. Move to a brighter place.");

    assert_eq!(
        send_photo(&app, &path, "document-front", &fixture("document-front.jpg")).await,
        (201, json!({"context": "document-front", "hints": []}))
    );
    assert_eq!(
        send_photo(&app, &path, "document-back", &fixture("document-front.jpg")).await,
        (201, json!({"context": "document-back", "hints": ["front-side"]}))
    );
    assert_eq!(
        send_photo(&app, &path, "document-back", &fixture("document-back.jpg")).await,
        (201, json!({"context": "document-back", "hints": []}))
    );
    assert_eq!(
        send_photo(&app, &path, "face", &fixture("face-dark.jpg")).await,
        (201, json!({"context": "face", "hints": ["too-dark"]}))
    );
    assert_eq!(
        send_photo(&app, &path, "face", &fixture("face.jpg")).await,
        (201, json!({"context": "face", "hints": []}))
    );

    let submitted = app
        .client
        .post(format!("{}{path}/submit", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 200);
    assert_eq!(
        submitted.json::<Value>().await.unwrap(),
        json!({"redirect": "https://shop.example/done?x=1"})
    );

    // The API sees what the page sent, best first per context.
    let attempt = app.latest_attempt(&tenant, &session).await;
    let media = app.attempt_media(&tenant, &attempt).await.json();
    let images = media["images"].as_array().unwrap();
    assert_eq!(images.len(), 5, "{media}");
    let faces: Vec<&Value> = images.iter().filter(|m| m["context"] == "face").collect();
    assert_eq!(faces.len(), 2);
    assert_eq!(
        faces[0]["size"],
        fixture("face.jpg").len(),
        "the good selfie ranks before the dark one: {faces:?}"
    );
    assert_eq!(app.attempts(&tenant, &session).await[0]["status"], "submitted");
    let events = receiver.wait_for(2, Duration::from_secs(10)).await;
    let actions: Vec<Value> = events.iter().map(|e| e.json()["action"].clone()).collect();
    assert_eq!(actions, ["started", "submitted"]);
}

#[tokio::test]
async fn links_that_open_nothing_get_a_page_saying_why() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;

    for wrong in ["/v/nope", &format!("/v/{}", "0".repeat(64))] {
        let (status, headers, html) = get(&app, wrong).await;
        assert_eq!(status, 404, "{wrong}");
        assert!(html.contains("This link does not work"), "{html}");
        assert!(!html.contains("app.js"), "no flow for a wrong link");
        assert_eq!(headers["referrer-policy"], "no-referrer");
    }

    let (session, path) = capture_session(&app, &tenant, json!({})).await;
    assert_eq!(send_photo(&app, &path, "face", &fixture("face.jpg")).await.0, 201);
    assert_eq!(app.submit(&tenant, &session).await.status, 200);
    let (status, _, html) = get(&app, &path).await;
    assert_eq!(status, 410);
    assert!(html.contains("Already submitted"), "{html}");
    assert_eq!(
        send_photo(&app, &path, "face", &fixture("face.jpg")).await,
        (410, json!({"error": "submitted"}))
    );
    let again = app
        .client
        .post(format!("{}{path}/submit", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 410);

    let (session, path) = capture_session(&app, &tenant, json!({})).await;
    let deleted = app
        .signed(Method::DELETE, &tenant, &format!("/v1/sessions/{session}"), &session)
        .await;
    assert_eq!(deleted.status, 200);
    assert_eq!(get(&app, &path).await.0, 404, "a deleted session's link opens nothing");
}

#[tokio::test]
async fn a_session_past_its_lifetime_takes_no_photo_even_before_it_is_marked_expired() {
    let Some(app) = spawn_app_with(&["--session-lifetime", "1s"]).await else {
        return;
    };
    let tenant = app.tenant().await;
    let (_, path) = capture_session(&app, &tenant, json!({})).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _, html) = get(&app, &path).await;
    assert_eq!(status, 410, "{html}");
    assert!(html.contains("This link has expired"), "{html}");
    assert_eq!(
        send_photo(&app, &path, "face", &fixture("face.jpg")).await,
        (410, json!({"error": "expired"}))
    );
}

#[tokio::test]
async fn a_photo_too_large_or_not_a_photo_or_of_another_step_gets_its_answer() {
    let Some(app) = spawn_app_with(&["--max-body-bytes", "200000"]).await else {
        return;
    };
    let tenant = app.tenant().await;
    let (_, path) = capture_session(&app, &tenant, json!({})).await;
    assert_eq!(
        send_photo(&app, &path, "face", &vec![0xff; 300_000]).await,
        (413, json!({"error": "too-large"}))
    );
    assert_eq!(
        send_photo(&app, &path, "face", b"hello, not a photo").await,
        (422, json!({"error": "not-an-image"}))
    );
    assert_eq!(
        send_photo(&app, &path, "selfid_video", &fixture("face.jpg")).await.0,
        404
    );
    assert_eq!(send_photo(&app, &path, "face", &fixture("face.jpg")).await.0, 201);
}

#[tokio::test]
async fn the_page_speaks_the_language_asked_for_when_there_is_a_file_for_it() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let (_, path) = capture_session(&app, &tenant, json!({})).await;
    let (status, _, html) = get(&app, &format!("{path}?lang=de")).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<html lang="de">"#), "{html}");
    assert!(html.contains("<title>Identität bestätigen</title>"), "{html}");
    let flow: Value = app
        .client
        .get(format!("{}{path}/flow", app.base))
        .header("accept-language", "de-AT, en;q=0.5")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(flow["lang"], "de");
    assert_eq!(
        flow["strings"]["hint.too-dark"],
        "Zu dunkel. Gehen Sie an einen helleren Ort."
    );
    let (_, _, html) = get(&app, &format!("{path}?lang=xx")).await;
    assert!(
        html.contains(r#"<html lang="en">"#),
        "an unknown language falls back to English"
    );
}

#[tokio::test]
async fn a_page_on_an_allowed_origin_may_create_a_session_from_the_browser_and_no_other_may() {
    let Some(app) = spawn_app_with(&["--allowed-origins", "https://shop.example"]).await else {
        return;
    };
    let tenant = app.tenant().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, format!("{}/v1/sessions", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type,x-auth-client,x-origin")
            .send()
    };
    let allowed = preflight("https://shop.example").await.unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://shop.example");
    let headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    for name in ["x-auth-client", "x-origin", "content-type"] {
        assert!(headers.contains(name), "{headers}");
    }
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    // What @veriff/js-sdk sends: the API key, no signature.
    let body = json!({"verification": {"person": {"firstName": "Ada", "lastName": "L"}, "vendorData": "cart-7",
                                       "timestamp": "2026-12-01T10:00:00.000Z"}});
    let created = app
        .client
        .post(format!("{}/v1/sessions", app.base))
        .header("origin", "https://shop.example")
        .header("content-type", "application/json")
        .header("x-auth-client", &tenant.api_key)
        .header("x-origin", "js-sdk")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["access-control-allow-origin"], "https://shop.example");
    let refused = app
        .client
        .post(format!("{}/v1/sessions", app.base))
        .header("origin", "https://shop.example")
        .header("x-auth-client", "not-a-key")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["access-control-allow-origin"],
        "https://shop.example",
        "the browser may read why"
    );
}

#[tokio::test]
async fn no_other_endpoint_is_opened_to_an_allowed_origin() {
    let Some(app) = spawn_app_with(&["--allowed-origins", "https://shop.example"]).await else {
        return;
    };
    let reply = app
        .client
        .request(Method::OPTIONS, format!("{}/v1/sessions/x/media", app.base))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(reply.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_link_used_too_often_is_told_to_wait_and_another_link_is_not() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let (_, path) = capture_session(&app, &tenant, json!({})).await;
    let (_, other) = capture_session(&app, &tenant, json!({})).await;
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let (status, body) = send_photo(&app, &path, "face", b"not a photo").await;
        if status == 429 {
            assert_eq!(body, json!({"error": "busy"}));
        }
        statuses.push(status);
    }
    assert!(statuses[..30].iter().all(|s| *s == 422), "{statuses:?}");
    assert!(statuses[30..].iter().all(|s| *s == 429), "{statuses:?}");
    let limited = app
        .client
        .post(format!("{}{path}/submit", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    let wait: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    assert_eq!(send_photo(&app, &other, "face", b"not a photo").await.0, 422);
}
