//! `migrate-db` and `migrate-store`, run as the operator runs them (the real
//! binary), on an installation built through the API: after the move the new
//! backend answers every read with the very bytes the old one did.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::Arc,
};

use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{Place, Tenant, TestApp, fixture, spawn_app_in},
    services::services,
};

const PUBLIC: [&str; 2] = ["--public-url", "https://media.example.test"];

/// What an installation answers: (tenant, path, id signed) → status and body.
struct Snapshot {
    reads: Vec<(Tenant, String, String)>,
    answers: Vec<(u16, Vec<u8>)>,
}

/// Builds an installation through the API: two tenants, `sessions` sessions
/// of `per_session` uploads (photos, PDFs and videos), most submitted, one
/// decided, one deleted.
async fn build(app: &TestApp, sessions: usize, per_session: usize) -> Snapshot {
    let uploads = [
        ("image", "face", "face-dark.jpg"),
        ("video", "selfid_video", "selfid.mp4"),
        ("image", "document-front", "page.pdf"),
        ("video", "selfid_video", "selfid.webm"),
        ("image", "face", "face-blurred.jpg"),
    ];
    let tenants = [app.tenant().await, app.tenant().await];
    let built: Vec<(Tenant, String)> = futures::stream::iter(0..sessions)
        .map(|n| {
            let tenant = tenants[n % 2].clone();
            async move {
                let session = app
                    .create_session(&tenant, json!({"vendorData": format!("case-{n}")}))
                    .await;
                for i in 0..per_session {
                    let (key, context, file) = uploads[(n + i) % uploads.len()];
                    app.upload_ok(&tenant, &session, key, context, &fixture(file)).await;
                }
                if n % 3 != 0 {
                    assert_eq!(app.submit(&tenant, &session).await.status, 200);
                }
                (tenant, session)
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let (gone_tenant, gone) = &built[0];
    let deleted = app
        .signed(Method::DELETE, gone_tenant, &format!("/v1/sessions/{gone}"), gone)
        .await;
    assert_eq!(deleted.status, 200);

    let mut reads = Vec::new();
    for (tenant, session) in &built {
        reads.push((
            tenant.clone(),
            format!("/v1/sessions/{session}/attempts"),
            session.clone(),
        ));
        reads.push((tenant.clone(), format!("/v1/sessions/{session}/media"), session.clone()));
        if session == gone {
            continue;
        }
        for attempt in app.attempts(tenant, session).await {
            let attempt = attempt["id"].as_str().unwrap().to_owned();
            reads.push((tenant.clone(), format!("/v1/attempts/{attempt}/media"), attempt.clone()));
            reads.push((
                tenant.clone(),
                format!("/kycmedia/v1/attempts/{attempt}/analysis"),
                attempt.clone(),
            ));
            let list = app.attempt_media(tenant, &attempt).await.json();
            for kind in ["images", "videos"] {
                for media in list[kind].as_array().unwrap() {
                    let id = media["id"].as_str().unwrap().to_owned();
                    reads.push((tenant.clone(), format!("/v1/media/{id}"), id));
                }
            }
        }
    }
    let answers = answers(app, &reads).await;
    Snapshot { reads, answers }
}

async fn answers(app: &TestApp, reads: &[(Tenant, String, String)]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::with_capacity(reads.len());
    for (tenant, path, id) in reads {
        let reply = app.signed(Method::GET, tenant, path, id).await;
        out.push((reply.status, reply.body));
    }
    out
}

/// Every read answers as it did before the move: status and bytes.
async fn assert_serves(app: &TestApp, snapshot: &Snapshot) {
    let now = answers(app, &snapshot.reads).await;
    for ((_, path, _), (before, after)) in snapshot.reads.iter().zip(snapshot.answers.iter().zip(&now)) {
        assert_eq!(before.0, after.0, "{path}");
        assert!(before.1 == after.1, "{path} answers other bytes after the move");
    }
}

fn kycmedia(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kycmedia"));
    command.args(args);
    if let Some(services) = services() {
        command.envs(services.s3_env());
    }
    command
}

/// Runs a command to completion and returns its JSON report.
fn run(args: &[&str]) -> Value {
    let out = kycmedia(args).output().expect("the binary runs");
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

/// Starts a command and kills it (SIGKILL, no chance to tidy up) as soon as
/// it reports a line containing `marker` on stderr.
fn run_until_killed(args: &[&str], marker: &str) {
    let mut child = kycmedia(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let stderr = child.stderr.take().unwrap();
    let seen = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains(marker));
    assert!(seen, "the command never reported {marker:?}");
    child.kill().unwrap();
    assert!(!child.wait().unwrap().success(), "killed before it finished");
}

fn migrate_db(from: &Place, to: &Place, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["migrate-db", "--from", &from.database, "--to", &to.database];
    args.extend_from_slice(extra);
    args.into_iter().map(String::from).collect()
}

fn migrate_store(from: &Place, to: &Place, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["migrate-store", "--from", &from.storage, "--to", &to.storage];
    if let Some(endpoint) = &from.storage_endpoint {
        args.extend(["--from-endpoint", endpoint]);
    }
    if let Some(endpoint) = &to.storage_endpoint {
        args.extend(["--to-endpoint", endpoint]);
    }
    args.extend_from_slice(extra);
    args.into_iter().map(String::from).collect()
}

/// The line of `migrate-db`'s report for `table`.
fn table_report<'a>(report: &'a Value, table: &str) -> &'a Value {
    report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == table)
        .unwrap_or_else(|| panic!("no {table} in {report}"))
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Moves `from` to `to` with both commands; checks their reports.
fn migrate(from: &Place, to: &Place, media: u64) {
    let rows = run(&strs(&migrate_db(from, to, &[])));
    for table in rows["tables"].as_array().unwrap() {
        assert_eq!(table["rows"], table["verified"], "{table}");
    }
    assert_eq!(table_report(&rows, "media")["rows"], media);
    let objects = run(&strs(&migrate_store(from, to, &[])));
    assert_eq!(objects["objects"], media, "{objects}");
}

#[tokio::test]
async fn an_installation_moves_from_sqlite_and_files_to_postgres_and_s3_and_back_serving_the_same_bytes() {
    let Some(there) = Place::postgres().await else { return };
    let here = Place::sqlite();
    let app = spawn_app_in(here.clone(), &PUBLIC).await;
    let snapshot = build(&app, 31, 10).await;
    let media = 300; // 31 sessions of 10, one deleted
    app.stop().await;

    migrate(&here, &there, media);
    let moved = spawn_app_in(there.clone(), &PUBLIC).await;
    assert_serves(&moved, &snapshot).await;
    moved.stop().await;

    let back = Place::sqlite();
    migrate(&there, &back, media);
    let returned = spawn_app_in(back, &PUBLIC).await;
    assert_serves(&returned, &snapshot).await;
}

#[tokio::test]
async fn an_interrupted_migration_run_again_completes_it_and_loses_nothing() {
    let Some(there) = Place::postgres().await else { return };
    let here = Place::sqlite();
    let app = spawn_app_in(here.clone(), &PUBLIC).await;
    let snapshot = build(&app, 13, 6).await;
    let media = 72; // 13 sessions of 6, one deleted
    app.stop().await;

    // One row per transaction, killed as it starts on the sessions: the
    // integrations are there, the rest is not.
    run_until_killed(
        &strs(&migrate_db(&here, &there, &["--batch-size", "1"])),
        "rows: sessions",
    );
    let resumed = run(&strs(&migrate_db(&here, &there, &["--batch-size", "1"])));
    let tables = resumed["tables"].as_array().unwrap();
    assert_eq!(
        tables[0]["copied"], 0,
        "the integrations were copied before the kill: {resumed}"
    );
    assert_eq!(
        table_report(&resumed, "media")["copied"],
        media,
        "no media before the kill: {resumed}"
    );
    for table in tables {
        assert_eq!(table["rows"], table["verified"], "{table}");
    }

    // One object at a time, killed when it reports the first tenth (8 of 72).
    run_until_killed(
        &strs(&migrate_store(&here, &there, &["--concurrency", "1"])),
        "copying objects: 8 of 72",
    );
    let resumed = run(&strs(&migrate_store(&here, &there, &["--concurrency", "1"])));
    assert_eq!(resumed["objects"], media);
    let before = resumed["already_there"].as_u64().unwrap();
    assert!(before > 0 && before < media, "{resumed}");
    assert_eq!(resumed["copied"].as_u64().unwrap() + before, media);

    // A third run finds everything in place, verified, and copies nothing.
    let again = run(&strs(&migrate_store(&here, &there, &[])));
    assert_eq!(
        (again["copied"].as_u64(), again["already_there"].as_u64()),
        (Some(0), Some(media))
    );

    let moved = spawn_app_in(Arc::clone(&there), &PUBLIC).await;
    assert_serves(&moved, &snapshot).await;
}

#[tokio::test]
async fn a_migration_into_a_database_holding_other_rows_is_refused() {
    let Some(there) = Place::postgres().await else { return };
    let here = Place::sqlite();
    let app = spawn_app_in(here.clone(), &[]).await;
    app.tenant().await;
    app.stop().await;
    let other = spawn_app_in(there.clone(), &[]).await;
    other.tenant().await;
    other.tenant().await;
    other.stop().await;

    let out = kycmedia(&strs(&migrate_db(&here, &there, &[]))).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("migrate into an empty database"), "{stderr}");
}

#[tokio::test]
async fn a_destination_changed_after_the_copy_fails_verification_and_a_corrupted_object_is_copied_again() {
    let Some(there) = Place::postgres().await else { return };
    let here = Place::sqlite();
    let app = spawn_app_in(here.clone(), &[]).await;
    build(&app, 2, 2).await;
    app.stop().await;
    migrate(&here, &there, 2); // 2 sessions of 2, one deleted

    // A row edited at the destination: nothing is left to copy, and the
    // comparison names the table.
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&there.database)
        .await
        .unwrap();
    sqlx::query("UPDATE sessions SET vendor_data = 'edited'")
        .execute(&mut conn)
        .await
        .unwrap();
    let out = kycmedia(&strs(&migrate_db(&here, &there, &[]))).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("verification failed: sessions differs"), "{stderr}");

    // An object of the right size with other bytes is not taken for a copy.
    let server = spawn_app_in(there.clone(), &[]).await;
    let key = server.core.blobs.list().next().await.unwrap().unwrap().key;
    let size = server.core.blobs.size(&key).await.unwrap().unwrap();
    server
        .core
        .blobs
        .put(&key, bytes::Bytes::from(vec![0u8; size as usize]))
        .await
        .unwrap();
    let repaired = run(&strs(&migrate_store(&here, &there, &[])));
    assert_eq!(
        (repaired["copied"].as_u64(), repaired["already_there"].as_u64()),
        (Some(1), Some(1))
    );
}
