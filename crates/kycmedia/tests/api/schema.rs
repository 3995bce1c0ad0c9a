//! Each table's row type names every column the migrated database has
//! (`kycmedia::store::Columns`, declared once with the struct): a column a
//! migration adds but the struct lacks would be neither read nor copied by
//! `migrate-db`, and one the struct has but no migration adds fails every
//! statement.

use kycmedia::store::{
    Assignment, Attempt, AuditHead, AuditRecord, Columns, ConsoleSession, Decision, Evidence, Integration, Media,
    ObjectKey, RequestNonce, Reviewer, ReviewerIntegration, Secret, Session, Webhook, WebhookAttempt,
};

use crate::helpers::{Backend, spawn_app};

const TABLES: [(&str, &str); 17] = [
    (Reviewer::NAME, Reviewer::COLUMNS),
    (ReviewerIntegration::NAME, ReviewerIntegration::COLUMNS),
    (ConsoleSession::NAME, ConsoleSession::COLUMNS),
    (Assignment::NAME, Assignment::COLUMNS),
    (Integration::NAME, Integration::COLUMNS),
    (Secret::NAME, Secret::COLUMNS),
    (Session::NAME, Session::COLUMNS),
    (Attempt::NAME, Attempt::COLUMNS),
    (Media::NAME, Media::COLUMNS),
    (ObjectKey::NAME, ObjectKey::COLUMNS),
    (AuditRecord::NAME, AuditRecord::COLUMNS),
    (AuditHead::NAME, AuditHead::COLUMNS),
    (RequestNonce::NAME, RequestNonce::COLUMNS),
    (Evidence::NAME, Evidence::COLUMNS),
    (Decision::NAME, Decision::COLUMNS),
    (Webhook::NAME, Webhook::COLUMNS),
    (WebhookAttempt::NAME, WebhookAttempt::COLUMNS),
];

pub fn sorted(columns: &str) -> Vec<String> {
    let mut names: Vec<String> = columns.split(", ").map(str::to_owned).collect();
    names.sort();
    names
}

/// The names one query lists for `table`, sorted, on whichever pool type
/// the backend has.
pub async fn names(database: &str, sql: &'static str, table: &str) -> Vec<String> {
    macro_rules! fetch {
        ($pool:ty) => {{
            let pool = <$pool>::connect(database).await.unwrap();
            let found: Vec<String> = sqlx::query_scalar(sql).bind(table).fetch_all(&pool).await.unwrap();
            pool.close().await;
            found
        }};
    }
    let mut found = match crate::BACKEND {
        Backend::Sqlite => fetch!(sqlx::SqlitePool),
        Backend::Postgres => fetch!(sqlx::PgPool),
    };
    found.sort();
    found
}

#[tokio::test]
async fn every_column_of_each_table_is_a_field_of_its_row_type() {
    let Some(app) = spawn_app().await else { return };
    let sql = match crate::BACKEND {
        Backend::Sqlite => "SELECT name FROM pragma_table_info($1)",
        Backend::Postgres => {
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    for (table, columns) in TABLES {
        assert_eq!(
            names(&app.place.database, sql, table).await,
            sorted(columns),
            "the columns of {table}"
        );
    }
}

/// The statements of an installation from before the evidence moved into a
/// table of its own: one tenant, session, attempt and analysed media row.
const OLD_ROWS: [&str; 5] = [
    "INSERT INTO integrations (id, name, api_key, active, created_at)
     VALUES ('11111111-1111-4111-8111-111111111111', 'old', '22222222-2222-4222-8222-222222222222', TRUE, 1)",
    "INSERT INTO integration_secrets (integration_id, secret, created_at, seq)
     VALUES ('11111111-1111-4111-8111-111111111111', 'old-secret', 1, 1)",
    "INSERT INTO sessions (id, integration_id, status, session_token, created_at)
     VALUES ('33333333-3333-4333-8333-333333333333', '11111111-1111-4111-8111-111111111111', 'submitted', 't', 1)",
    "INSERT INTO attempts (id, session_id, status, created_at, seq)
     VALUES ('44444444-4444-4444-8444-444444444444', '33333333-3333-4333-8333-333333333333', 'submitted', 1, 1)",
    "INSERT INTO media (id, attempt_id, session_id, integration_id, kind, context, mimetype, size,
         accuracy, quality, blob_key, created_at, matches, score, evidence)
     VALUES ('55555555-5555-4555-8555-555555555555', '44444444-4444-4444-8444-444444444444',
         '33333333-3333-4333-8333-333333333333', '11111111-1111-4111-8111-111111111111',
         'image', 'face', 'image/jpeg', 3, 0.9, 0.8, 'k', 1, TRUE, 0.75, '{\"family\":\"face\",\"kept\":true}')",
];

#[tokio::test]
async fn an_installation_from_before_the_evidence_table_is_migrated_with_its_evidence() {
    let Some(place) = crate::helpers::Place::fresh().await else {
        return;
    };
    let backend = match crate::BACKEND {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    // The repository's own migrations up to the one that moved the evidence.
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut names: Vec<String> = std::fs::read_dir(&all)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let earlier = tempfile::tempdir().unwrap();
    for name in names.into_iter().take_while(|name| !name.contains("evidence_table")) {
        std::fs::copy(all.join(&name), earlier.path().join(name)).unwrap();
    }
    let migrator = sqlx::migrate::Migrator::new(earlier.path()).await.unwrap();
    macro_rules! set_up {
        ($pool:ty, $options:expr) => {{
            let pool = <$pool>::connect_with($options).await.unwrap();
            migrator.run(&pool).await.unwrap();
            for statement in OLD_ROWS {
                sqlx::query(statement).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }};
    }
    match crate::BACKEND {
        Backend::Sqlite => set_up!(
            sqlx::SqlitePool,
            <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&place.database)
                .unwrap()
                .create_if_missing(true)
        ),
        Backend::Postgres => set_up!(
            sqlx::PgPool,
            <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(&place.database).unwrap()
        ),
    }

    // From before encryption too: served as it is (`encryption.rs` seals one).
    let app = crate::helpers::spawn_app_in(place, &["--insecure-plaintext"]).await;
    let tenant = crate::helpers::Tenant {
        api_key: "22222222-2222-4222-8222-222222222222".to_owned(),
        secret: "old-secret".to_owned(),
    };
    let media = "55555555-5555-4555-8555-555555555555";
    let analysis = app
        .signed(
            reqwest::Method::GET,
            &tenant,
            &format!("/kycmedia/v1/media/{media}/analysis"),
            media,
        )
        .await;
    assert_eq!(analysis.status, 200);
    assert_eq!(
        analysis.json()["media"]["evidence"],
        serde_json::json!({"family": "face", "kept": true})
    );
    let list = app
        .attempt_media(&tenant, "44444444-4444-4444-8444-444444444444")
        .await
        .json();
    assert_eq!(list["images"][0]["id"], media);
}
