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

use std::{collections::HashMap, sync::Arc};

use async_trait::async_trait;
use kycmedia_proto::{
    Status,
    webhook::{Action, WebhookKind, WebhookState},
};
use sqlx::{Database, Pool};

use secrecy::ExposeSecret;

use super::{
    Attempt, AttemptMedia, AuditFilter, AuditHead, AuditRecord, Credentials, Decision, Evidence, Integration,
    KeyCensus, MAX_SECRETS, Media, ObjectKey, PoolStats, Replay, RequestNonce, Result, Secret, Session, SharedSecret,
    Store, StoreError, Totals, Verdict, Webhook, WebhookAttempt, audit, driver::Driver, outbox, sql, table,
};
use crate::{
    ids::{AttemptId, IntegrationId, MediaId, SessionId},
    keys::{KeyError, KeyRing, sealed_secret_under},
};

/// What differs between the databases: a few statements' text, and how a
/// write reports the rows it touched.
pub trait Dialect: Database {
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// $1 attempt id, $2 integration id. One row, `session_id` and `media`
    /// (the ranked rows as one JSON array of `Media`'s column arrays, as
    /// text), when the integration owns the attempt; none otherwise. One
    /// round trip whatever the count (`sql::attempt_media`).
    fn attempt_media() -> &'static str;
    /// $1 a JSON array of media ids, $2 integration id: `(media_id, evidence)` rows.
    const EVIDENCE: &'static str;
    /// $1 a JSON array of blob keys: those no media row points at.
    const UNREFERENCED_BLOBS: &'static str;
    /// `COUNT(*)` of tables named `_sqlx_migrations` where sqlx looks for it.
    const MIGRATIONS_TABLE: &'static str;
    /// Run after a session's rows are deleted, so that no copy of them
    /// stays readable in the database's own files; `None` when none does.
    const AFTER_DELETE: Option<&'static str>;
}

pub struct SqlStore<DB: Database> {
    pub(super) pool: Pool<DB>,
    /// Seals shared secrets as they are written and opens them as they are
    /// read; `None` stores new ones in plaintext (`--insecure-plaintext`).
    keys: Option<Arc<KeyRing>>,
}

impl<DB: Database> SqlStore<DB> {
    pub fn new(pool: Pool<DB>, keys: Option<Arc<KeyRing>>) -> Self {
        SqlStore { pool, keys }
    }

    /// A secret as it is to be stored.
    fn seal(&self, secret: &SharedSecret, integration: &IntegrationId) -> SharedSecret {
        match &self.keys {
            Some(keys) => keys.seal_secret(secret.expose_secret(), integration.as_str()).into(),
            None => secret.clone(),
        }
    }

    /// A secret as stored, opened. One stored before encryption was
    /// configured is plaintext, and read as such (the server refuses to
    /// start on those: `keys encrypt-existing` seals them).
    fn open(&self, stored: &SharedSecret, integration: &IntegrationId) -> Result<SharedSecret> {
        if sealed_secret_under(stored.expose_secret()).is_none() {
            return Ok(stored.clone());
        }
        let keys = self.keys.as_ref().ok_or(KeyError::NoMasterKey)?;
        Ok(keys.open_secret(stored.expose_secret(), integration.as_str())?.into())
    }
}

impl<DB: Driver> SqlStore<DB> {
    /// The integration with its secrets, newest first.
    async fn credentials(&self, integration: Integration) -> Result<Credentials> {
        let stored: Vec<Secret> = sqlx::query_as(sql::SECRETS.as_str())
            .bind(&integration.id)
            .fetch_all(&self.pool)
            .await?;
        let mut secrets = Vec::with_capacity(stored.len());
        for secret in stored {
            secrets.push(Secret {
                secret: self.open(&secret.secret, &integration.id)?,
                ..secret
            });
        }
        Ok(Credentials::new(integration, secrets))
    }
}

fn json_array<T: serde::Serialize>(items: &[T]) -> Result<String> {
    serde_json::to_string(items).map_err(|e| StoreError::Database(sqlx::Error::Encode(Box::new(e))))
}

/// Written once for both databases: `Driver` lists what the statements
/// bind and decode, so the compiler checks their Rust side for each.
#[async_trait]
impl<DB: Driver> Store for SqlStore<DB> {
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

    fn reviews(&self) -> &dyn super::Reviews {
        self
    }

    async fn create_integration(&self, integration: &Integration, secret: &SharedSecret) -> Result<Credentials> {
        let first = Secret {
            integration_id: integration.id.clone(),
            secret: self.seal(secret, &integration.id),
            created_at: integration.created_at,
            seq: 1,
        };
        let mut tx = self.pool.begin().await?;
        table::insert([integration], "").build().execute(&mut *tx).await?;
        table::insert([&first], "").build().execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Credentials {
            integration: integration.clone(),
            secrets: vec![secret.clone()],
        })
    }

    async fn integration_by_key(&self, api_key: &str) -> Result<Option<Credentials>> {
        let row: Option<Integration> = sqlx::query_as(sql::INTEGRATION_BY_KEY.as_str())
            .bind(api_key)
            .fetch_optional(&self.pool)
            .await?;
        let Some(integration) = row else { return Ok(None) };
        Ok(Some(self.credentials(integration).await?))
    }

    async fn list_integrations(&self) -> Result<Vec<Credentials>> {
        let rows: Vec<Integration> = sqlx::query_as(sql::INTEGRATIONS.as_str()).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for integration in rows {
            out.push(self.credentials(integration).await?);
        }
        Ok(out)
    }

    async fn add_secret(&self, api_key: &str, secret: &SharedSecret, now: i64) -> Result<()> {
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
        let integration: IntegrationId = sqlx::query_scalar(sql::INTEGRATION_ID_BY_KEY)
            .bind(api_key)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(sql::ADD_SECRET)
            .bind(api_key)
            .bind(self.seal(secret, &integration))
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
        // Sealed with a fresh nonce each, a secret cannot be found by its
        // text in SQL: open each, then delete the one that matches as stored.
        let stored: Vec<Secret> = sqlx::query_as(sql::SECRETS_BY_KEY.as_str())
            .bind(api_key)
            .fetch_all(&mut *tx)
            .await?;
        let mut found = None;
        for row in stored {
            if self.open(&row.secret, &row.integration_id)?.expose_secret() == secret {
                found = Some(row.secret);
            }
        }
        let Some(stored) = found else {
            return Err(StoreError::NotFound);
        };
        sqlx::query(sql::REVOKE_SECRET)
            .bind(api_key)
            .bind(&stored)
            .execute(&mut *tx)
            .await?;
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

    async fn set_replay_window(&self, api_key: &str, window_secs: Option<i64>) -> Result<()> {
        let done = sqlx::query(sql::SET_REPLAY_WINDOW)
            .bind(api_key)
            .bind(window_secs)
            .execute(&self.pool)
            .await?;
        if DB::rows_affected(&done) == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn use_nonce(&self, nonce: &RequestNonce) -> Result<bool> {
        let done = table::insert([nonce], " ON CONFLICT DO NOTHING")
            .build()
            .execute(&self.pool)
            .await?;
        Ok(DB::rows_affected(&done) == 1)
    }

    async fn forget_nonces(&self, before: i64) -> Result<u64> {
        let done = sqlx::query(sql::FORGET_NONCES).bind(before).execute(&self.pool).await?;
        Ok(DB::rows_affected(&done))
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

    async fn set_webhooks(&self, api_key: &str, decisions: Option<&str>, events: Option<&str>) -> Result<()> {
        let done = sqlx::query(sql::SET_WEBHOOKS)
            .bind(api_key)
            .bind(decisions.map(str::to_owned))
            .bind(events.map(str::to_owned))
            .execute(&self.pool)
            .await?;
        if DB::rows_affected(&done) == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        table::insert([session], "").build().execute(&self.pool).await?;
        Ok(())
    }

    async fn session(&self, integration: &IntegrationId, session: &SessionId) -> Result<Option<Session>> {
        Ok(sqlx::query_as(sql::SESSION.as_str())
            .bind(session)
            .bind(integration)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn session_by_token(&self, token: &str) -> Result<Option<Session>> {
        Ok(sqlx::query_as(sql::SESSION_BY_TOKEN.as_str())
            .bind(token)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn insert_media(
        &self,
        m: &Media,
        key: Option<&ObjectKey>,
        evidence: &str,
        new_attempt: &AttemptId,
    ) -> Result<AttemptId> {
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
        let open: Option<AttemptId> = sqlx::query_scalar(sql::OPEN_ATTEMPT.as_str())
            .bind(&m.session_id)
            .fetch_optional(&mut *tx)
            .await?;
        let attempt_id = match open {
            Some(id) => id,
            None => {
                let attempt =
                    append_attempt::<DB>(&mut tx, &m.session_id, new_attempt, Status::Started, m.created_at, None)
                        .await?;
                let session: Session = sqlx::query_as(sql::SESSION.as_str())
                    .bind(&m.session_id)
                    .bind(&m.integration_id)
                    .fetch_one(&mut *tx)
                    .await?;
                let body = outbox::event_body(&session, &attempt, Action::Started);
                outbox::enqueue::<DB>(&mut tx, &session, WebhookKind::Event, body, m.created_at).await?;
                attempt
            }
        };
        let media = Media {
            attempt_id: attempt_id.clone(),
            ..m.clone()
        };
        let evidence = Evidence {
            media_id: m.id.clone(),
            evidence: evidence.to_owned(),
        };
        table::insert([&media], "").build().execute(&mut *tx).await?;
        if let Some(key) = key {
            table::insert([key], "").build().execute(&mut *tx).await?;
        }
        table::insert([&evidence], "").build().execute(&mut *tx).await?;
        tx.commit().await?;
        outbox::committed();
        Ok(attempt_id)
    }

    async fn submit(
        &self,
        integration: &IntegrationId,
        session_id: &SessionId,
        new_attempt: &AttemptId,
        now: i64,
    ) -> Result<Session> {
        let mut tx = self.pool.begin().await?;
        let row: Option<Session> = sqlx::query_as(sql::SUBMIT_SESSION.as_str())
            .bind(session_id)
            .bind(integration)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(session) = row else {
            let status = sqlx::query_scalar(sql::SESSION_STATUS)
                .bind(session_id)
                .bind(integration)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(missing_or_conflict(status));
        };
        let mut closed: Vec<AttemptId> = sqlx::query_scalar(sql::CLOSE_ATTEMPTS.as_str())
            .bind(session_id)
            .bind(session.status)
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
        if closed.is_empty() {
            closed.push(append_attempt::<DB>(&mut tx, session_id, new_attempt, session.status, now, Some(now)).await?);
        }
        for attempt in &closed {
            let body = outbox::event_body(&session, attempt, Action::Submitted);
            outbox::enqueue::<DB>(&mut tx, &session, WebhookKind::Event, body, now).await?;
            // A test integration's decision, taken on submit.
            if session.status != Status::Submitted {
                let decision = Decision {
                    attempt_id: attempt.clone(),
                    session_id: session_id.clone(),
                    status: session.status,
                    reason_code: kycmedia_proto::decision::test_reason_code(session.status),
                    decided_at: now,
                    decided_by: None,
                    comment: None,
                };
                record_decision::<DB>(&mut tx, &session, &decision, Some(now)).await?;
            }
        }
        tx.commit().await?;
        outbox::committed();
        Ok(session)
    }

    async fn decide(&self, session_id: &SessionId, verdict: &Verdict, now: i64) -> Result<Session> {
        let (decision, reason_code) = (verdict.status, verdict.reason_code);
        let mut tx = self.pool.begin().await?;
        // A write first, as every transaction here begins (see above).
        sqlx::query(sql::LOCK_ANY_SESSION)
            .bind(session_id)
            .execute(&mut *tx)
            .await?;
        // The provider's cap: the tenth attempt is declined rather than sent
        // back for another.
        let attempts: i64 = sqlx::query_scalar(sql::NEXT_ATTEMPT_SEQ)
            .bind(session_id)
            .fetch_one(&mut *tx)
            .await?;
        let (decision, reason_code) =
            if decision == Status::ResubmissionRequested && attempts > kycmedia_proto::decision::MAX_ATTEMPTS {
                (
                    Status::Declined,
                    Some(kycmedia_proto::decision::RESUBMISSION_LIMIT_EXCEEDED.0),
                )
            } else {
                (decision, reason_code)
            };
        let row: Option<Session> = sqlx::query_as(sql::DECIDE_SESSION.as_str())
            .bind(session_id)
            .bind(decision)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(session) = row else {
            let current: Option<String> = sqlx::query_scalar(sql::ANY_SESSION_STATUS)
                .bind(session_id)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(missing_or_conflict(current));
        };
        let decided: Vec<AttemptId> = sqlx::query_scalar(sql::DECIDE_ATTEMPTS)
            .bind(session_id)
            .bind(decision)
            .fetch_all(&mut *tx)
            .await?;
        for attempt in decided {
            let decision = Decision {
                attempt_id: attempt,
                session_id: session_id.clone(),
                status: decision,
                reason_code,
                decided_at: now,
                decided_by: verdict.by.clone(),
                comment: verdict.comment.clone(),
            };
            // Decided, the case is nobody's any more: a case sent to review
            // waits for whoever takes it next.
            sqlx::query(sql::DROP_ASSIGNMENT)
                .bind(&decision.attempt_id)
                .execute(&mut *tx)
                .await?;
            let submitted_at = sqlx::query_as::<DB, Attempt>(sql::ATTEMPT.as_str())
                .bind(&decision.attempt_id)
                .fetch_one(&mut *tx)
                .await?
                .submitted_at;
            record_decision::<DB>(&mut tx, &session, &decision, submitted_at).await?;
        }
        tx.commit().await?;
        outbox::committed();
        Ok(session)
    }

    async fn attempts(&self, integration: &IntegrationId, session: &SessionId) -> Result<Vec<Attempt>> {
        Ok(sqlx::query_as(sql::ATTEMPTS.as_str())
            .bind(session)
            .bind(integration)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn latest_attempt(&self, integration: &IntegrationId, session: &SessionId) -> Result<Option<Attempt>> {
        Ok(sqlx::query_as(sql::LATEST_ATTEMPT.as_str())
            .bind(session)
            .bind(integration)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn attempt_media(&self, integration: &IntegrationId, attempt: &AttemptId) -> Result<Option<AttemptMedia>> {
        let row: Option<(String, String)> = sqlx::query_as(DB::attempt_media())
            .bind(attempt)
            .bind(integration)
            .fetch_optional(&self.pool)
            .await?;
        let Some((session_id, json)) = row else {
            return Ok(None);
        };
        // serde reads each row's array into `Media` field by field, in the
        // order of its columns.
        let media: Vec<Media> = serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        Ok(Some(AttemptMedia {
            session_id: session_id.into(),
            media,
        }))
    }

    async fn stale_sessions(&self, created_before: i64, limit: i64) -> Result<Vec<SessionId>> {
        Ok(sqlx::query_scalar(sql::STALE_SESSIONS)
            .bind(created_before)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn expire(&self, session_id: &SessionId, new_attempt: &AttemptId, now: i64) -> Result<Option<Session>> {
        let mut tx = self.pool.begin().await?;
        let row: Option<Session> = sqlx::query_as(sql::EXPIRE_SESSION.as_str())
            .bind(session_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(session) = row else { return Ok(None) };
        let mut ended: Vec<AttemptId> = sqlx::query_scalar(sql::END_OPEN_ATTEMPTS.as_str())
            .bind(session_id)
            .bind(session.status)
            .fetch_all(&mut *tx)
            .await?;
        if ended.is_empty() {
            ended.push(append_attempt::<DB>(&mut tx, session_id, new_attempt, session.status, now, None).await?);
        }
        for attempt in ended {
            let decision = Decision {
                attempt_id: attempt,
                session_id: session_id.clone(),
                status: session.status,
                reason_code: None,
                decided_at: now,
                decided_by: None,
                comment: None,
            };
            record_decision::<DB>(&mut tx, &session, &decision, None).await?;
        }
        tx.commit().await?;
        outbox::committed();
        Ok(Some(session))
    }

    async fn decision(&self, integration: &IntegrationId, session: &SessionId) -> Result<Option<(Decision, Attempt)>> {
        let decision: Option<Decision> = sqlx::query_as(sql::DECISION.as_str())
            .bind(session)
            .bind(integration)
            .fetch_optional(&self.pool)
            .await?;
        let Some(decision) = decision else { return Ok(None) };
        let attempt = sqlx::query_as(sql::ATTEMPT.as_str())
            .bind(&decision.attempt_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(Some((decision, attempt)))
    }

    async fn media(&self, integration: &IntegrationId, media: &MediaId) -> Result<Option<Media>> {
        Ok(sqlx::query_as(sql::MEDIA.as_str())
            .bind(media)
            .bind(integration)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn object_key(&self, integration: &IntegrationId, media: &MediaId) -> Result<Option<ObjectKey>> {
        Ok(sqlx::query_as(sql::OBJECT_KEY.as_str())
            .bind(media)
            .bind(integration)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn key_census(&self) -> Result<KeyCensus> {
        let objects_by_master: Vec<(String, i64)> =
            sqlx::query_as(sql::OBJECTS_BY_MASTER).fetch_all(&self.pool).await?;
        let plaintext_objects: i64 = sqlx::query_scalar(sql::PLAINTEXT_OBJECTS).fetch_one(&self.pool).await?;
        let secrets: Vec<Secret> = sqlx::query_as(sql::ALL_SECRETS.as_str()).fetch_all(&self.pool).await?;
        let mut census = KeyCensus {
            objects_by_master: objects_by_master.into_iter().collect(),
            plaintext_objects,
            ..KeyCensus::default()
        };
        for secret in &secrets {
            match sealed_secret_under(secret.secret.expose_secret()) {
                Some(id) => *census.secrets_by_master.entry(id.to_owned()).or_default() += 1,
                None => census.plaintext_secrets += 1,
            }
        }
        Ok(census)
    }

    async fn object_keys_not_under(&self, master_key_id: &str, limit: i64) -> Result<Vec<ObjectKey>> {
        Ok(sqlx::query_as(sql::OBJECT_KEYS_NOT_UNDER.as_str())
            .bind(master_key_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn rewrap(&self, old: &ObjectKey, new: &ObjectKey) -> Result<bool> {
        let done = sqlx::query(sql::REWRAP)
            .bind(&old.media_id)
            .bind(&old.master_key_id)
            .bind(&new.master_key_id)
            .bind(&new.wrapped)
            .execute(&self.pool)
            .await?;
        Ok(DB::rows_affected(&done) == 1)
    }

    async fn plaintext_media(&self, after: &str, limit: i64) -> Result<Vec<Media>> {
        Ok(sqlx::query_as(sql::PLAINTEXT_MEDIA.as_str())
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn seal_media(&self, key: &ObjectKey, blob_key: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query(sql::MOVE_MEDIA_BLOB)
            .bind(&key.media_id)
            .bind(blob_key)
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&moved) == 0 {
            // Deleted meanwhile: nothing to record.
            return Ok(false);
        }
        table::insert([key], "").build().execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn reseal_secrets(&self) -> Result<u64> {
        let keys = self.keys.as_ref().ok_or(KeyError::NoMasterKey)?;
        let current = keys.current().id();
        let stored: Vec<Secret> = sqlx::query_as(sql::ALL_SECRETS.as_str()).fetch_all(&self.pool).await?;
        let mut resealed = 0;
        for row in stored {
            if sealed_secret_under(row.secret.expose_secret()) == Some(current) {
                continue;
            }
            let opened = self.open(&row.secret, &row.integration_id)?;
            let done = sqlx::query(sql::RESEAL_SECRET)
                .bind(&row.integration_id)
                .bind(&row.secret)
                .bind(self.seal(&opened, &row.integration_id))
                .execute(&self.pool)
                .await?;
            resealed += DB::rows_affected(&done);
        }
        Ok(resealed)
    }

    async fn delete_session(&self, integration: &IntegrationId, session: &SessionId) -> Result<Vec<String>> {
        let mut tx = self.pool.begin().await?;
        // Waits for an upload in flight to commit, so that its media is
        // deleted below and its key returned, not cascaded away unreported.
        let found = sqlx::query(sql::LOCK_SESSION)
            .bind(session)
            .bind(integration)
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&found) == 0 {
            return Err(StoreError::NotFound);
        }
        let keys: Vec<String> = sqlx::query_scalar(sql::DELETE_SESSION_MEDIA)
            .bind(session)
            .bind(integration)
            .fetch_all(&mut *tx)
            .await?;
        sqlx::query(sql::DELETE_SESSION_ATTEMPTS)
            .bind(session)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql::DELETE_SESSION_WEBHOOKS)
            .bind(session)
            .bind(integration)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql::DELETE_SESSION)
            .bind(session)
            .bind(integration)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if let Some(scrub) = DB::AFTER_DELETE
            && let Err(e) = sqlx::query(scrub).execute(&self.pool).await
        {
            tracing::warn!(error = %e, "scrubbing a deleted session's rows from the database files");
        }
        Ok(keys)
    }

    async fn evidence(&self, integration: &IntegrationId, media: &[MediaId]) -> Result<HashMap<MediaId, String>> {
        let rows: Vec<(String, String)> = sqlx::query_as(DB::EVIDENCE)
            .bind(json_array(media)?)
            .bind(integration)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|(id, evidence)| (id.into(), evidence)).collect())
    }

    async fn integration(&self, id: &IntegrationId) -> Result<Option<Credentials>> {
        let row: Option<Integration> = sqlx::query_as(sql::INTEGRATION.as_str())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(integration) = row else { return Ok(None) };
        Ok(Some(self.credentials(integration).await?))
    }

    async fn claim_webhooks(&self, now: i64, lease_until: i64, limit: i64) -> Result<Vec<Webhook>> {
        Ok(sqlx::query_as(sql::CLAIM_WEBHOOKS.as_str())
            .bind(now)
            .bind(lease_until)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn finish_webhook(&self, attempt: &WebhookAttempt, state: WebhookState, next_attempt_at: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let delivered_at = (state == WebhookState::Delivered).then_some(attempt.at);
        let found = sqlx::query(sql::FINISH_WEBHOOK)
            .bind(&attempt.webhook_id)
            .bind(state)
            .bind(next_attempt_at)
            .bind(delivered_at)
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&found) == 0 {
            // Its session was deleted while it was being sent: nothing to log.
            return Ok(());
        }
        table::insert([attempt], "").build().execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn webhooks(
        &self,
        session: Option<&SessionId>,
        failed_only: bool,
        limit: i64,
    ) -> Result<Vec<(Webhook, Vec<WebhookAttempt>)>> {
        let webhooks: Vec<Webhook> = sqlx::query_as(sql::WEBHOOKS.as_str())
            .bind(session.cloned())
            .bind(failed_only)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(webhooks.len());
        for webhook in webhooks {
            let attempts = sqlx::query_as(sql::WEBHOOK_ATTEMPTS.as_str())
                .bind(&webhook.id)
                .fetch_all(&self.pool)
                .await?;
            out.push((webhook, attempts));
        }
        Ok(out)
    }

    async fn webhook_backlog(&self) -> Result<(i64, Option<i64>)> {
        Ok(sqlx::query_as(sql::WEBHOOK_BACKLOG).fetch_one(&self.pool).await?)
    }

    async fn append_audit(&self, rows: &mut [AuditRecord]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query(sql::START_AUDIT_HEAD)
            .bind(audit::GENESIS.to_vec())
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql::LOCK_AUDIT_HEAD).execute(&mut *tx).await?;
        let head: AuditHead = sqlx::query_as(sql::AUDIT_HEAD.as_str()).fetch_one(&mut *tx).await?;
        let (mut seq, mut hash) = (head.seq, head.hash);
        for row in rows.iter_mut() {
            seq += 1;
            row.seq = seq;
            hash = audit::link(&hash, row);
            row.hash = hash.clone();
        }
        // 14 columns: 500 rows stay under both databases' parameter limits.
        // Not prepared for reuse: each batch size is a statement text of its
        // own, and caching hundreds of them (per connection) grew a loaded
        // server's memory without end (`bench/soak.sh`).
        for chunk in rows.chunks(500) {
            table::insert(chunk, "")
                .build()
                .persistent(false)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(sql::SET_AUDIT_HEAD)
            .bind(seq)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_records(&self, filter: &AuditFilter, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        Ok(sqlx::query_as(sql::AUDIT_RECORDS.as_str())
            .bind(after_seq)
            .bind(&filter.session)
            .bind(filter.since)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn audit_head(&self) -> Result<AuditHead> {
        let head: Option<AuditHead> = sqlx::query_as(sql::AUDIT_HEAD.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(head.unwrap_or(AuditHead {
            id: 1,
            seq: 0,
            hash: audit::GENESIS.to_vec(),
        }))
    }

    async fn replay_webhooks(&self, which: &Replay, now: i64) -> Result<u64> {
        let (one, session, since) = match which {
            Replay::One(id) => (Some(id.clone()), None, None),
            Replay::Session(session) => (None, Some(session.clone()), None),
            Replay::FailedSince(at) => (None, None, Some(*at)),
        };
        let done = sqlx::query(sql::REPLAY_WEBHOOKS)
            .bind(one)
            .bind(session)
            .bind(since)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(DB::rows_affected(&done))
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

/// Adds an attempt after the session's last, in the caller's transaction,
/// which holds the session's row; returns its id.
async fn append_attempt<DB: Driver>(
    conn: &mut DB::Connection,
    session: &SessionId,
    id: &AttemptId,
    status: Status,
    created_at: i64,
    submitted_at: Option<i64>,
) -> Result<AttemptId> {
    let seq = sqlx::query_scalar(sql::NEXT_ATTEMPT_SEQ)
        .bind(session)
        .fetch_one(&mut *conn)
        .await?;
    let attempt = Attempt {
        id: id.clone(),
        session_id: session.clone(),
        status,
        created_at,
        seq,
        submitted_at,
    };
    table::insert([&attempt], "").build().execute(&mut *conn).await?;
    Ok(attempt.id)
}

/// Stores the attempt's decision, replacing an earlier one (`review`), and
/// enqueues its webhook, in the caller's transaction.
async fn record_decision<DB: Driver>(
    conn: &mut DB::Connection,
    session: &Session,
    decision: &Decision,
    submitted_at: Option<i64>,
) -> Result<()> {
    sqlx::query(sql::DELETE_DECISION)
        .bind(&decision.attempt_id)
        .execute(&mut *conn)
        .await?;
    table::insert([decision], "").build().execute(&mut *conn).await?;
    let body = outbox::decision_body(session, decision, submitted_at);
    outbox::enqueue::<DB>(conn, session, WebhookKind::Decision, body, decision.decided_at).await
}

fn missing_or_conflict(status: Option<String>) -> StoreError {
    status.map_or(StoreError::NotFound, StoreError::Conflict)
}
