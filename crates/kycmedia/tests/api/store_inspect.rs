//! `store::inspect`, what `kycmedia doctor` will report: a database read
//! without being migrated or created, and the modes of what `serve` creates.
//!
//! Written for either backend (`crate::BACKEND`); the tests about SQLite's
//! file return early on PostgreSQL.

use std::{os::unix::fs::PermissionsExt, path::Path};

use kycmedia::{
    app::Application,
    store::{self, Reachability},
    testing,
};

use crate::helpers::{Backend, Place, spawn_app};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// The migration files of this binary's backend, as `sqlx::migrate!` embeds them.
fn migration_files() -> usize {
    let backend = match crate::BACKEND {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "sql"))
        .count()
}

fn sqlite_path(url: &str) -> &Path {
    Path::new(url.strip_prefix("sqlite://").expect("a sqlite:// URL"))
}

#[tokio::test]
async fn a_migrated_database_reports_every_migration_applied() {
    let Some(app) = spawn_app().await else { return };
    let found = store::inspect(&app.place.database, 2).await.unwrap();
    assert_eq!(found.reachability, Reachability::Reachable);
    let migrations = found.migrations.expect("a reachable database is read");
    assert_eq!(migrations.embedded.len(), migration_files());
    assert_eq!(migrations.applied, migrations.embedded);
    assert!(migrations.is_current(), "{migrations:?}");
    let n = migration_files();
    assert_eq!(migrations.summary(), format!("{n} of {n} migrations applied"));
    match crate::BACKEND {
        Backend::Sqlite => {
            let file = found.file.expect("SQLite has a file");
            assert_eq!(file.path, sqlite_path(&app.place.database));
            assert_eq!(file.mode, Some(0o600));
        }
        Backend::Postgres => assert_eq!(found.file, None),
    }
}

#[tokio::test]
async fn a_new_empty_database_reports_every_migration_pending_and_is_left_unmigrated() {
    let Some(place) = Place::fresh().await else { return };
    if crate::BACKEND == Backend::Sqlite {
        std::fs::File::create(sqlite_path(&place.database)).unwrap();
    }
    let found = store::inspect(&place.database, 2).await.unwrap();
    assert_eq!(found.reachability, Reachability::Reachable);
    let migrations = found.migrations.unwrap();
    assert!(migrations.applied.is_empty(), "{migrations:?}");
    assert_eq!(migrations.pending, migrations.embedded);
    assert!(migrations.summary().starts_with("0 of "), "{}", migrations.summary());
    assert!(
        migrations.summary().contains("0001_initial"),
        "{}",
        migrations.summary()
    );
    let again = store::inspect(&place.database, 2).await.unwrap();
    assert_eq!(again.migrations.unwrap().pending.len(), migrations.pending.len());
}

#[tokio::test]
async fn a_missing_sqlite_file_is_reported_missing_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    for path in [dir.path().join("kycmedia.db"), dir.path().join("absent/kycmedia.db")] {
        let url = format!("sqlite://{}", path.display());
        let found = store::inspect(&url, 2).await.unwrap();
        assert_eq!(found.reachability, Reachability::MissingFile);
        assert_eq!(found.file.as_ref().map(|f| (&f.path, f.mode)), Some((&path, None)));
        assert_eq!(found.migrations, None);
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing created");
}

#[tokio::test]
async fn an_unreachable_database_is_a_finding_with_its_password_redacted() {
    // Port 1 on loopback: nothing listens there.
    let url = "postgres://kycmedia:hunter2@127.0.0.1:1/kycmedia";
    let found = store::inspect(url, 2).await.expect("a finding, not an error");
    let Reachability::Unreachable(why) = &found.reachability else {
        panic!("{found:?}")
    };
    assert!(!why.is_empty());
    assert!(!format!("{found:?}").contains("hunter2"), "{found:?}");
    assert_eq!(found.url, "postgres://kycmedia:***@127.0.0.1:1/kycmedia");
    assert_eq!(found.migrations, None);
    assert!(store::inspect("mysql://kycmedia@localhost/kycmedia", 2).await.is_err());
}

#[tokio::test]
async fn a_migration_this_binary_does_not_know_is_reported_as_written_by_a_newer_kycmedia() {
    let Some(app) = spawn_app().await else { return };
    let place = app.stop().await;
    let insert = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from the future', TRUE, $1, 0)";
    let checksum = vec![0u8; 48];
    match crate::BACKEND {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&place.database).await.unwrap();
            sqlx::query(insert).bind(checksum).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&place.database).await.unwrap();
            sqlx::query(insert).bind(checksum).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
    let migrations = store::inspect(&place.database, 2).await.unwrap().migrations.unwrap();
    assert_eq!(migrations.unknown, vec![9999]);
    assert!(migrations.pending.is_empty());
    assert!(!migrations.is_current());
    assert!(
        migrations
            .summary()
            .ends_with("the database has migration 9999 this binary does not know (a newer kycmedia wrote it)"),
        "{}",
        migrations.summary()
    );
}

#[tokio::test]
async fn serve_in_a_fresh_folder_creates_its_directories_0700_and_its_files_0600() {
    if crate::BACKEND != Backend::Sqlite {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh/data");
    let database = format!("sqlite://{}", data.join("kycmedia.db").display());
    let storage = format!("file://{}", dir.path().join("media").display());
    let config = testing::serve_config(&[
        "--database".to_owned(),
        database.clone(),
        "--storage".to_owned(),
        storage,
        "--master-key-file".to_owned(),
        crate::helpers::master_key_file().display().to_string(),
    ]);
    let app = Application::build(&config)
        .await
        .expect("serve starts in a fresh folder");
    // A write, so that SQLite has made its -wal and -shm files.
    kycmedia::admin::create_integration(app.core().store.as_ref(), "modes")
        .await
        .unwrap();

    assert_eq!(mode(&dir.path().join("fresh")), 0o700);
    assert_eq!(mode(&data), 0o700);
    for file in [
        "kycmedia.db",
        "kycmedia.db-wal",
        "kycmedia.db-shm",
        "kycmedia.db.serve.lock",
    ] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    let found = store::inspect(&database, 2).await.unwrap();
    assert_eq!(found.file.unwrap().mode, Some(0o600));
    assert!(found.migrations.unwrap().is_current());
}
