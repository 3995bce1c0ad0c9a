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
use secrecy::ExposeSecret;
use sqlx::AssertSqlSafe;

use super::{
    Assignment, Attempt, AuditHead, AuditRecord, Decision, Evidence, Integration, Media, ObjectKey, Result, Reviewer,
    ReviewerIntegration, Secret, Session, Webhook, WebhookAttempt, driver::Driver, engine::SqlStore, table,
};

/// The tables, parents before children: copying in this order never writes
/// a row before the row it references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Integrations,
    Secrets,
    Reviewers,
    ReviewerIntegrations,
    Sessions,
    Attempts,
    Assignments,
    Decisions,
    Media,
    ObjectKeys,
    Evidence,
    Webhooks,
    WebhookAttempts,
    AuditLog,
    AuditHead,
}

impl Table {
    pub const ALL: [Table; 15] = [
        Table::Integrations,
        Table::Secrets,
        Table::Reviewers,
        Table::ReviewerIntegrations,
        Table::Sessions,
        Table::Attempts,
        Table::Assignments,
        Table::Decisions,
        Table::Media,
        Table::ObjectKeys,
        Table::Evidence,
        Table::Webhooks,
        Table::WebhookAttempts,
        Table::AuditLog,
        Table::AuditHead,
    ];

    pub fn name(self) -> &'static str {
        use super::Columns;
        match self {
            Table::Integrations => Integration::NAME,
            Table::Secrets => Secret::NAME,
            Table::Reviewers => Reviewer::NAME,
            Table::ReviewerIntegrations => ReviewerIntegration::NAME,
            Table::Assignments => Assignment::NAME,
            Table::Sessions => Session::NAME,
            Table::Attempts => Attempt::NAME,
            Table::Media => Media::NAME,
            Table::ObjectKeys => ObjectKey::NAME,
            Table::Evidence => Evidence::NAME,
            Table::Decisions => Decision::NAME,
            Table::Webhooks => Webhook::NAME,
            Table::WebhookAttempts => WebhookAttempt::NAME,
            Table::AuditLog => AuditRecord::NAME,
            Table::AuditHead => AuditHead::NAME,
        }
    }

    /// The primary key's columns: a second one only for secrets and
    /// reviewers' integrations.
    fn key(self) -> (&'static str, Option<&'static str>) {
        match self {
            Table::Secrets => ("integration_id", Some("secret")),
            Table::ReviewerIntegrations => ("reviewer_id", Some("integration_id")),
            Table::Decisions | Table::Assignments => ("attempt_id", None),
            Table::Evidence | Table::ObjectKeys => ("media_id", None),
            Table::AuditLog => ("seq", None),
            Table::AuditHead => ("id", None),
            _ => ("id", None),
        }
    }

    /// Whether the key is a number (the audit trail's), compared as one:
    /// keys travel as text, and "10" sorts before "9".
    fn numeric_key(self) -> bool {
        matches!(self, Table::AuditLog | Table::AuditHead)
    }

    /// Rows after ($1, $2) in key order, at most $3 of them.
    fn select(self, columns: &str) -> String {
        let name = self.name();
        if self.numeric_key() {
            let (a, _) = self.key();
            return format!(
                "SELECT {columns} FROM {name} WHERE {a} > COALESCE(CAST(NULLIF($1, '') AS BIGINT), -1) ORDER BY {a} LIMIT $3"
            );
        }
        match self.key() {
            (a, Some(b)) => {
                format!("SELECT {columns} FROM {name} WHERE ({a}, {b}) > ($1, $2) ORDER BY {a}, {b} LIMIT $3")
            }
            (a, None) => format!("SELECT {columns} FROM {name} WHERE {a} > $1 ORDER BY {a} LIMIT $3"),
        }
    }

    fn last(self) -> String {
        let name = self.name();
        if self.numeric_key() {
            let (a, _) = self.key();
            return format!("SELECT CAST({a} AS TEXT), '' FROM {name} ORDER BY {a} DESC LIMIT 1");
        }
        match self.key() {
            (a, Some(b)) => format!("SELECT {a}, {b} FROM {name} ORDER BY {a} DESC, {b} DESC LIMIT 1"),
            (a, None) => format!("SELECT {a}, '' FROM {name} ORDER BY {a} DESC LIMIT 1"),
        }
    }
}

/// A row's primary key: the id, or for a secret its integration and the secret.
/// The empty key sorts before every row.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct RowKey(pub String, pub String);

/// A page of one table, in key order.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows {
    Integrations(Vec<Integration>),
    Secrets(Vec<Secret>),
    Reviewers(Vec<Reviewer>),
    ReviewerIntegrations(Vec<ReviewerIntegration>),
    Assignments(Vec<Assignment>),
    Sessions(Vec<Session>),
    Attempts(Vec<Attempt>),
    Media(Vec<Media>),
    ObjectKeys(Vec<ObjectKey>),
    Evidence(Vec<Evidence>),
    Decisions(Vec<Decision>),
    Webhooks(Vec<Webhook>),
    WebhookAttempts(Vec<WebhookAttempt>),
    AuditLog(Vec<AuditRecord>),
    AuditHead(Vec<AuditHead>),
}

impl Rows {
    pub fn len(&self) -> usize {
        match self {
            Rows::Integrations(r) => r.len(),
            Rows::Secrets(r) => r.len(),
            Rows::Reviewers(r) => r.len(),
            Rows::ReviewerIntegrations(r) => r.len(),
            Rows::Assignments(r) => r.len(),
            Rows::Sessions(r) => r.len(),
            Rows::Attempts(r) => r.len(),
            Rows::Media(r) => r.len(),
            Rows::ObjectKeys(r) => r.len(),
            Rows::Evidence(r) => r.len(),
            Rows::Decisions(r) => r.len(),
            Rows::Webhooks(r) => r.len(),
            Rows::WebhookAttempts(r) => r.len(),
            Rows::AuditLog(r) => r.len(),
            Rows::AuditHead(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key of the page's last row, where the next page starts.
    pub fn last_key(&self) -> Option<RowKey> {
        let id = |id: &str| RowKey(id.to_owned(), String::new());
        match self {
            Rows::Integrations(r) => r.last().map(|r| id(r.id.as_str())),
            Rows::Secrets(r) => r
                .last()
                .map(|r| RowKey(r.integration_id.to_string(), r.secret.expose_secret().to_owned())),
            Rows::Reviewers(r) => r.last().map(|r| id(r.id.as_str())),
            Rows::ReviewerIntegrations(r) => r
                .last()
                .map(|r| RowKey(r.reviewer_id.to_string(), r.integration_id.to_string())),
            Rows::Assignments(r) => r.last().map(|r| id(r.attempt_id.as_str())),
            Rows::Sessions(r) => r.last().map(|r| id(r.id.as_str())),
            Rows::Attempts(r) => r.last().map(|r| id(r.id.as_str())),
            Rows::Media(r) => r.last().map(|r| id(r.id.as_str())),
            Rows::ObjectKeys(r) => r.last().map(|r| id(r.media_id.as_str())),
            Rows::Evidence(r) => r.last().map(|r| id(r.media_id.as_str())),
            Rows::Decisions(r) => r.last().map(|r| id(r.attempt_id.as_str())),
            Rows::Webhooks(r) => r.last().map(|r| id(r.id.as_str())),
            Rows::WebhookAttempts(r) => r.last().map(|r| id(r.id.as_str())),
            Rows::AuditLog(r) => r.last().map(|r| id(&r.seq.to_string())),
            Rows::AuditHead(r) => r.last().map(|r| id(&r.id.to_string())),
        }
    }
}

/// Rows per multi-row INSERT: 17 columns × 500 stays under both databases'
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
impl<DB: Driver> RowCopy for SqlStore<DB> {
    async fn row_count(&self, table: Table) -> Result<i64> {
        let count = format!("SELECT COUNT(*) FROM {}", table.name());
        Ok(sqlx::query_scalar(AssertSqlSafe(count)).fetch_one(&self.pool).await?)
    }

    async fn last_key(&self, table: Table) -> Result<Option<RowKey>> {
        let key: Option<(String, String)> = sqlx::query_as(AssertSqlSafe(table.last()))
            .fetch_optional(&self.pool)
            .await?;
        Ok(key.map(|(a, b)| RowKey(a, b)))
    }

    async fn export(&self, table: Table, after: &RowKey, limit: i64) -> Result<Rows> {
        let pool = &self.pool;
        macro_rules! page {
            ($variant:ident, $row:ty) => {
                Rows::$variant(
                    sqlx::query_as::<DB, $row>(AssertSqlSafe(table.select(<$row as table::Columns>::COLUMNS)))
                        .bind(after.0.clone())
                        .bind(after.1.clone())
                        .bind(limit)
                        .fetch_all(pool)
                        .await?,
                )
            };
        }
        Ok(match table {
            Table::Integrations => page!(Integrations, Integration),
            Table::Secrets => page!(Secrets, Secret),
            Table::Reviewers => page!(Reviewers, Reviewer),
            Table::ReviewerIntegrations => page!(ReviewerIntegrations, ReviewerIntegration),
            Table::Assignments => page!(Assignments, Assignment),
            Table::Sessions => page!(Sessions, Session),
            Table::Attempts => page!(Attempts, Attempt),
            Table::Media => page!(Media, Media),
            Table::ObjectKeys => page!(ObjectKeys, ObjectKey),
            Table::Evidence => page!(Evidence, Evidence),
            Table::Decisions => page!(Decisions, Decision),
            Table::Webhooks => page!(Webhooks, Webhook),
            Table::WebhookAttempts => page!(WebhookAttempts, WebhookAttempt),
            Table::AuditLog => page!(AuditLog, AuditRecord),
            Table::AuditHead => page!(AuditHead, AuditHead),
        })
    }

    /// Writes a page in one transaction, skipping rows whose key exists already;
    /// returns how many were new.
    async fn import(&self, rows: &Rows) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let mut inserted = 0;
        macro_rules! insert {
            ($records:expr) => {
                for chunk in $records.chunks(INSERT_CHUNK) {
                    let mut query = table::insert(chunk, " ON CONFLICT DO NOTHING");
                    inserted += DB::rows_affected(&query.build().execute(&mut *tx).await?);
                }
            };
        }
        match rows {
            Rows::Integrations(records) => insert!(records),
            Rows::Secrets(records) => insert!(records),
            Rows::Reviewers(records) => insert!(records),
            Rows::ReviewerIntegrations(records) => insert!(records),
            Rows::Assignments(records) => insert!(records),
            Rows::Sessions(records) => insert!(records),
            Rows::Attempts(records) => insert!(records),
            Rows::Media(records) => insert!(records),
            Rows::ObjectKeys(records) => insert!(records),
            Rows::Evidence(records) => insert!(records),
            Rows::Decisions(records) => insert!(records),
            Rows::Webhooks(records) => insert!(records),
            Rows::WebhookAttempts(records) => insert!(records),
            Rows::AuditLog(records) => insert!(records),
            Rows::AuditHead(records) => insert!(records),
        }
        tx.commit().await?;
        Ok(inserted)
    }
}
