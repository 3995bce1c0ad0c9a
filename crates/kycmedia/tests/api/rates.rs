//! Rate limits per integration, per client address, and the provider's
//! limit on deletes: 429 with the contract's body and `Retry-After`.

use futures::future::join_all;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Reply, Tenant, TestApp, spawn_app_with};

/// An unsigned session creation, as the browser SDK sends one.
async fn create_unsigned(app: &TestApp, api_key: &str) -> Reply {
    app.send(
        Method::POST,
        "/v1/sessions",
        &[("X-AUTH-CLIENT", api_key)],
        Some(br#"{"verification":{}}"#.to_vec()),
    )
    .await
}

fn assert_told_to_wait(reply: &Reply) {
    reply.assert_error(429, "1101");
    assert_eq!(reply.json()["message"], "Too many requests");
    let wait: u64 = reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!(wait >= 1);
}

#[tokio::test]
async fn an_integration_over_its_rate_gets_429_with_retry_after_while_another_integration_goes_on() {
    let Some(app) = spawn_app_with(&["--integration-requests-per-second", "1"]).await else {
        return;
    };
    let (flooder, other): (Tenant, Tenant) = (app.tenant().await, app.tenant().await);
    let answers = join_all((0..10).map(|_| create_unsigned(&app, &flooder.api_key))).await;
    let created = answers.iter().filter(|r| r.status == 201).count();
    let refused: Vec<&Reply> = answers.iter().filter(|r| r.status == 429).collect();
    assert_eq!(created + refused.len(), 10, "every answer is a creation or a 429");
    assert!(!refused.is_empty(), "ten creations at once from a bucket of one");
    for reply in refused {
        assert_told_to_wait(reply);
    }
    assert_eq!(create_unsigned(&app, &other.api_key).await.status, 201);
}

#[tokio::test]
async fn an_address_over_its_rate_gets_429_whatever_key_it_sends() {
    let Some(app) = spawn_app_with(&["--address-requests-per-second", "1"]).await else {
        return;
    };
    let keys: Vec<String> = (0..10).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let answers = join_all(keys.iter().map(|key| create_unsigned(&app, key))).await;
    let refused: Vec<&Reply> = answers.iter().filter(|r| r.status == 429).collect();
    assert!(!refused.is_empty(), "ten made-up keys at once from one address");
    for reply in refused {
        assert_told_to_wait(reply);
    }
    assert!(answers.iter().all(|r| r.status == 429 || r.status == 401));
}

#[tokio::test]
async fn the_sixth_delete_of_an_integration_in_an_hour_gets_a_signed_429_as_on_the_provider() {
    let Some(app) = spawn_app_with(&["--session-deletes-per-hour", "5", "--session-deletes-per-day", "10"]).await
    else {
        return;
    };
    let tenant = app.tenant().await;
    let mut sessions = Vec::new();
    for _ in 0..6 {
        sessions.push(app.create_session(&tenant, json!({})).await);
    }
    for session in &sessions[..5] {
        let deleted = app
            .signed(Method::DELETE, &tenant, &format!("/v1/sessions/{session}"), session)
            .await;
        assert_eq!(deleted.status, 200);
    }
    let last = &sessions[5];
    let refused = app
        .signed(Method::DELETE, &tenant, &format!("/v1/sessions/{last}"), last)
        .await;
    assert_told_to_wait(&refused);
    refused.assert_signed(&tenant);
    let still_there = app
        .signed(Method::GET, &tenant, &format!("/v1/sessions/{last}/attempts"), last)
        .await;
    assert_eq!(still_there.status, 200, "the refused delete deleted nothing");
    let other = app.tenant().await;
    let theirs = app.create_session(&other, json!({})).await;
    let deleted = app
        .signed(Method::DELETE, &other, &format!("/v1/sessions/{theirs}"), &theirs)
        .await;
    assert_eq!(deleted.status, 200, "another integration has its own deletes");
}
