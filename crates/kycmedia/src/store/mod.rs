//! Metadata storage behind one interface, so that the HTTP layer never knows
//! which database it talks to: SQLite, the embedded default, or PostgreSQL,
//! for several servers. One implementation serves both (`engine`), with the
//! statements in `sql` and the few differences in each backend's `Dialect`.

pub mod audit;
pub mod copy;
mod driver;
mod engine;
#[cfg(test)]
pub(crate) mod fixtures;
mod inspect;
mod outbox;
mod postgres;
pub mod reviews;
mod rows;
mod sql;
mod sqlite;
mod table;

use std::{collections::HashMap, sync::Arc};

use async_trait::async_trait;
use kycmedia_proto::{Status, webhook::WebhookState};

pub use audit::AuditFilter;
pub use copy::RowCopy;
pub use inspect::{DatabaseFile, Inspection, MigrationName, Migrations, Reachability, inspect};
pub use outbox::{ENQUEUED, decision_object};
pub use postgres::PostgresStore;
pub use reviews::{CaseFilter, DecisionBy, Reviews, WaitingCase};
pub use rows::{
    Assignment, Attempt, AuditHead, AuditRecord, ConsoleSession, Credentials, Decision, Evidence, Integration, Media,
    ObjectKey, RequestNonce, Reviewer, ReviewerIntegration, Secret, SecretText, Session, SharedSecret, Webhook,
    WebhookAttempt,
};
pub use sqlite::SqliteStore;
pub use table::Columns;

use crate::{
    ids::{AttemptId, IntegrationId, MediaId, SessionId, WebhookId},
    keys::KeyRing,
};

/// Errors of the store layer. `NotFound` and `Conflict` are outcomes a caller
/// acts on; `Database` is a failure to log and report as 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The row exists but is not in a state that allows the change; carries
    /// the current status.
    #[error("conflict: current status is {0}")]
    Conflict(String),
    /// An integration already has the most secrets it may hold, or would be
    /// left with none.
    #[error("{0}")]
    Invalid(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DATABASE")]
    UnsupportedUrl(String),
    #[error("another kycmedia server is serving this database (lock {0}); one SQLite database serves one server")]
    Locked(std::path::PathBuf),
    #[error("lock file {0}: {1}")]
    LockFile(std::path::PathBuf, std::io::Error),
    #[error("database file {0}: {1}")]
    DatabaseFile(std::path::PathBuf, std::io::Error),
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// How many shared secrets an integration may hold at once.
pub const MAX_SECRETS: usize = 5;

/// An attempt's ranked media and the session it belongs to.
#[derive(Debug, Clone)]
pub struct AttemptMedia {
    pub session_id: SessionId,
    pub media: Vec<Media>,
}

/// What the media table holds, over every tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Media rows.
    pub objects: i64,
    /// The sum of their sizes in bytes.
    pub bytes: i64,
}

/// What is sealed under which master key, over every tenant: what the
/// server checks before it starts, and what `keys` commands report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyCensus {
    /// Objects whose data key each master key (by id) wraps.
    pub objects_by_master: std::collections::BTreeMap<String, i64>,
    /// Media rows with no data key: their objects are stored in plaintext.
    pub plaintext_objects: i64,
    /// Shared secrets sealed under each master key.
    pub secrets_by_master: std::collections::BTreeMap<String, i64>,
    pub plaintext_secrets: i64,
}

/// A moment's view of the connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections, idle or in use.
    pub size: u32,
    /// Open connections waiting in the pool.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

impl PoolStats {
    /// Connections checked out by a query or transaction.
    pub fn in_use(&self) -> u32 {
        self.size.saturating_sub(self.idle)
    }
}

/// Everything kycmedia keeps about integrations, sessions, attempts and media.
/// Every read and write of tenant data names the integration, so one tenant's
/// query cannot reach another's rows. The whole-row copy of `migrate-db` is
/// another trait (`RowCopy`), out of reach of whoever holds a `Store`:
///
/// ```compile_fail
/// # async fn handler(store: &dyn kycmedia::store::Store, after: &kycmedia::store::copy::RowKey) {
/// let _ = store.export(kycmedia::store::copy::Table::Media, after, 10).await;
/// # }
/// ```
#[async_trait]
pub trait Store: Send + Sync {
    /// Answers when the database does; `/readyz` uses it.
    async fn ping(&self) -> Result<()>;
    /// Media rows and bytes over all tenants, for the metrics.
    async fn totals(&self) -> Result<Totals>;
    /// The connection pool's current use; asks the database nothing.
    fn pool_stats(&self) -> PoolStats;
    /// The review console's accounts, sessions and queue, in the same database.
    fn reviews(&self) -> &dyn Reviews;

    /// Stores the integration with its first secret.
    async fn create_integration(&self, integration: &Integration, secret: &SharedSecret) -> Result<Credentials>;
    async fn integration_by_key(&self, api_key: &str) -> Result<Option<Credentials>>;
    /// The same, by id: what a webhook is signed with.
    async fn integration(&self, id: &IntegrationId) -> Result<Option<Credentials>>;
    async fn list_integrations(&self) -> Result<Vec<Credentials>>;
    /// Fails with `Invalid` when the integration already holds `MAX_SECRETS`.
    async fn add_secret(&self, api_key: &str, secret: &SharedSecret, now: i64) -> Result<()>;
    /// Fails with `Invalid` when it is the last secret, `NotFound` when unknown.
    async fn revoke_secret(&self, api_key: &str, secret: &str) -> Result<()>;
    async fn disable_integration(&self, api_key: &str) -> Result<()>;
    /// Turns replay protection on with this window, or off with `None`.
    async fn set_replay_window(&self, api_key: &str, window_secs: Option<i64>) -> Result<()>;
    /// Records a replay-protected request's nonce; `false` when the
    /// integration used it before (within the window: older ones are
    /// forgotten, see `forget_nonces`).
    async fn use_nonce(&self, nonce: &RequestNonce) -> Result<bool>;
    /// Forgets nonces seen before `before` (ms), over every tenant.
    async fn forget_nonces(&self, before: i64) -> Result<u64>;
    /// Replaces both webhook URLs; `None` sends no such webhooks.
    async fn set_webhooks(&self, api_key: &str, decisions: Option<&str>, events: Option<&str>) -> Result<()>;

    async fn create_session(&self, session: &Session) -> Result<()>;
    async fn session(&self, integration: &IntegrationId, session: &SessionId) -> Result<Option<Session>>;
    /// The session whose `verification.url` carries this token, whichever
    /// integration's it is: the token is the capture page's only credential.
    async fn session_by_token(&self, token: &str) -> Result<Option<Session>>;
    /// Stores a media row and its evidence in the session's open attempt,
    /// opening one (with `new_attempt`) when there is none, atomically:
    /// concurrent uploads land in one attempt. Returns the attempt it went
    /// into; `Conflict` when the session no longer accepts media.
    /// `media.attempt_id` is ignored. The evidence is the analysis's JSON;
    /// `key` the object's wrapped data key, none for a plaintext object.
    async fn insert_media(
        &self,
        media: &Media,
        key: Option<&ObjectKey>,
        evidence: &str,
        new_attempt: &AttemptId,
    ) -> Result<AttemptId>;
    /// Closes the open attempt (opening an empty one when there is none) as
    /// `submitted`, or directly as the session's automatic decision.
    async fn submit(
        &self,
        integration: &IntegrationId,
        session: &SessionId,
        new_attempt: &AttemptId,
        now: i64,
    ) -> Result<Session>;
    /// Records a decision on a submitted session (or one in review), and
    /// enqueues its webhook.
    async fn decide(&self, session: &SessionId, verdict: &Verdict, now: i64) -> Result<Session>;
    /// Sessions created before `created_before` and never submitted, oldest
    /// first, at most `limit` (over every tenant, for the expiry task).
    async fn stale_sessions(&self, created_before: i64, limit: i64) -> Result<Vec<SessionId>>;
    /// Ends a session by time, as `Status::after(Event::Expire)` says, with
    /// a decision on its open attempt (an empty one when it has none) and the
    /// decision's webhook; `None` when it was submitted or ended meanwhile.
    async fn expire(&self, session: &SessionId, new_attempt: &AttemptId, now: i64) -> Result<Option<Session>>;
    /// The session's latest decision; `None` before there is one.
    async fn decision(&self, integration: &IntegrationId, session: &SessionId) -> Result<Option<(Decision, Attempt)>>;
    /// The session's attempts, newest first.
    async fn attempts(&self, integration: &IntegrationId, session: &SessionId) -> Result<Vec<Attempt>>;
    async fn latest_attempt(&self, integration: &IntegrationId, session: &SessionId) -> Result<Option<Attempt>>;
    /// The attempt's media, best first: matches before non-matches, then
    /// by score, then upload order; `None` when the integration has no such attempt.
    async fn attempt_media(&self, integration: &IntegrationId, attempt: &AttemptId) -> Result<Option<AttemptMedia>>;
    async fn media(&self, integration: &IntegrationId, media: &MediaId) -> Result<Option<Media>>;
    /// The wrapped data key of a media's object; `None` when the
    /// integration has no such media, or its object is plaintext.
    async fn object_key(&self, integration: &IntegrationId, media: &MediaId) -> Result<Option<ObjectKey>>;
    /// Over every tenant (the start-up check, `keys` commands).
    async fn key_census(&self) -> Result<KeyCensus>;
    /// Up to `limit` data keys wrapped by another master key than this one
    /// (`keys rotate`, a batch at a time).
    async fn object_keys_not_under(&self, master_key_id: &str, limit: i64) -> Result<Vec<ObjectKey>>;
    /// Replaces `old` with `new` if the row still holds `old`'s master key
    /// id; `false` when it did not (deleted, or re-wrapped meanwhile).
    async fn rewrap(&self, old: &ObjectKey, new: &ObjectKey) -> Result<bool>;
    /// Up to `limit` media rows whose objects have no data key, with ids
    /// after `after`, in id order (`keys encrypt-existing`).
    async fn plaintext_media(&self, after: &str, limit: i64) -> Result<Vec<Media>>;
    /// Records, in one transaction, that a media's object is sealed now,
    /// under `blob_key`, with this data key; `false` when the media was
    /// deleted meanwhile.
    async fn seal_media(&self, key: &ObjectKey, blob_key: &str) -> Result<bool>;
    /// Seals every shared secret not sealed under the current master key
    /// (plaintext ones included); returns how many it sealed.
    async fn reseal_secrets(&self) -> Result<u64>;
    /// Deletes the session with its attempts, media rows and evidence;
    /// returns the blob keys the caller must now erase.
    async fn delete_session(&self, integration: &IntegrationId, session: &SessionId) -> Result<Vec<String>>;
    /// The stored evidence of those of `media` the integration owns, by id.
    async fn evidence(&self, integration: &IntegrationId, media: &[MediaId]) -> Result<HashMap<MediaId, String>>;
    /// The keys among `blob_keys` that no media row points at (the orphan
    /// sweep asks, a batch at a time).
    async fn unreferenced_blobs(&self, blob_keys: &[String]) -> Result<Vec<String>>;

    /// Leases up to `limit` webhooks due at `now` until `lease_until`: each
    /// the earliest pending one of its session (`sql::CLAIM_WEBHOOKS`).
    async fn claim_webhooks(&self, now: i64, lease_until: i64, limit: i64) -> Result<Vec<Webhook>>;
    /// Records a delivery attempt and where the webhook now stands, ending
    /// its lease.
    async fn finish_webhook(&self, attempt: &WebhookAttempt, state: WebhookState, next_attempt_at: i64) -> Result<()>;
    /// The delivery log over every tenant (operator command): the newest
    /// `limit` webhooks, of one session or all, only the failed and gone
    /// ones when asked, each with its attempts.
    async fn webhooks(
        &self,
        session: Option<&SessionId>,
        failed_only: bool,
        limit: i64,
    ) -> Result<Vec<(Webhook, Vec<WebhookAttempt>)>>;
    /// How many webhooks are still to be delivered, and when the oldest was
    /// written; for the metrics.
    async fn webhook_backlog(&self) -> Result<(i64, Option<i64>)>;
    /// Sends the chosen webhooks again from the start of the retry
    /// schedule; returns how many.
    async fn replay_webhooks(&self, which: &Replay, now: i64) -> Result<u64>;

    /// Appends to the audit trail, in order, in one transaction: numbers
    /// the rows on from the chain's end and links each to the one before
    /// (`seq` and `hash` are filled in).
    async fn append_audit(&self, rows: &mut [AuditRecord]) -> Result<()>;
    /// Up to `limit` audit rows after `after_seq`, in order.
    async fn audit_records(&self, filter: &AuditFilter, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>>;
    /// The chain's end, as the last append left it.
    async fn audit_head(&self) -> Result<AuditHead>;
}

/// A decision as it is taken: by a command (`by` none) or by a reviewer
/// in the console, with the provider's reason code where one fits.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub status: Status,
    pub reason_code: Option<i64>,
    pub by: Option<crate::ids::ReviewerId>,
    pub comment: Option<String>,
}

impl Verdict {
    /// A decision of a command or the automation.
    pub fn of(status: Status, reason_code: Option<i64>) -> Verdict {
        Verdict {
            status,
            reason_code,
            by: None,
            comment: None,
        }
    }
}

/// Which webhooks `replay_webhooks` sends again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    One(WebhookId),
    Session(SessionId),
    /// Every failed or gone webhook created at or after this time (ms).
    FailedSince(i64),
}

/// Takes the exclusive serve lock of a SQLite database file (`<file>.serve.lock`),
/// held until the returned file is dropped. A server holding it is the only
/// process writing media, so it may cache what it reads. `None` for databases
/// without a file of their own.
///
/// It runs before `connect`, so it creates the database's directory (0700)
/// when missing; the lock file is 0600.
pub fn serve_lock(url: &str) -> Result<Option<std::fs::File>> {
    if !url.starts_with("sqlite:") {
        return Ok(None);
    }
    let Some(path) = sqlite::database_file(url)? else {
        return Ok(None);
    };
    let mut lock_path = path.into_os_string();
    lock_path.push(".serve.lock");
    let lock_path = std::path::PathBuf::from(lock_path);
    if let Some(parent) = lock_path.parent() {
        crate::fsmode::create_dir_all(parent).map_err(|e| StoreError::LockFile(lock_path.clone(), e))?;
    }
    let file = crate::fsmode::open_file(&lock_path).map_err(|e| StoreError::LockFile(lock_path.clone(), e))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked(lock_path)),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::LockFile(lock_path, e)),
    }
}

/// Opens the store a database URL names, running its migrations.
/// `max_connections` sizes a PostgreSQL pool; SQLite keeps its own.
/// `keys` seals shared secrets; `None` writes them in plaintext.
pub async fn connect(url: &str, max_connections: u32, keys: Option<Arc<KeyRing>>) -> Result<Arc<dyn Store>> {
    Ok(match open(url, max_connections, keys).await? {
        Opened::Sqlite(store) => Arc::new(store),
        Opened::Postgres(store) => Arc::new(store),
    })
}

/// The same database, opened for `migrate-db`'s whole-row copy instead,
/// which copies sealed secrets as they are stored, without opening them.
pub async fn connect_for_copy(url: &str, max_connections: u32) -> Result<Arc<dyn RowCopy>> {
    Ok(match open(url, max_connections, None).await? {
        Opened::Sqlite(store) => Arc::new(store),
        Opened::Postgres(store) => Arc::new(store),
    })
}

enum Opened {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

async fn open(url: &str, max_connections: u32, keys: Option<Arc<KeyRing>>) -> Result<Opened> {
    if url.starts_with("sqlite:") {
        Ok(Opened::Sqlite(sqlite::connect(url, keys).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Opened::Postgres(postgres::connect(url, max_connections, keys).await?))
    } else {
        Err(StoreError::UnsupportedUrl(redacted(url)))
    }
}

/// The URL with any password replaced, fit for a log line or an error.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
