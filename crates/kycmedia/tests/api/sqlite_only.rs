//! What only the embedded backend has: one server per SQLite file.

use kycmedia::store::{Columns, Media};

use crate::{
    helpers::spawn_app,
    schema::{names, sorted},
};

/// The ranked list is answered from one covering index (migration 0003),
/// so a new media column needs the index rebuilt with it.
#[tokio::test]
async fn the_ranked_list_index_holds_every_media_column() {
    let Some(app) = spawn_app().await else { return };
    let indexed = names(
        &app.place.database,
        "SELECT name FROM pragma_index_info($1)",
        "media_attempt_rank",
    )
    .await;
    assert_eq!(indexed, sorted(Media::COLUMNS));
}

#[tokio::test]
async fn a_second_server_on_the_same_sqlite_database_refuses_to_start() {
    let Some(app) = spawn_app().await else { return };
    let database = app.place.database.clone();
    let out = crate::helpers::binary()
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &database])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("another kycmedia server is serving this database"),
        "{stderr}"
    );
    // Commands that are not servers still work beside it.
    let listed = crate::helpers::binary()
        .args(["integration", "list", "--database", &database])
        .output()
        .unwrap();
    assert!(listed.status.success());
}

#[tokio::test]
async fn uploaded_media_are_stored_in_private_files_and_directories() {
    use std::os::unix::fs::PermissionsExt;
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, serde_json::json!({})).await;
    app.upload_ok(&tenant, &session, "image", "face", &crate::helpers::fixture("face.jpg"))
        .await;
    let root = std::path::PathBuf::from(app.place.storage.strip_prefix("file://").unwrap());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&root), 0o700);
    let mut files = 0;
    for tenant_dir in std::fs::read_dir(&root).unwrap() {
        let tenant_dir = tenant_dir.unwrap().path();
        assert_eq!(mode(&tenant_dir), 0o700, "{}", tenant_dir.display());
        for file in std::fs::read_dir(&tenant_dir).unwrap() {
            let file = file.unwrap().path();
            assert_eq!(mode(&file), 0o600, "{}", file.display());
            files += 1;
        }
    }
    assert_eq!(files, 1);
}

/// `kycmedia serve` as a process of its own, delivering to this machine.
fn serve(place: &crate::helpers::Place) -> std::process::Child {
    crate::helpers::binary()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(place.serve_args())
        .args([
            "--webhook-allow-http",
            "--webhook-allow-private",
            "--webhook-retry-schedule",
            "1s*5",
        ])
        .env_remove("KYCMEDIA_CONFIG")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn a_server_killed_mid_delivery_leaves_its_webhooks_to_the_next_which_sends_them_in_order() {
    use std::time::Duration;

    use kycmedia::{
        admin,
        ids::{AttemptId, SessionId, now_ms},
        store::Session,
    };
    use kycmedia_proto::Status;

    use crate::receiver::{Answer, Receiver};

    // Two committed changes, written before any server runs: a submit and
    // its decision, each with its webhook in the outbox.
    let place = crate::helpers::Place::sqlite();
    let keys = kycmedia::keys::KeyRing::load(&place.master_key_file).unwrap();
    let store = kycmedia::store::connect(&place.database, 1, Some(std::sync::Arc::new(keys)))
        .await
        .unwrap();
    let created = admin::create_integration(store.as_ref(), "killed").await.unwrap();
    let receiver = Receiver::start().await;
    receiver.answer([Answer::Hang]);
    let url = format!("{}/hooks", receiver.base);
    admin::set_webhooks(store.as_ref(), &created.integration.api_key, Some(&url), Some(&url))
        .await
        .unwrap();
    let session = Session {
        id: SessionId::random(),
        integration_id: created.integration.id.clone(),
        status: Status::Created,
        vendor_data: None,
        end_user_id: None,
        callback: None,
        session_token: "t".to_owned(),
        auto_decision: None,
        created_at: now_ms(),
    };
    store.create_session(&session).await.unwrap();
    store
        .submit(&session.integration_id, &session.id, &AttemptId::random(), now_ms())
        .await
        .unwrap();
    admin::decide(store.as_ref(), &session.id, Status::Approved, None)
        .await
        .unwrap();
    drop(store);

    // The first server takes the submitted event and is killed while the
    // receiver holds the request open.
    let mut first = serve(&place);
    receiver.wait_for(1, Duration::from_secs(15)).await;
    first.kill().unwrap();
    first.wait().unwrap();

    // The next sends it again once the dead server's lease runs out, and
    // the decision only after it.
    let mut next = serve(&place);
    let got = receiver.wait_for(3, Duration::from_secs(40)).await;
    next.kill().unwrap();
    next.wait().unwrap();
    let actions: Vec<serde_json::Value> = got
        .iter()
        .map(|r| {
            r.json()
                .get("action")
                .cloned()
                .unwrap_or_else(|| r.json()["verification"]["status"].clone())
        })
        .collect();
    assert_eq!(actions, ["submitted", "submitted", "approved"]);
    assert_eq!(
        got[0].header("x-kycmedia-webhook-id"),
        got[1].header("x-kycmedia-webhook-id")
    );
}

/// A deleted session's words do not linger in the database file's free
/// pages, where anyone with a copy of the file could read them back.
#[tokio::test]
async fn a_deleted_sessions_data_is_not_left_readable_in_the_database_file() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let marker = "vendor-data-that-must-go-7f3a9c";
    let session = app
        .create_session(&tenant, serde_json::json!({"vendorData": marker}))
        .await;
    let path = format!("/v1/sessions/{session}");
    let deleted = app.signed(reqwest::Method::DELETE, &tenant, &path, &session).await;
    assert_eq!(deleted.status, 200);
    let place = app.stop().await;
    let file = place.database.strip_prefix("sqlite://").unwrap().to_owned();
    for name in [file.clone(), format!("{file}-wal"), format!("{file}-journal")] {
        let Ok(bytes) = std::fs::read(&name) else { continue };
        let found = bytes.windows(marker.len()).any(|w| w == marker.as_bytes());
        assert!(!found, "the deleted session's vendorData is still in {name}");
    }
}
