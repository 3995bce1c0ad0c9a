//! The store's guarded SQL against the one state machine
//! (`kycmedia_proto::transitions`): every status, every event, through the
//! real server and database. A status the API cannot reach (`review`,
//! `expired`, …) is set behind the server's back first.

use kycmedia_proto::{Status, transitions::Event};
use serde_json::json;

use crate::helpers::{Backend, Tenant, TestApp, fixture, spawn_app};

/// Sets a session's status directly in the database.
async fn force_status(app: &TestApp, session: &str, status: Status) {
    let sql = "UPDATE sessions SET status = $1 WHERE id = $2";
    // The same statement on whichever pool type the backend has.
    macro_rules! update {
        ($pool:ty) => {{
            let pool = <$pool>::connect(&app.place.database).await.unwrap();
            let done = sqlx::query(sql)
                .bind(status.as_str())
                .bind(session)
                .execute(&pool)
                .await;
            pool.close().await;
            done.unwrap().rows_affected()
        }};
    }
    let touched = match crate::BACKEND {
        Backend::Sqlite => update!(sqlx::SqlitePool),
        Backend::Postgres => update!(sqlx::PgPool),
    };
    assert_eq!(touched, 1);
}

async fn status_of(app: &TestApp, tenant: &Tenant, session: &str) -> Status {
    let store = app.core.store.as_ref();
    let integration = store.integration_by_key(&tenant.api_key).await.unwrap().unwrap();
    store
        .session(&integration.integration.id, &session.into())
        .await
        .unwrap()
        .unwrap()
        .status
}

#[tokio::test]
async fn every_status_takes_exactly_the_events_the_state_machine_allows() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let face = fixture("face.jpg");
    let mut checked = 0;
    for &from in Status::ALL {
        for event in [
            Event::Upload,
            Event::Submit,
            Event::Decide(Status::Approved),
            Event::Decide(Status::Review),
            Event::Expire,
        ] {
            let session = app.create_session(&tenant, json!({})).await;
            force_status(&app, &session, from).await;
            let allowed = match event {
                Event::Upload => app.upload(&tenant, &session, "image", "face", &face).await.status == 201,
                Event::Submit => app.submit(&tenant, &session).await.status == 200,
                Event::Expire => app
                    .core
                    .store
                    .expire(&session.as_str().into(), &kycmedia::ids::AttemptId::random(), 0)
                    .await
                    .unwrap()
                    .is_some(),
                Event::Decide(decision) => app
                    .core
                    .store
                    .decide(
                        &session.as_str().into(),
                        &kycmedia::store::Verdict::of(decision, None),
                        0,
                    )
                    .await
                    .is_ok(),
            };
            let expected = from.after(event);
            assert_eq!(allowed, expected.is_some(), "{event:?} in {from}");
            let now = status_of(&app, &tenant, &session).await;
            assert_eq!(
                now,
                expected.unwrap_or(from),
                "{event:?} in {from} left the session {now}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, Status::ALL.len() * 5);
}
