//! The embedded default: one SQLite file in WAL mode, `synchronous=FULL`, so
//! that a commit is durable before the API answers.

use std::{
    str::FromStr,
    sync::{Arc, LazyLock},
    time::Duration,
};

use crate::keys::KeyRing;

use sqlx::{
    Sqlite,
    migrate::Migrator,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use super::{
    Result, StoreError,
    driver::Driver,
    engine::{Dialect, SqlStore},
    sql,
};

pub type SqliteStore = SqlStore<Sqlite>;

/// The SQLite migrations, embedded at build time.
pub(super) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Reads go through a shared memory map of the file (up to SQLite's 2 GiB
/// cap) instead of a `pread` into each connection's own 2 MiB page cache:
/// with a million media the indexes no longer fit that cache, and copying
/// pages in made a list ~25 % dearer than on a small database
/// (docs/benchmarks.md, "Scale"). The kernel's page cache backs the map, so
/// it costs no memory of the process's own. The trade, as SQLite documents
/// it: a disk I/O error on a mapped page stops the process (SIGBUS) instead
/// of failing one query.
const MMAP_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// The file a SQLite URL names; `None` for an in-memory database.
pub fn database_file(url: &str) -> Result<Option<std::path::PathBuf>> {
    let options = SqliteConnectOptions::from_str(url)?;
    let path = options.get_filename();
    if path.as_os_str().is_empty() || path.to_string_lossy().contains(":memory:") {
        return Ok(None);
    }
    Ok(Some(path.to_path_buf()))
}

/// Opens (creating when missing) the database file and migrates it.
pub async fn connect(url: &str, keys: Option<Arc<KeyRing>>) -> Result<SqliteStore> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
        .pragma("mmap_size", MMAP_BYTES.to_string())
        // A deleted row's bytes are overwritten with zeros, not left in the
        // file's free pages for anyone with the file to read back.
        .pragma("secure_delete", "ON");
    // Created here, 0600, rather than by SQLite, which would create it with
    // the umask's mode; its -wal and -shm files take the database file's mode.
    if let Some(path) = database_file(url)? {
        crate::fsmode::create_file(&path).map_err(|e| StoreError::DatabaseFile(path.clone(), e))?;
    }
    // A connection to a local file does not go stale the way a network
    // connection does; pinging it on every checkout costs a round trip to
    // sqlx's connection thread per query.
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .test_before_acquire(false)
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(SqlStore::new(pool, keys))
}

impl Driver for Sqlite {}

impl Dialect for Sqlite {
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }

    // sqlx hands each row over from its connection thread as a separate
    // message, so the whole list comes back as one JSON array in one row.
    fn attempt_media() -> &'static str {
        static TEXT: LazyLock<String> = LazyLock::new(|| {
            sql::attempt_media("json_array", |item, order| {
                format!("json_group_array({item} ORDER BY {order})")
            })
        });
        &TEXT
    }
    const EVIDENCE: &'static str = "SELECT e.media_id, e.evidence FROM json_each($1) k
         JOIN media m ON m.id = k.value AND m.integration_id = $2 JOIN media_evidence e ON e.media_id = m.id";
    const UNREFERENCED_BLOBS: &'static str = "SELECT k.value FROM json_each($1) k
         WHERE NOT EXISTS (SELECT 1 FROM media m WHERE m.blob_key = k.value)";
    const MIGRATIONS_TABLE: &'static str =
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'";
    // `secure_delete` zeroes the rows in the database file, but the WAL
    // keeps the pages they were written in until it is reset: copy it
    // back and truncate it now rather than at some later checkpoint.
    const AFTER_DELETE: Option<&'static str> = Some("PRAGMA wal_checkpoint(TRUNCATE)");
}
