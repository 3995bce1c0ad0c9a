//! Whole rows in and out of either database, for `migrate-db`.
//!
//! Rows are read in primary-key order, a page at a time (keyset paging, so
//! the millionth row costs what the first does), and written a page per
//! transaction with `ON CONFLICT DO NOTHING`: an interrupted copy leaves
//! whole pages behind, and running it again neither fails on them nor
//! doubles them. Keys compare byte by byte on both databases (SQLite's
//! default, and the "C" collation of the PostgreSQL schema), so both list
//! rows in the same order and a page boundary means the same thing on each.
//!
//! The statements are the same text on both, so the code is written once,
//! generic over the sqlx driver.

use async_trait::async_trait;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, QueryBuilder, Type};

use super::{
    Integration, Result,
    engine::{Dialect, SqlStore},
    sql::MediaRow,
};

/// The tables, parents before children: copying in this order never writes
/// a row before the row it references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Integrations,
    Secrets,
    Sessions,
    Attempts,
    Media,
}

impl Table {
    pub const ALL: [Table; 5] = [
        Table::Integrations,
        Table::Secrets,
        Table::Sessions,
        Table::Attempts,
        Table::Media,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Integrations => "integrations",
            Table::Secrets => "integration_secrets",
            Table::Sessions => "sessions",
            Table::Attempts => "attempts",
            Table::Media => "media",
        }
    }

    fn select(self) -> &'static str {
        match self {
            Table::Integrations => {
                "SELECT id, name, api_key, active, created_at FROM integrations WHERE id > $1 ORDER BY id LIMIT $3"
            }
            Table::Secrets => {
                "SELECT integration_id, secret, created_at, seq FROM integration_secrets
                 WHERE (integration_id, secret) > ($1, $2) ORDER BY integration_id, secret LIMIT $3"
            }
            Table::Sessions => {
                "SELECT id, integration_id, status, vendor_data, end_user_id, callback, session_token, auto_decision, created_at
                 FROM sessions WHERE id > $1 ORDER BY id LIMIT $3"
            }
            Table::Attempts => {
                "SELECT id, session_id, status, created_at, seq FROM attempts WHERE id > $1 ORDER BY id LIMIT $3"
            }
            Table::Media => concat!(
                "SELECT ",
                super::sql::media_columns!(),
                ", evidence FROM media WHERE id > $1 ORDER BY id LIMIT $3"
            ),
        }
    }

    fn last(self) -> &'static str {
        match self {
            Table::Integrations => "SELECT id, '' FROM integrations ORDER BY id DESC LIMIT 1",
            Table::Secrets => {
                "SELECT integration_id, secret FROM integration_secrets ORDER BY integration_id DESC, secret DESC LIMIT 1"
            }
            Table::Sessions => "SELECT id, '' FROM sessions ORDER BY id DESC LIMIT 1",
            Table::Attempts => "SELECT id, '' FROM attempts ORDER BY id DESC LIMIT 1",
            Table::Media => "SELECT id, '' FROM media ORDER BY id DESC LIMIT 1",
        }
    }

    fn count(self) -> &'static str {
        match self {
            Table::Integrations => "SELECT COUNT(*) FROM integrations",
            Table::Secrets => "SELECT COUNT(*) FROM integration_secrets",
            Table::Sessions => "SELECT COUNT(*) FROM sessions",
            Table::Attempts => "SELECT COUNT(*) FROM attempts",
            Table::Media => "SELECT COUNT(*) FROM media",
        }
    }
}

/// A row's primary key: the id, or for a secret its integration and the secret.
/// The empty key sorts before every row.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct RowKey(pub String, pub String);

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct IntegrationRecord {
    pub id: String,
    pub name: String,
    pub api_key: String,
    pub active: bool,
    pub created_at: i64,
}

impl IntegrationRecord {
    /// The integration the API works with, holding `secrets`.
    pub fn with_secrets(self, secrets: Vec<String>) -> Integration {
        Integration {
            id: self.id,
            name: self.name,
            api_key: self.api_key,
            active: self.active,
            secrets: secrets.into_iter().map(Into::into).collect(),
            created_at: self.created_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct SecretRecord {
    pub integration_id: String,
    pub secret: String,
    pub created_at: i64,
    pub seq: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct SessionRecord {
    pub id: String,
    pub integration_id: String,
    pub status: String,
    pub vendor_data: Option<String>,
    pub end_user_id: Option<String>,
    pub callback: Option<String>,
    pub session_token: String,
    pub auto_decision: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct AttemptRecord {
    pub id: String,
    pub session_id: String,
    pub status: String,
    pub created_at: i64,
    pub seq: i64,
}

/// Every column of a media row: what the lists read, and the evidence.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct MediaRecord {
    #[sqlx(flatten)]
    pub media: MediaRow,
    pub evidence: String,
}

/// A page of one table, in key order.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows {
    Integrations(Vec<IntegrationRecord>),
    Secrets(Vec<SecretRecord>),
    Sessions(Vec<SessionRecord>),
    Attempts(Vec<AttemptRecord>),
    Media(Vec<MediaRecord>),
}

impl Rows {
    pub fn len(&self) -> usize {
        match self {
            Rows::Integrations(r) => r.len(),
            Rows::Secrets(r) => r.len(),
            Rows::Sessions(r) => r.len(),
            Rows::Attempts(r) => r.len(),
            Rows::Media(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key of the page's last row, where the next page starts.
    pub fn last_key(&self) -> Option<RowKey> {
        let id = |id: &String| RowKey(id.clone(), String::new());
        match self {
            Rows::Integrations(r) => r.last().map(|r| id(&r.id)),
            Rows::Secrets(r) => r.last().map(|r| RowKey(r.integration_id.clone(), r.secret.clone())),
            Rows::Sessions(r) => r.last().map(|r| id(&r.id)),
            Rows::Attempts(r) => r.last().map(|r| id(&r.id)),
            Rows::Media(r) => r.last().map(|r| id(&r.media.id)),
        }
    }
}

/// Rows per multi-row INSERT: 19 columns × 500 stays under both databases'
/// limits on bound parameters (SQLite 32,766; PostgreSQL 65,535).
const INSERT_CHUNK: usize = 500;

/// Whole rows in and out, for `migrate-db` alone. It is apart from `Store`
/// (the tenant operations, every one of which names its integration), so
/// that nothing holding a `Store`, a handler least of all, can read or write
/// rows across tenants.
#[async_trait]
pub trait RowCopy: Send + Sync {
    async fn row_count(&self, table: Table) -> Result<i64>;
    /// The greatest key in the table, where a resumed copy carries on.
    async fn last_key(&self, table: Table) -> Result<Option<RowKey>>;
    /// Up to `limit` rows with keys after `after`, in key order.
    async fn export(&self, table: Table, after: &RowKey, limit: i64) -> Result<Rows>;
    /// Writes the rows in one transaction, skipping keys that exist; returns
    /// how many were new.
    async fn import(&self, rows: &Rows) -> Result<u64>;
}

/// The copy, on the pool of either driver.
#[async_trait]
impl<DB> RowCopy for SqlStore<DB>
where
    DB: Dialect + Database<Arguments: IntoArguments<DB>>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'r> IntegrationRecord: FromRow<'r, DB::Row>,
    for<'r> SecretRecord: FromRow<'r, DB::Row>,
    for<'r> SessionRecord: FromRow<'r, DB::Row>,
    for<'r> AttemptRecord: FromRow<'r, DB::Row>,
    for<'r> MediaRecord: FromRow<'r, DB::Row>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
    for<'r> (String, String): FromRow<'r, DB::Row>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
{
    async fn row_count(&self, table: Table) -> Result<i64> {
        Ok(sqlx::query_scalar(table.count()).fetch_one(&self.pool).await?)
    }

    async fn last_key(&self, table: Table) -> Result<Option<RowKey>> {
        let key: Option<(String, String)> = sqlx::query_as(table.last()).fetch_optional(&self.pool).await?;
        Ok(key.map(|(a, b)| RowKey(a, b)))
    }

    async fn export(&self, table: Table, after: &RowKey, limit: i64) -> Result<Rows> {
        let pool = &self.pool;
        macro_rules! page {
            ($variant:ident) => {
                Rows::$variant(
                    sqlx::query_as(table.select())
                        .bind(after.0.clone())
                        .bind(after.1.clone())
                        .bind(limit)
                        .fetch_all(pool)
                        .await?,
                )
            };
        }
        Ok(match table {
            Table::Integrations => page!(Integrations),
            Table::Secrets => page!(Secrets),
            Table::Sessions => page!(Sessions),
            Table::Attempts => page!(Attempts),
            Table::Media => page!(Media),
        })
    }

    /// Writes a page in one transaction, skipping rows whose key exists already;
    /// returns how many were new.
    async fn import(&self, rows: &Rows) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let mut inserted = 0;
        macro_rules! insert {
            ($records:expr, $head:expr, |$b:ident, $r:ident| $push:block) => {
                for chunk in $records.chunks(INSERT_CHUNK) {
                    let mut query = QueryBuilder::<DB>::new($head);
                    query.push_values(chunk, |mut $b, $r| $push);
                    query.push(" ON CONFLICT DO NOTHING");
                    inserted += DB::rows_affected(&query.build().execute(&mut *tx).await?);
                }
            };
        }
        match rows {
            Rows::Integrations(records) => insert!(
                records,
                "INSERT INTO integrations (id, name, api_key, active, created_at) ",
                |b, r| {
                    b.push_bind(r.id.clone())
                        .push_bind(r.name.clone())
                        .push_bind(r.api_key.clone())
                        .push_bind(r.active)
                        .push_bind(r.created_at);
                }
            ),
            Rows::Secrets(records) => insert!(
                records,
                "INSERT INTO integration_secrets (integration_id, secret, created_at, seq) ",
                |b, r| {
                    b.push_bind(r.integration_id.clone())
                        .push_bind(r.secret.clone())
                        .push_bind(r.created_at)
                        .push_bind(r.seq);
                }
            ),
            Rows::Sessions(records) => insert!(
                records,
                "INSERT INTO sessions (id, integration_id, status, vendor_data, end_user_id, callback, session_token, auto_decision, created_at) ",
                |b, r| {
                    b.push_bind(r.id.clone())
                        .push_bind(r.integration_id.clone())
                        .push_bind(r.status.clone())
                        .push_bind(r.vendor_data.clone())
                        .push_bind(r.end_user_id.clone())
                        .push_bind(r.callback.clone())
                        .push_bind(r.session_token.clone())
                        .push_bind(r.auto_decision.clone())
                        .push_bind(r.created_at);
                }
            ),
            Rows::Attempts(records) => insert!(
                records,
                "INSERT INTO attempts (id, session_id, status, created_at, seq) ",
                |b, r| {
                    b.push_bind(r.id.clone())
                        .push_bind(r.session_id.clone())
                        .push_bind(r.status.clone())
                        .push_bind(r.created_at)
                        .push_bind(r.seq);
                }
            ),
            Rows::Media(records) => insert!(
                records,
                concat!("INSERT INTO media (", super::sql::media_columns!(), ", evidence) "),
                |b, r| {
                    b.push_bind(r.media.id.clone())
                        .push_bind(r.media.attempt_id.clone())
                        .push_bind(r.media.session_id.clone())
                        .push_bind(r.media.integration_id.clone())
                        .push_bind(r.media.kind.clone())
                        .push_bind(r.media.context.clone())
                        .push_bind(r.media.mimetype.clone())
                        .push_bind(r.media.size)
                        .push_bind(r.media.width)
                        .push_bind(r.media.height)
                        .push_bind(r.media.duration_ms)
                        .push_bind(r.media.accuracy)
                        .push_bind(r.media.quality)
                        .push_bind(r.media.matches)
                        .push_bind(r.media.score)
                        .push_bind(r.media.blob_key.clone())
                        .push_bind(r.media.created_at)
                        .push_bind(r.evidence.clone());
                }
            ),
        }
        tx.commit().await?;
        Ok(inserted)
    }
}
