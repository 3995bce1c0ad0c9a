//! PostgreSQL, for several servers sharing one database. Same schema, same
//! statements and same answers as SQLite (see `engine`).

use std::{
    str::FromStr,
    sync::{Arc, LazyLock},
    time::Duration,
};

use crate::keys::KeyRing;

use sqlx::{
    Connection, Postgres,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use super::{
    Result,
    driver::Driver,
    engine::{Dialect, SqlStore},
    sql,
};

pub type PostgresStore = SqlStore<Postgres>;

/// The PostgreSQL migrations, embedded at build time.
pub(super) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a pooled connection may sit unused before it is pinged again.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(10);

/// Connects and migrates. sqlx holds a PostgreSQL advisory lock while it
/// migrates, so servers started together apply each migration once.
pub async fn connect(url: &str, max_connections: u32, keys: Option<Arc<KeyRing>>) -> Result<PostgresStore> {
    let options = PgConnectOptions::from_str(url)?.application_name("kycmedia");
    // sqlx pings every connection it takes from the pool by default: a
    // second round trip per query. Only one idle long enough to have been
    // dropped by a server restart or a firewall is checked; a connection
    // that breaks in use fails its query and is discarded.
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > IDLE_BEFORE_PING {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(SqlStore::new(pool, keys))
}

impl Driver for Postgres {}

impl Dialect for Postgres {
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }

    // The same one-row shape as SQLite's. float8 prints as the shortest text
    // that reads back as the same double, so scores survive the JSON exactly.
    fn attempt_media() -> &'static str {
        static TEXT: LazyLock<String> = LazyLock::new(|| {
            sql::attempt_media("json_build_array", |item, order| {
                format!("COALESCE(json_agg({item} ORDER BY {order}), '[]')::text")
            })
        });
        &TEXT
    }
    const EVIDENCE: &'static str = "SELECT e.media_id, e.evidence FROM json_array_elements_text($1::json) k(id)
         JOIN media m ON m.id = k.id AND m.integration_id = $2 JOIN media_evidence e ON e.media_id = m.id";
    const UNREFERENCED_BLOBS: &'static str = "SELECT k.key FROM json_array_elements_text($1::json) k(key)
         WHERE NOT EXISTS (SELECT 1 FROM media m WHERE m.blob_key = k.key)";
    // sqlx creates its table unqualified, in the first schema of the search path.
    const MIGRATIONS_TABLE: &'static str = "SELECT COUNT(*) FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'";
    // Dead tuples stay until (auto)vacuum reuses their space: not yet
    // scrubbed here (issue 14's crypto-shredding is the answer for both).
    const AFTER_DELETE: Option<&'static str> = None;
}
