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
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kycmedia"))
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
    let listed = std::process::Command::new(env!("CARGO_BIN_EXE_kycmedia"))
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
