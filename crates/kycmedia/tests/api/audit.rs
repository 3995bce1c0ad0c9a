//! The access audit trail, on the binary's backend: one row per access,
//! with who, what, from where and the outcome; rows that outlive their
//! session; a chain that catches a deleted or altered row.

use kycmedia::store::{AuditFilter, AuditRecord};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, Tenant, TestApp, fixture, spawn_app};

async fn rows(app: &TestApp) -> Vec<AuditRecord> {
    app.core.audit.flush().await;
    app.core
        .store
        .audit_records(&AuditFilter::default(), 0, 10_000)
        .await
        .unwrap()
}

/// Runs a raw statement on the test's database, as someone with write
/// access to it (and nothing else) could.
async fn tamper(database: &str, statement: &'static str) {
    macro_rules! run {
        ($pool:ty) => {{
            let pool = <$pool>::connect(database).await.unwrap();
            sqlx::query(statement).execute(&pool).await.unwrap();
            pool.close().await;
        }};
    }
    match crate::BACKEND {
        Backend::Sqlite => run!(sqlx::SqlitePool),
        Backend::Postgres => run!(sqlx::PgPool),
    }
}

fn kycmedia(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let out = crate::helpers::binary()
        .args(args)
        .env("KYCMEDIA_DATABASE", &app.place.database)
        .output()
        .expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A row's action, status, session, media and secret index.
type Seen = (String, i64, Option<String>, Option<String>, Option<i64>);

#[tokio::test]
async fn every_request_leaves_one_row_naming_who_what_from_where_and_the_outcome() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let media = app
        .upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    let reply = app
        .signed(Method::GET, &tenant, &format!("/v1/sessions/{session}/media"), &session)
        .await;
    assert_eq!(reply.status, 200);
    // Signed with the older of two secrets: the row says which.
    let newer = kycmedia::admin::add_secret(app.core.store.as_ref(), &tenant.api_key)
        .await
        .unwrap();
    assert!(newer["sharedSecret"].is_string());
    // Integrations are cached for 500 ms (AGENTS.md): past that, the new
    // secret is known, and the old one is index 1.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let reply = app
        .signed(Method::GET, &tenant, &format!("/v1/media/{media}"), &media)
        .await;
    assert_eq!(reply.status, 200);
    let unknown = "8a0b5d43-5a4b-4b8e-9d0c-2f6f1e3c9a11";
    let reply = app
        .signed(Method::GET, &tenant, &format!("/v1/media/{unknown}"), unknown)
        .await;
    assert_eq!(reply.status, 404);
    // Refused before it is known whose it is: the log has it, the trail not.
    let wrong = Tenant {
        api_key: tenant.api_key.clone(),
        secret: "not-the-secret".to_owned(),
    };
    let reply = app
        .signed(Method::GET, &wrong, &format!("/v1/media/{media}"), &media)
        .await;
    assert_eq!(reply.status, 401);

    let rows = rows(&app).await;
    let shown: Vec<Seen> = rows
        .iter()
        .map(|r| {
            (
                r.action.clone(),
                r.status,
                r.session_id.as_ref().map(ToString::to_string),
                r.media_id.as_ref().map(ToString::to_string),
                r.secret_index,
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            (
                "POST /v1/sessions".to_owned(),
                201,
                Some(session.clone()),
                None,
                Some(0)
            ),
            (
                "POST /v1/sessions/{id}/media".to_owned(),
                201,
                Some(session.clone()),
                Some(media.clone()),
                Some(0)
            ),
            (
                "GET /v1/sessions/{id}/media".to_owned(),
                200,
                Some(session.clone()),
                None,
                Some(0)
            ),
            ("GET /v1/media/{id}".to_owned(), 200, None, Some(media.clone()), Some(1)),
            (
                "GET /v1/media/{id}".to_owned(),
                404,
                None,
                Some(unknown.to_owned()),
                Some(1)
            ),
        ]
    );
    let integration = app
        .core
        .store
        .integration_by_key(&tenant.api_key)
        .await
        .unwrap()
        .unwrap()
        .integration
        .id;
    for (n, row) in rows.iter().enumerate() {
        assert_eq!(row.seq, n as i64 + 1);
        assert_eq!(row.actor, "integration");
        assert_eq!(row.integration_id.as_ref(), Some(&integration));
        assert_eq!(row.client.as_deref(), Some("127.0.0.1"));
    }
    assert!(rows[1].attempt_id.is_some(), "an upload names its attempt");
}

#[tokio::test]
async fn a_sessions_rows_outlive_its_deletion_and_hold_no_personal_data() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app
        .create_session(&tenant, json!({ "vendorData": "person-4711", "endUserId": null }))
        .await;
    app.upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    let reply = app
        .signed(Method::DELETE, &tenant, &format!("/v1/sessions/{session}"), &session)
        .await;
    assert_eq!(reply.status, 200);
    app.core.audit.flush().await;

    let (ok, out, err) = kycmedia(&app, &["audit", "--session", &session, "--json"]);
    assert!(ok, "{err}");
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let actions: Vec<&str> = lines.iter().map(|l| l["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "POST /v1/sessions",
            "POST /v1/sessions/{id}/media",
            "DELETE /v1/sessions/{id}"
        ]
    );
    assert!(lines.iter().all(|l| l["sessionId"] == session.as_str()));
    assert!(!out.contains("person-4711"), "{out}");
    // The text form too, with the time filter.
    let (ok, text, _) = kycmedia(&app, &["audit", "--since", "2000-01-01T00:00:00Z"]);
    assert!(ok);
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.contains("DELETE /v1/sessions/{id}"));
}

#[tokio::test]
async fn audit_verify_holds_on_the_chain_and_names_a_deleted_or_altered_row() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    for _ in 0..4 {
        app.create_session(&tenant, json!({})).await;
    }
    let session = app.create_session(&tenant, json!({})).await;
    app.core.audit.flush().await;
    // A command's row, appended by the command itself.
    let (ok, _, err) = kycmedia(&app, &["decide", &session, "review"]);
    assert!(!ok, "an unsubmitted session cannot be decided");
    assert!(err.contains("error"), "{err}");
    let (ok, _, err) = kycmedia(&app, &["integration", "add-secret", &tenant.api_key]);
    assert!(ok, "{err}");

    let (ok, out, err) = kycmedia(&app, &["audit", "verify"]);
    assert!(ok, "{err}");
    let verdict: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(verdict["rows"], 6, "{verdict}");
    assert_eq!(verdict["head"].as_str().unwrap().len(), 64);
    let (_, all, _) = kycmedia(&app, &["audit", "--json"]);
    let last: Value = serde_json::from_str(all.lines().last().unwrap()).unwrap();
    assert_eq!(last["actor"], "operator");
    assert_eq!(last["action"], "kycmedia integration add-secret");

    tamper(&app.place.database, "UPDATE audit_log SET status = 200 WHERE seq = 3").await;
    let (ok, out, err) = kycmedia(&app, &["audit", "verify"]);
    assert!(!ok);
    assert!(err.contains("row 3 was altered"), "{err}");
    assert!(out.contains(r#""brokenAt":3"#), "{out}");

    tamper(&app.place.database, "UPDATE audit_log SET status = 201 WHERE seq = 3").await;
    tamper(&app.place.database, "DELETE FROM audit_log WHERE seq = 2").await;
    let (ok, _, err) = kycmedia(&app, &["audit", "verify"]);
    assert!(!ok);
    assert!(err.contains("row 2 is missing"), "{err}");
}

#[tokio::test]
async fn identical_accesses_in_one_write_are_one_row_that_counts_them_all() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let path = format!("/v1/sessions/{session}/attempts");
    let polls: Vec<_> = (0..64)
        .map(|_| app.signed(Method::GET, &tenant, &path, &session))
        .collect();
    for reply in futures::future::join_all(polls).await {
        assert_eq!(reply.status, 200);
    }
    let polled: Vec<AuditRecord> = rows(&app)
        .await
        .into_iter()
        .filter(|r| r.action == "GET /v1/sessions/{id}/attempts")
        .collect();
    assert_eq!(
        polled.iter().map(|r| r.count).sum::<i64>(),
        64,
        "every access is counted"
    );
    assert!(polled.len() <= 64);
    for row in &polled {
        assert!(row.last_at >= row.at);
    }
    let (ok, out, err) = kycmedia(&app, &["audit", "verify"]);
    assert!(ok, "{err}{out}");
}
