//! The store itself, written once for both databases: `SqlStore<DB>` runs
//! the statements of `sql.rs` on a sqlx pool of either driver. What differs
//! between SQLite and PostgreSQL is small and named in `Dialect`.
//!
//! Every write transaction begins with a write to the row it guards (the
//! session, or the integration), which serves both databases: SQLite takes
//! its one writer lock up front instead of failing a read-then-write
//! upgrade, and PostgreSQL, where writers run side by side at READ
//! COMMITTED, locks that row until commit, so that concurrent uploads,
//! submits and deletes of one session, arriving through different servers,
//! still happen one at a time.

use std::collections::HashMap;

use async_trait::async_trait;
use kycmedia_proto::Status;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Pool, Type};

use super::{
    Attempt, AttemptMedia, Integration, MAX_SECRETS, Media, NewSession, PoolStats, Result, Session, Store, StoreError,
    Totals,
    copy::{AttemptRecord, IntegrationRecord, MediaRecord, SecretRecord, SessionRecord},
    sql::{self, AttemptRow, MediaJson, MediaRow, SessionRow},
};

/// What differs between the databases: a few statements' text, and how a
/// write reports the rows it touched.
pub trait Dialect: Database {
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// $1 attempt id, $2 integration id. One row, `session_id` and `media`
    /// (the ranked rows as one JSON array of `media_columns!()` arrays, as
    /// text), when the integration owns the attempt; none otherwise. One
    /// round trip whatever the count.
    const ATTEMPT_MEDIA: &'static str;
    /// $1 a JSON array of media ids, $2 integration id: `(id, evidence)` rows.
    const EVIDENCE: &'static str;
    /// $1 a JSON array of blob keys: those no media row points at.
    const UNREFERENCED_BLOBS: &'static str;
    /// `COUNT(*)` of tables named `_sqlx_migrations` where sqlx looks for it.
    const MIGRATIONS_TABLE: &'static str;
}

pub struct SqlStore<DB: Database> {
    pub(super) pool: Pool<DB>,
}

impl<DB: Database> SqlStore<DB> {
    pub fn new(pool: Pool<DB>) -> Self {
        SqlStore { pool }
    }
}

fn json_array(items: &[String]) -> Result<String> {
    serde_json::to_string(items).map_err(|e| StoreError::Database(sqlx::Error::Encode(Box::new(e))))
}

/// The bounds list what the driver must bind and decode; SQLite and
/// PostgreSQL both qualify, so the compiler checks every statement's Rust
/// side once for both.
#[async_trait]
impl<DB> Store for SqlStore<DB>
where
    DB: Dialect + Database<Arguments: IntoArguments<DB>>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'r> SessionRow: FromRow<'r, DB::Row>,
    for<'r> AttemptRow: FromRow<'r, DB::Row>,
    for<'r> MediaRow: FromRow<'r, DB::Row>,
    for<'r> IntegrationRecord: FromRow<'r, DB::Row>,
    for<'r> SecretRecord: FromRow<'r, DB::Row>,
    for<'r> SessionRecord: FromRow<'r, DB::Row>,
    for<'r> AttemptRecord: FromRow<'r, DB::Row>,
    for<'r> MediaRecord: FromRow<'r, DB::Row>,
    for<'r> (String,): FromRow<'r, DB::Row>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
    for<'r> (i64, i64): FromRow<'r, DB::Row>,
    for<'r> (String, String): FromRow<'r, DB::Row>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
{
    async fn ping(&self) -> Result<()> {
        sqlx::query(sql::PING).execute(&self.pool).await?;
        Ok(())
    }

    async fn totals(&self) -> Result<Totals> {
        let (objects, bytes): (i64, i64) = sqlx::query_as(sql::TOTALS).fetch_one(&self.pool).await?;
        Ok(Totals { objects, bytes })
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }
    }

    async fn create_integration(
        &self,
        id: &str,
        name: &str,
        api_key: &str,
        secret: &str,
        now: i64,
    ) -> Result<Integration> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(sql::INSERT_INTEGRATION)
            .bind(id)
            .bind(name)
            .bind(api_key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql::INSERT_FIRST_SECRET)
            .bind(id)
            .bind(secret)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Integration {
            id: id.to_owned(),
            name: name.to_owned(),
            api_key: api_key.to_owned(),
            active: true,
            secrets: vec![secret.into()],
            created_at: now,
        })
    }

    async fn integration_by_key(&self, api_key: &str) -> Result<Option<Integration>> {
        let row: Option<IntegrationRecord> = sqlx::query_as(sql::INTEGRATION_BY_KEY)
            .bind(api_key)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let secrets = sqlx::query_scalar(sql::SECRETS)
            .bind(&row.id)
            .fetch_all(&self.pool)
            .await?;
        Ok(Some(row.with_secrets(secrets)))
    }

    async fn list_integrations(&self) -> Result<Vec<Integration>> {
        let rows: Vec<IntegrationRecord> = sqlx::query_as(sql::INTEGRATIONS).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let secrets = sqlx::query_scalar(sql::SECRETS)
                .bind(&row.id)
                .fetch_all(&self.pool)
                .await?;
            out.push(row.with_secrets(secrets));
        }
        Ok(out)
    }

    async fn add_secret(&self, api_key: &str, secret: &str, now: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // Locks the integration until commit, so that two additions cannot
        // both pass the count check below.
        let found = sqlx::query(sql::LOCK_INTEGRATION)
            .bind(api_key)
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&found) == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(sql::ADD_SECRET)
            .bind(api_key)
            .bind(secret)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let count: i64 = sqlx::query_scalar(sql::SECRET_COUNT)
            .bind(api_key)
            .fetch_one(&mut *tx)
            .await?;
        if count as usize > MAX_SECRETS {
            return Err(StoreError::Invalid(format!(
                "an integration holds at most {MAX_SECRETS} shared secrets; revoke one first"
            )));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_secret(&self, api_key: &str, secret: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(sql::LOCK_INTEGRATION)
            .bind(api_key)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query(sql::REVOKE_SECRET)
            .bind(api_key)
            .bind(secret)
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&deleted) == 0 {
            return Err(StoreError::NotFound);
        }
        let left: i64 = sqlx::query_scalar(sql::SECRET_COUNT)
            .bind(api_key)
            .fetch_one(&mut *tx)
            .await?;
        if left == 0 {
            return Err(StoreError::Invalid(
                "this is the integration's last shared secret; add another first".to_owned(),
            ));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn disable_integration(&self, api_key: &str) -> Result<()> {
        let done = sqlx::query(sql::DISABLE_INTEGRATION)
            .bind(api_key)
            .execute(&self.pool)
            .await?;
        if DB::rows_affected(&done) == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn create_session(&self, s: &NewSession) -> Result<Session> {
        sqlx::query(sql::INSERT_SESSION)
            .bind(&s.id)
            .bind(&s.integration_id)
            .bind(&s.vendor_data)
            .bind(&s.end_user_id)
            .bind(&s.callback)
            .bind(&s.session_token)
            .bind(s.auto_decision.map(|d| d.as_str().to_owned()))
            .bind(s.created_at)
            .execute(&self.pool)
            .await?;
        Ok(Session {
            id: s.id.clone(),
            status: Status::Created,
            vendor_data: s.vendor_data.clone(),
            session_token: s.session_token.clone(),
        })
    }

    async fn session(&self, integration_id: &str, session_id: &str) -> Result<Option<Session>> {
        let row: Option<SessionRow> = sqlx::query_as(sql::SESSION)
            .bind(session_id)
            .bind(integration_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(SessionRow::into_session).transpose()
    }

    async fn insert_media(&self, m: &Media, evidence: &str, new_attempt_id: &str) -> Result<String> {
        let mut tx = self.pool.begin().await?;
        // Locks the session row until commit: a concurrent upload waits here,
        // then finds the attempt this one opened.
        let opened = sqlx::query(sql::OPEN_SESSION)
            .bind(&m.session_id)
            .bind(&m.integration_id)
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&opened) == 0 {
            let status = sqlx::query_scalar(sql::SESSION_STATUS)
                .bind(&m.session_id)
                .bind(&m.integration_id)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(missing_or_conflict(status));
        }
        let open: Option<String> = sqlx::query_scalar(sql::OPEN_ATTEMPT)
            .bind(&m.session_id)
            .fetch_optional(&mut *tx)
            .await?;
        let attempt_id = match open {
            Some(id) => id,
            None => {
                sqlx::query(sql::INSERT_ATTEMPT)
                    .bind(new_attempt_id)
                    .bind(&m.session_id)
                    .bind(Status::Started.as_str())
                    .bind(m.created_at)
                    .execute(&mut *tx)
                    .await?;
                new_attempt_id.to_owned()
            }
        };
        sqlx::query(sql::INSERT_MEDIA)
            .bind(&m.id)
            .bind(&attempt_id)
            .bind(&m.session_id)
            .bind(&m.integration_id)
            .bind(m.kind.as_str())
            .bind(&m.context)
            .bind(&m.mimetype)
            .bind(m.size)
            .bind(m.width)
            .bind(m.height)
            .bind(m.duration_ms)
            .bind(m.accuracy)
            .bind(m.quality)
            .bind(m.matches)
            .bind(m.score)
            .bind(&m.blob_key)
            .bind(m.created_at)
            .bind(evidence)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(attempt_id)
    }

    async fn submit(&self, integration_id: &str, session_id: &str, new_attempt_id: &str, now: i64) -> Result<Session> {
        let mut tx = self.pool.begin().await?;
        let row: Option<SessionRow> = sqlx::query_as(sql::SUBMIT_SESSION)
            .bind(session_id)
            .bind(integration_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            let status = sqlx::query_scalar(sql::SESSION_STATUS)
                .bind(session_id)
                .bind(integration_id)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(missing_or_conflict(status));
        };
        let session = row.into_session()?;
        let closed = sqlx::query(sql::CLOSE_ATTEMPTS)
            .bind(session_id)
            .bind(session.status.as_str())
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&closed) == 0 {
            sqlx::query(sql::INSERT_ATTEMPT)
                .bind(new_attempt_id)
                .bind(session_id)
                .bind(session.status.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(session)
    }

    async fn decide(&self, session_id: &str, decision: Status) -> Result<Session> {
        let mut tx = self.pool.begin().await?;
        let row: Option<SessionRow> = sqlx::query_as(sql::DECIDE_SESSION)
            .bind(session_id)
            .bind(decision.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            let current: Option<String> = sqlx::query_scalar(sql::ANY_SESSION_STATUS)
                .bind(session_id)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(missing_or_conflict(current));
        };
        sqlx::query(sql::DECIDE_ATTEMPTS)
            .bind(session_id)
            .bind(decision.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        row.into_session()
    }

    async fn attempts(&self, integration_id: &str, session_id: &str) -> Result<Vec<Attempt>> {
        let rows: Vec<AttemptRow> = sqlx::query_as(sql::ATTEMPTS)
            .bind(session_id)
            .bind(integration_id)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(AttemptRow::into_attempt).collect()
    }

    async fn latest_attempt(&self, integration_id: &str, session_id: &str) -> Result<Option<Attempt>> {
        let row: Option<AttemptRow> = sqlx::query_as(sql::LATEST_ATTEMPT)
            .bind(session_id)
            .bind(integration_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(AttemptRow::into_attempt).transpose()
    }

    async fn attempt_media(&self, integration_id: &str, attempt_id: &str) -> Result<Option<AttemptMedia>> {
        let row: Option<(String, String)> = sqlx::query_as(DB::ATTEMPT_MEDIA)
            .bind(attempt_id)
            .bind(integration_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some((session_id, json)) = row else {
            return Ok(None);
        };
        let rows: Vec<MediaJson> = serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        Ok(Some(AttemptMedia {
            session_id,
            media: rows.into_iter().map(Media::from).collect(),
        }))
    }

    async fn media(&self, integration_id: &str, media_id: &str) -> Result<Option<Media>> {
        let row: Option<MediaRow> = sqlx::query_as(sql::MEDIA)
            .bind(media_id)
            .bind(integration_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Media::from))
    }

    async fn delete_session(&self, integration_id: &str, session_id: &str) -> Result<Vec<String>> {
        let mut tx = self.pool.begin().await?;
        // Waits for an upload in flight to commit, so that its media is
        // deleted below and its key returned, not cascaded away unreported.
        let found = sqlx::query(sql::LOCK_SESSION)
            .bind(session_id)
            .bind(integration_id)
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&found) == 0 {
            return Err(StoreError::NotFound);
        }
        let keys: Vec<String> = sqlx::query_scalar(sql::DELETE_SESSION_MEDIA)
            .bind(session_id)
            .bind(integration_id)
            .fetch_all(&mut *tx)
            .await?;
        sqlx::query(sql::DELETE_SESSION_ATTEMPTS)
            .bind(session_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql::DELETE_SESSION)
            .bind(session_id)
            .bind(integration_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(keys)
    }

    async fn evidence(&self, integration_id: &str, media_ids: &[String]) -> Result<HashMap<String, String>> {
        let rows: Vec<(String, String)> = sqlx::query_as(DB::EVIDENCE)
            .bind(json_array(media_ids)?)
            .bind(integration_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().collect())
    }

    async fn unreferenced_blobs(&self, blob_keys: &[String]) -> Result<Vec<String>> {
        // The keys travel as one JSON array: one statement and one round trip
        // per batch, whatever its size, and no SQL built from strings.
        Ok(sqlx::query_scalar(DB::UNREFERENCED_BLOBS)
            .bind(json_array(blob_keys)?)
            .fetch_all(&self.pool)
            .await?)
    }
}

fn missing_or_conflict(status: Option<String>) -> StoreError {
    status.map_or(StoreError::NotFound, StoreError::Conflict)
}
