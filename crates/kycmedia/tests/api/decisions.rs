//! Decisions: `GET /v1/sessions/{id}/decision`, `kycmedia decide` with the
//! provider's reason codes, the resubmission cap, and the webhooks a change
//! writes to the outbox in its own transaction.

use kycmedia::admin;
use kycmedia_proto::Status;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, Tenant, TestApp, fixture, spawn_app};

async fn decision(app: &TestApp, tenant: &Tenant, session: &str) -> Value {
    let reply = app
        .signed(
            Method::GET,
            tenant,
            &format!("/v1/sessions/{session}/decision"),
            session,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    reply.assert_signed(tenant);
    reply.json()
}

/// A session with one uploaded face, submitted.
async fn submitted(app: &TestApp, tenant: &Tenant, verification: Value) -> String {
    let session = app.create_session(tenant, verification).await;
    app.upload_ok(tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    assert_eq!(app.submit(tenant, &session).await.status, 200);
    session
}

async fn decide(app: &TestApp, session: &str, status: Status, reason: Option<i64>) -> Result<Value, String> {
    admin::decide(app.core.store.as_ref(), &session.into(), status, reason)
        .await
        .map_err(|e| e.to_string())
}

/// The outbox rows of a session, in delivery order: (kind, url, body).
async fn outbox(app: &TestApp, session: &str) -> Vec<(String, String, Value)> {
    let sql = "SELECT kind, url, body FROM webhooks WHERE session_id = $1 ORDER BY seq";
    macro_rules! fetch {
        ($pool:ty) => {{
            let pool = <$pool>::connect(&app.place.database).await.unwrap();
            let rows: Vec<(String, String, String)> = sqlx::query_as(sql).bind(session).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        }};
    }
    let rows = match crate::BACKEND {
        Backend::Sqlite => fetch!(sqlx::SqlitePool),
        Backend::Postgres => fetch!(sqlx::PgPool),
    };
    rows.into_iter()
        .map(|(kind, url, body)| (kind, url, serde_json::from_str(&body).unwrap()))
        .collect()
}

#[tokio::test]
async fn the_decision_is_null_until_a_reviewer_decides_then_carries_code_reason_and_attempt() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = submitted(&app, &tenant, json!({"vendorData": "user-7", "endUserId": "e-1"})).await;
    let before = decision(&app, &tenant, &session).await;
    assert_eq!(
        before,
        json!({"status": "success", "verification": null, "technicalData": {"ip": null}})
    );

    decide(&app, &session, Status::Declined, Some(102)).await.unwrap();
    let after = decision(&app, &tenant, &session).await;
    let v = &after["verification"];
    assert_eq!(v["id"], session.as_str());
    assert_eq!(v["attemptId"], app.latest_attempt(&tenant, &session).await.as_str());
    assert_eq!(v["status"], "declined");
    assert_eq!(v["code"], 9102);
    assert_eq!(v["reasonCode"], 102);
    assert_eq!(v["reason"], "Suspected document tampering");
    assert_eq!(v["vendorData"], "user-7");
    assert_eq!(v["endUserId"], "e-1");
    for time in ["acceptanceTime", "submissionTime", "decisionTime"] {
        assert!(v[time].as_str().unwrap().ends_with('Z'), "{time}: {v}");
    }
    assert_eq!(v["person"]["firstName"], Value::Null);
    assert_eq!(v["document"]["type"], Value::Null);
    assert_eq!(v["comments"], json!([]));
    assert_eq!(v["additionalVerifiedData"], json!({}));
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "acceptanceTime",
            "submissionTime",
            "decisionTime",
            "code",
            "id",
            "vendorData",
            "endUserId",
            "status",
            "reason",
            "reasonCode",
            "attemptId",
            "person",
            "document",
            "comments",
            "additionalVerifiedData"
        ]
    );
}

#[tokio::test]
async fn another_integration_and_an_unknown_session_get_404() {
    let Some(app) = spawn_app().await else { return };
    let (tenant, other) = (app.tenant().await, app.tenant().await);
    let session = submitted(&app, &tenant, json!({})).await;
    let path = format!("/v1/sessions/{session}/decision");
    app.signed(Method::GET, &other, &path, &session)
        .await
        .assert_error(404, "1101");
    let unknown = uuid::Uuid::new_v4().to_string();
    app.signed(
        Method::GET,
        &tenant,
        &format!("/v1/sessions/{unknown}/decision"),
        &unknown,
    )
    .await
    .assert_error(404, "1101");
}

#[tokio::test]
async fn a_reason_code_must_come_from_the_decisions_table() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = submitted(&app, &tenant, json!({})).await;
    let refused = decide(&app, &session, Status::Declined, Some(204)).await.unwrap_err();
    assert!(
        refused.contains("reason code 204 does not go with declined"),
        "{refused}"
    );
    assert!(refused.contains("102"), "{refused}");
    assert!(decide(&app, &session, Status::Approved, Some(102)).await.is_err());
    assert!(decide(&app, &session, Status::Declined, Some(199)).await.is_err());
    assert_eq!(decision(&app, &tenant, &session).await["verification"], Value::Null);
    decide(&app, &session, Status::ResubmissionRequested, Some(204))
        .await
        .unwrap();
    assert_eq!(
        decision(&app, &tenant, &session).await["verification"]["reason"],
        "Poor image quality"
    );
}

#[tokio::test]
async fn review_is_a_decision_that_a_final_one_replaces() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = submitted(&app, &tenant, json!({})).await;
    decide(&app, &session, Status::Review, None).await.unwrap();
    let review = decision(&app, &tenant, &session).await;
    assert_eq!(review["verification"]["code"], 9121);
    assert!(
        decide(&app, &session, Status::Review, None).await.is_err(),
        "review twice"
    );
    decide(&app, &session, Status::Approved, None).await.unwrap();
    let approved = decision(&app, &tenant, &session).await;
    assert_eq!(approved["verification"]["status"], "approved");
    assert_eq!(approved["verification"]["code"], 9001);
    assert_eq!(approved["verification"]["reason"], Value::Null);
}

#[tokio::test]
async fn the_first_name_convention_records_a_decision_with_a_reason() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = submitted(&app, &tenant, json!({"person": {"firstName": "Decline"}})).await;
    let v = decision(&app, &tenant, &session).await["verification"].clone();
    assert_eq!(v["status"], "declined");
    assert_eq!(v["reasonCode"], 102);
    assert_eq!(v["submissionTime"], v["decisionTime"]);
}

#[tokio::test]
async fn the_tenth_attempt_is_declined_instead_of_sent_back_again() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let face = fixture("face.jpg");
    for attempt in 1..=10 {
        app.upload_ok(&tenant, &session, "image", "face", &face).await;
        assert_eq!(app.submit(&tenant, &session).await.status, 200);
        decide(&app, &session, Status::ResubmissionRequested, Some(204))
            .await
            .unwrap();
        let v = decision(&app, &tenant, &session).await["verification"].clone();
        if attempt < 10 {
            assert_eq!(v["status"], "resubmission_requested", "attempt {attempt}");
        } else {
            assert_eq!(v["status"], "declined");
            assert_eq!(v["reasonCode"], 539);
            assert_eq!(v["reason"], "Resubmission limit exceeded");
        }
    }
    app.upload(&tenant, &session, "image", "face", &face)
        .await
        .assert_error(409, "1101");
}

#[tokio::test]
async fn each_change_writes_its_webhook_to_the_outbox_in_order() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let store = app.core.store.as_ref();
    let (decisions, events) = ("https://hooks.example/decisions", "https://hooks.example/events");
    admin::set_webhooks(store, &tenant.api_key, Some(decisions), Some(events))
        .await
        .unwrap();
    let session = submitted(&app, &tenant, json!({"vendorData": "v"})).await;
    decide(&app, &session, Status::Approved, None).await.unwrap();
    let attempt = app.latest_attempt(&tenant, &session).await;
    let rows = outbox(&app, &session).await;
    let kinds: Vec<(&str, &str)> = rows.iter().map(|(k, u, _)| (k.as_str(), u.as_str())).collect();
    assert_eq!(kinds, [("event", events), ("event", events), ("decision", decisions)]);
    let event = |action: &str, code: u16| {
        json!({"id": session, "attemptId": attempt, "feature": "selfid", "code": code, "action": action,
               "vendorData": "v", "endUserId": null})
    };
    assert_eq!(rows[0].2, event("started", 7001));
    assert_eq!(rows[1].2, event("submitted", 7002));
    assert_eq!(
        rows[2].2["verification"],
        decision(&app, &tenant, &session).await["verification"]
    );

    // Without URLs nothing is written; an empty URL clears one.
    admin::set_webhooks(store, &tenant.api_key, Some(""), None)
        .await
        .unwrap();
    let quiet = submitted(&app, &tenant, json!({})).await;
    decide(&app, &quiet, Status::Approved, None).await.unwrap();
    let kinds: Vec<String> = outbox(&app, &quiet).await.into_iter().map(|(k, _, _)| k).collect();
    assert_eq!(kinds, ["event", "event"]);
    assert!(
        admin::set_webhooks(store, &tenant.api_key, Some("ftp://x"), None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_session_not_submitted_in_its_lifetime_ends_expired_or_abandoned_with_a_decision() {
    let Some(app) = crate::helpers::spawn_app_with(&["--session-lifetime", "1s"]).await else {
        return;
    };
    let tenant = app.tenant().await;
    admin::set_webhooks(
        app.core.store.as_ref(),
        &tenant.api_key,
        Some("https://hooks.example/decisions"),
        None,
    )
    .await
    .unwrap();
    let untouched = app.create_session(&tenant, json!({})).await;
    let begun = app.create_session(&tenant, json!({})).await;
    app.upload_ok(&tenant, &begun, "image", "face", &fixture("face.jpg"))
        .await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut ended = Vec::new();
    for session in [&untouched, &begun] {
        let verification = loop {
            let v = decision(&app, &tenant, session).await["verification"].clone();
            if !v.is_null() {
                break v;
            }
            assert!(tokio::time::Instant::now() < deadline, "{session} never ended");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        ended.push((verification["status"].clone(), verification["code"].clone()));
        let kinds: Vec<String> = outbox(&app, session).await.into_iter().map(|(k, _, _)| k).collect();
        assert_eq!(kinds, ["decision"], "{session}");
    }
    assert_eq!(
        ended,
        [(json!("expired"), json!(9104)), (json!("abandoned"), json!(9104))]
    );
    app.upload(&tenant, &untouched, "image", "face", &fixture("face.jpg"))
        .await
        .assert_error(409, "1101");
    app.submit(&tenant, &begun).await.assert_error(400, "1304");
}
