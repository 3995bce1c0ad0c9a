//! What only the embedded backend has: one server per SQLite file.

use crate::helpers::spawn_app;

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
