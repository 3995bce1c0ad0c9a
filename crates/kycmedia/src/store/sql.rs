//! The statements the SQLite and PostgreSQL stores share: the same text runs
//! on both (`$n` placeholders, `RETURNING`, `ON CONFLICT` and row values work
//! on either). Column lists come from the row types (`rows`, `table`), so
//! they are written once; only what differs lives in `sqlite.rs` and
//! `postgres.rs`.
//!
//! Every status list in these statements is the state machine's
//! (`kycmedia_proto::transitions`), and `tests/api/transitions.rs` checks
//! each guarded write against it, status by status, on both databases.

use std::sync::LazyLock;

use super::{
    rows::{
        Attempt, AuditHead, AuditRecord, Decision, Integration, Media, ObjectKey, Secret, Session, Webhook,
        WebhookAttempt,
    },
    table::Columns,
};

/// Statuses of an attempt that still takes uploads, as SQL.
const OPEN_STATUSES: &str = "('created','started')";

/// A statement that embeds a row type's columns, built on first use.
type Statement = LazyLock<String>;

pub const PING: &str = "SELECT 1";
/// The cast keeps one text for both: PostgreSQL sums a BIGINT as NUMERIC.
pub const TOTALS: &str = "SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM media";
/// sqlx's record of applied migrations (ask `Dialect::MIGRATIONS_TABLE` first:
/// a new database has no such table).
pub const APPLIED_MIGRATIONS: &str = "SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version";

pub static SECRETS: Statement = LazyLock::new(|| {
    format!(
        "SELECT {} FROM integration_secrets WHERE integration_id = $1 ORDER BY seq DESC",
        Secret::COLUMNS
    )
});
/// $1 API key: the integration's secrets as stored (sealed, usually).
pub static SECRETS_BY_KEY: Statement = LazyLock::new(|| {
    format!(
        "SELECT {} FROM integration_secrets WHERE integration_id = (SELECT id FROM integrations WHERE api_key = $1)",
        Secret::COLUMNS
    )
});
pub static ALL_SECRETS: Statement = LazyLock::new(|| format!("SELECT {} FROM integration_secrets", Secret::COLUMNS));
pub const INTEGRATION_ID_BY_KEY: &str = "SELECT id FROM integrations WHERE api_key = $1";
/// $1 integration, $2 the secret as stored now, $3 as it is to be stored.
pub const RESEAL_SECRET: &str = "UPDATE integration_secrets SET secret = $3 WHERE integration_id = $1 AND secret = $2";
pub const SECRET_COUNT: &str =
    "SELECT COUNT(*) FROM integration_secrets s JOIN integrations i ON i.id = s.integration_id WHERE i.api_key = $1";
pub static INTEGRATION_BY_KEY: Statement =
    LazyLock::new(|| format!("SELECT {} FROM integrations WHERE api_key = $1", Integration::COLUMNS));
pub static INTEGRATIONS: Statement = LazyLock::new(|| {
    format!(
        "SELECT {} FROM integrations ORDER BY created_at, id",
        Integration::COLUMNS
    )
});
/// $1 API key, $2 secret, $3 created_at; numbered after the integration's last.
pub const ADD_SECRET: &str = "INSERT INTO integration_secrets (integration_id, secret, created_at, seq)
     SELECT i.id, $2, $3, COALESCE((SELECT MAX(seq) FROM integration_secrets s WHERE s.integration_id = i.id), 0) + 1
     FROM integrations i WHERE i.api_key = $1";
pub const REVOKE_SECRET: &str = "DELETE FROM integration_secrets WHERE secret = $2
     AND integration_id = (SELECT id FROM integrations WHERE api_key = $1)";
/// A write that changes nothing: it locks the integration's row until commit.
pub const LOCK_INTEGRATION: &str = "UPDATE integrations SET active = active WHERE api_key = $1";
/// A write that changes nothing: it locks the session's row until commit.
pub const LOCK_SESSION: &str = "UPDATE sessions SET status = status WHERE id = $1 AND integration_id = $2";
pub const SET_WEBHOOKS: &str =
    "UPDATE integrations SET decision_webhook_url = $2, event_webhook_url = $3 WHERE api_key = $1";
/// The same, by id alone (operator commands).
pub const LOCK_ANY_SESSION: &str = "UPDATE sessions SET status = status WHERE id = $1";
pub const SET_REPLAY_WINDOW: &str = "UPDATE integrations SET replay_window_secs = $2 WHERE api_key = $1";
pub const FORGET_NONCES: &str = "DELETE FROM request_nonces WHERE seen_at < $1";
pub const DISABLE_INTEGRATION: &str = "UPDATE integrations SET active = FALSE WHERE api_key = $1";

pub const SESSION_STATUS: &str = "SELECT status FROM sessions WHERE id = $1 AND integration_id = $2";
pub const ANY_SESSION_STATUS: &str = "SELECT status FROM sessions WHERE id = $1";
pub static SESSION: Statement = LazyLock::new(|| {
    format!(
        "SELECT {} FROM sessions WHERE id = $1 AND integration_id = $2",
        Session::COLUMNS
    )
});
/// $1 a session token: the capture page's one credential.
pub static SESSION_BY_TOKEN: Statement =
    LazyLock::new(|| format!("SELECT {} FROM sessions WHERE session_token = $1", Session::COLUMNS));
/// Marks the session as taking uploads; touching no row means it does not.
pub const OPEN_SESSION: &str = "UPDATE sessions SET status = 'started'
     WHERE id = $1 AND integration_id = $2 AND status IN ('created','started','resubmission_requested')";
pub static SUBMIT_SESSION: Statement = LazyLock::new(|| {
    format!(
        "UPDATE sessions SET status = COALESCE(auto_decision, 'submitted')
         WHERE id = $1 AND integration_id = $2 AND status IN {OPEN_STATUSES} RETURNING {}",
        Session::COLUMNS
    )
});
pub static DECIDE_SESSION: Statement = LazyLock::new(|| {
    format!(
        "UPDATE sessions SET status = $2 WHERE id = $1 AND status IN ('submitted','review')
         AND NOT (status = 'review' AND $2 = 'review') RETURNING {}",
        Session::COLUMNS
    )
});
pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE id = $1 AND integration_id = $2";

pub static OPEN_ATTEMPT: Statement = LazyLock::new(|| {
    format!("SELECT id FROM attempts WHERE session_id = $1 AND status IN {OPEN_STATUSES} ORDER BY seq DESC LIMIT 1")
});
/// The `seq` of a session's next attempt.
pub const NEXT_ATTEMPT_SEQ: &str = "SELECT COALESCE(MAX(seq), 0) + 1 FROM attempts WHERE session_id = $1";
/// Returns the ids of the attempts it closed.
/// Returns the ids of the attempts it closed.
pub static CLOSE_ATTEMPTS: Statement = LazyLock::new(|| {
    format!(
        "UPDATE attempts SET status = $2, submitted_at = $3 WHERE session_id = $1 AND status IN {OPEN_STATUSES}
         RETURNING id"
    )
});
/// Returns the ids of the attempts it decided.
pub const DECIDE_ATTEMPTS: &str =
    "UPDATE attempts SET status = $2 WHERE session_id = $1 AND status IN ('submitted','review') RETURNING id";
/// $1 session, $2 integration: the session's attempts, newest first.
pub static ATTEMPTS: Statement = LazyLock::new(|| {
    format!(
        "SELECT {} FROM attempts
         WHERE session_id = $1 AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = $1 AND s.integration_id = $2)
         ORDER BY seq DESC",
        Attempt::COLUMNS
    )
});
pub static LATEST_ATTEMPT: Statement = LazyLock::new(|| format!("{} LIMIT 1", *ATTEMPTS));
pub const DROP_ASSIGNMENT: &str = "DELETE FROM assignments WHERE attempt_id = $1";
pub const DELETE_SESSION_ATTEMPTS: &str = "DELETE FROM attempts WHERE session_id = $1";
/// A deleted session's webhooks, sent or not, and (by cascade) their
/// delivery log: they carry its vendorData and endUserId.
pub const DELETE_SESSION_WEBHOOKS: &str = "DELETE FROM webhooks WHERE session_id = $1 AND integration_id = $2";

pub static MEDIA: Statement = LazyLock::new(|| {
    format!(
        "SELECT {} FROM media WHERE id = $1 AND integration_id = $2",
        Media::COLUMNS
    )
});
/// $1 the genesis hash: the chain's end before its first row, written by
/// the first append (a database copied by `migrate-db` gets the source's).
pub const START_AUDIT_HEAD: &str =
    "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, $1) ON CONFLICT (id) DO NOTHING";
/// A write that changes nothing: it locks the chain's end until commit.
pub const LOCK_AUDIT_HEAD: &str = "UPDATE audit_head SET seq = seq WHERE id = 1";
pub static AUDIT_HEAD: Statement =
    LazyLock::new(|| format!("SELECT {} FROM audit_head WHERE id = 1", AuditHead::COLUMNS));
pub const SET_AUDIT_HEAD: &str = "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1";
/// $1 after seq, $2 session or NULL, $3 since or NULL, $4 limit.
pub static AUDIT_RECORDS: Statement = LazyLock::new(|| {
    format!(
        "SELECT {} FROM audit_log WHERE seq > $1
         AND ($2 IS NULL OR session_id = $2) AND ($3 IS NULL OR at >= $3) ORDER BY seq LIMIT $4",
        AuditRecord::COLUMNS
    )
});

/// $1 media, $2 integration: the wrapped data key of its object.
pub static OBJECT_KEY: Statement = LazyLock::new(|| {
    format!(
        "SELECT {} FROM object_keys WHERE media_id = $1
         AND EXISTS (SELECT 1 FROM media m WHERE m.id = $1 AND m.integration_id = $2)",
        ObjectKey::COLUMNS
    )
});
pub const OBJECTS_BY_MASTER: &str = "SELECT master_key_id, COUNT(*) FROM object_keys GROUP BY master_key_id";
pub const PLAINTEXT_OBJECTS: &str =
    "SELECT COUNT(*) FROM media m WHERE NOT EXISTS (SELECT 1 FROM object_keys k WHERE k.media_id = m.id)";
/// $1 master key id, $2 limit: keys wrapped by any other.
pub static OBJECT_KEYS_NOT_UNDER: Statement = LazyLock::new(|| {
    format!(
        "SELECT {} FROM object_keys WHERE master_key_id <> $1 ORDER BY media_id LIMIT $2",
        ObjectKey::COLUMNS
    )
});
/// $1 media, $2 the old master key id, $3 new id, $4 new wrapped key.
pub const REWRAP: &str =
    "UPDATE object_keys SET master_key_id = $3, wrapped = $4 WHERE media_id = $1 AND master_key_id = $2";
/// $1 after this id, $2 limit: media whose object has no key (plaintext).
pub static PLAINTEXT_MEDIA: Statement = LazyLock::new(|| {
    format!(
        "SELECT {} FROM media m WHERE m.id > $1
         AND NOT EXISTS (SELECT 1 FROM object_keys k WHERE k.media_id = m.id) ORDER BY m.id LIMIT $2",
        Media::COLUMNS
    )
});
/// $1 media, $2 the blob key its sealed object is under now.
pub const MOVE_MEDIA_BLOB: &str = "UPDATE media SET blob_key = $2 WHERE id = $1";
/// Their evidence and object keys go with them (`ON DELETE CASCADE`).
pub const DELETE_SESSION_MEDIA: &str =
    "DELETE FROM media WHERE session_id = $1 AND integration_id = $2 RETURNING blob_key";

/// The ranked list's one row (`Dialect::ATTEMPT_MEDIA`), around the
/// dialect's JSON functions: `array` makes one JSON array of a row's
/// columns, `aggregate(item, order)` the array of those.
pub fn attempt_media(array: &str, aggregate: impl Fn(&str, &str) -> String) -> String {
    // Inside the subquery the unqualified columns are the media row's.
    let item = format!("{array}({})", Media::COLUMNS);
    let list = aggregate(&item, "m.matches DESC, m.score DESC, m.created_at, m.id");
    format!(
        "SELECT a.session_id, (SELECT {list} FROM media m WHERE m.attempt_id = a.id) AS media
         FROM attempts a JOIN sessions s ON s.id = a.session_id AND s.integration_id = $2
         WHERE a.id = $1"
    )
}

/// $1 session, $2 integration: the session's latest decision.
pub static DECISION: Statement = LazyLock::new(|| {
    format!(
        "SELECT {} FROM decisions
         WHERE session_id = $1 AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = $1 AND s.integration_id = $2)
         ORDER BY decided_at DESC, attempt_id DESC LIMIT 1",
        Decision::COLUMNS
    )
});
/// A later decision on the same attempt (after `review`) replaces it.
pub const DELETE_DECISION: &str = "DELETE FROM decisions WHERE attempt_id = $1";
pub static INTEGRATION: Statement =
    LazyLock::new(|| format!("SELECT {} FROM integrations WHERE id = $1", Integration::COLUMNS));
/// The `seq` of a session's next webhook.
pub const NEXT_WEBHOOK_SEQ: &str = "SELECT COALESCE(MAX(seq), 0) + 1 FROM webhooks WHERE session_id = $1";
pub static ATTEMPT: Statement = LazyLock::new(|| format!("SELECT {} FROM attempts WHERE id = $1", Attempt::COLUMNS));

/// $1 now, $2 the lease's end, $3 how many: leases the webhooks due now
/// that are first among their session's pending ones, oldest due first.
/// The outer condition is checked again on each row as it is locked, so
/// that of two servers claiming at once on PostgreSQL only the first leases
/// a webhook. Each session's first is found in one pass over the pending
/// rows (a window, not a join), so no plan makes the claim quadratic in
/// them: PostgreSQL, misled by statistics taken when nothing was pending,
/// once spent half a second per claim on 2,000 pending webhooks.
pub static CLAIM_WEBHOOKS: Statement = LazyLock::new(|| {
    format!(
        "UPDATE webhooks SET lease_until = $2
         WHERE id IN (
             SELECT id FROM (
                 SELECT id, next_attempt_at, created_at, lease_until,
                        ROW_NUMBER() OVER (PARTITION BY session_id ORDER BY seq) AS place
                 FROM webhooks WHERE state = 'pending') pending
             WHERE place = 1 AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
             ORDER BY next_attempt_at, created_at LIMIT $3)
         AND (lease_until IS NULL OR lease_until < $1)
         RETURNING {}",
        Webhook::COLUMNS
    )
});
/// $1 id, $2 state, $3 next attempt, $4 delivered at: ends a delivery attempt.
pub const FINISH_WEBHOOK: &str = "UPDATE webhooks
     SET state = $2, attempts = attempts + 1, next_attempt_at = $3, lease_until = NULL,
         delivered_at = COALESCE($4, delivered_at)
     WHERE id = $1";

/// The delivery log, newest webhooks first: $1 a session or NULL for all,
/// $2 TRUE for the failed and gone only, $3 how many.
pub static WEBHOOKS: Statement = LazyLock::new(|| {
    format!(
        "SELECT {} FROM webhooks
         WHERE ($1 IS NULL OR session_id = $1) AND (NOT $2 OR state IN ('failed','gone'))
         ORDER BY created_at DESC, seq DESC LIMIT $3",
        Webhook::COLUMNS
    )
});
pub static WEBHOOK_ATTEMPTS: Statement = LazyLock::new(|| {
    format!(
        "SELECT {} FROM webhook_attempts WHERE webhook_id = $1 ORDER BY at",
        WebhookAttempt::COLUMNS
    )
});
/// Sends webhooks again from the start of the schedule: $1 one id, $2 a
/// session, or $3 everything failed or gone since then (the others NULL);
/// $4 now.
pub const REPLAY_WEBHOOKS: &str = "UPDATE webhooks SET state = 'pending', attempts = 0, next_attempt_at = $4,
     lease_until = NULL
     WHERE ($1 IS NOT NULL AND id = $1)
        OR ($2 IS NOT NULL AND session_id = $2)
        OR ($3 IS NOT NULL AND state IN ('failed','gone') AND created_at >= $3)";
pub const WEBHOOK_BACKLOG: &str = "SELECT COUNT(*), MIN(created_at) FROM webhooks WHERE state = 'pending'";

/// $1 created before, $2 how many: sessions never submitted within their lifetime.
pub const STALE_SESSIONS: &str = "SELECT id FROM sessions
     WHERE created_at < $1 AND status IN ('created','started','resubmission_requested') ORDER BY created_at LIMIT $2";
/// Ends a session by time (`Status::after(Event::Expire)`).
pub static EXPIRE_SESSION: Statement = LazyLock::new(|| {
    format!(
        "UPDATE sessions SET status = CASE status WHEN 'created' THEN 'expired' ELSE 'abandoned' END
         WHERE id = $1 AND status IN ('created','started','resubmission_requested') RETURNING {}",
        Session::COLUMNS
    )
});
/// Returns the ids of the attempts it ended.
pub static END_OPEN_ATTEMPTS: Statement = LazyLock::new(|| {
    format!("UPDATE attempts SET status = $2 WHERE session_id = $1 AND status IN {OPEN_STATUSES} RETURNING id")
});
