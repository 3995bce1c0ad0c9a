//! What the SQLite and PostgreSQL stores share: the statements whose text is
//! the same on both (`$n` placeholders, `RETURNING`, `ON CONFLICT` and row
//! values work on either), and the rows they read, decoded by `FromRow` for
//! either driver. Only what differs lives in `sqlite.rs` and `postgres.rs`.

use kycmedia_proto::{MediaKind, Status};

use super::{Attempt, Media, Result, Session, StoreError};

/// Statuses of an attempt that still takes uploads, as SQL. Every status
/// list in these statements is the state machine's
/// (`kycmedia_proto::transitions`), and `tests/api/transitions.rs` checks
/// each guarded write against it, status by status, on both databases.
macro_rules! open_statuses {
    () => {
        "('created','started')"
    };
}
macro_rules! session_columns {
    () => {
        "id, status, vendor_data, session_token"
    };
}
/// The media columns `Media` holds, optionally qualified with an alias such as `"m."`.
macro_rules! media_columns {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "attempt_id, ",
            $p,
            "session_id, ",
            $p,
            "integration_id, ",
            $p,
            "kind, ",
            $p,
            "context, ",
            $p,
            "mimetype, ",
            $p,
            "size, ",
            $p,
            "width, ",
            $p,
            "height, ",
            $p,
            "duration_ms, ",
            $p,
            "accuracy, ",
            $p,
            "quality, ",
            $p,
            "matches, ",
            $p,
            "score, ",
            $p,
            "blob_key, ",
            $p,
            "created_at"
        )
    };
    () => {
        $crate::store::sql::media_columns!("")
    };
}
pub(super) use media_columns;

pub const PING: &str = "SELECT 1";
/// The cast keeps one text for both: PostgreSQL sums a BIGINT as NUMERIC.
pub const TOTALS: &str = "SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM media";
/// sqlx's record of applied migrations (ask `Dialect::MIGRATIONS_TABLE` first:
/// a new database has no such table).
pub const APPLIED_MIGRATIONS: &str = "SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version";
pub const SECRETS: &str = "SELECT secret FROM integration_secrets WHERE integration_id = $1 ORDER BY seq DESC";
pub const SESSION_STATUS: &str = "SELECT status FROM sessions WHERE id = $1 AND integration_id = $2";
pub const SECRET_COUNT: &str =
    "SELECT COUNT(*) FROM integration_secrets s JOIN integrations i ON i.id = s.integration_id WHERE i.api_key = $1";
pub const INSERT_INTEGRATION: &str =
    "INSERT INTO integrations (id, name, api_key, active, created_at) VALUES ($1, $2, $3, TRUE, $4)";
pub const INSERT_FIRST_SECRET: &str =
    "INSERT INTO integration_secrets (integration_id, secret, created_at, seq) VALUES ($1, $2, $3, 1)";
pub const INTEGRATION_BY_KEY: &str =
    "SELECT id, name, api_key, active, created_at FROM integrations WHERE api_key = $1";
pub const INTEGRATIONS: &str = "SELECT id, name, api_key, active, created_at FROM integrations ORDER BY created_at, id";
pub const ADD_SECRET: &str = "INSERT INTO integration_secrets (integration_id, secret, created_at, seq)
     SELECT i.id, $2, $3, COALESCE((SELECT MAX(seq) FROM integration_secrets s WHERE s.integration_id = i.id), 0) + 1
     FROM integrations i WHERE i.api_key = $1";
pub const REVOKE_SECRET: &str = "DELETE FROM integration_secrets WHERE secret = $2
     AND integration_id = (SELECT id FROM integrations WHERE api_key = $1)";
/// A write that changes nothing: it locks the integration's row until commit.
pub const LOCK_INTEGRATION: &str = "UPDATE integrations SET active = active WHERE api_key = $1";
/// A write that changes nothing: it locks the session's row until commit.
pub const LOCK_SESSION: &str = "UPDATE sessions SET status = status WHERE id = $1 AND integration_id = $2";
pub const DISABLE_INTEGRATION: &str = "UPDATE integrations SET active = FALSE WHERE api_key = $1";
pub const INSERT_SESSION: &str = "INSERT INTO sessions (id, integration_id, status, vendor_data, end_user_id, callback, session_token, auto_decision, created_at)
     VALUES ($1, $2, 'created', $3, $4, $5, $6, $7, $8)";
pub const SESSION: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE id = $1 AND integration_id = $2"
);
/// Marks the session as taking uploads; touching no row means it does not.
pub const OPEN_SESSION: &str = "UPDATE sessions SET status = 'started'
     WHERE id = $1 AND integration_id = $2 AND status IN ('created','started','resubmission_requested')";
pub const OPEN_ATTEMPT: &str = concat!(
    "SELECT id FROM attempts WHERE session_id = $1 AND status IN ",
    open_statuses!(),
    " ORDER BY seq DESC LIMIT 1"
);
/// $1 id, $2 session, $3 status, $4 created_at; numbered after the session's last.
pub const INSERT_ATTEMPT: &str = "INSERT INTO attempts (id, session_id, status, created_at, seq)
     VALUES ($1, $2, $3, $4, COALESCE((SELECT MAX(seq) FROM attempts WHERE session_id = $2), 0) + 1)";
pub const INSERT_MEDIA: &str = concat!(
    "INSERT INTO media (",
    media_columns!(),
    ", evidence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
);
pub const SUBMIT_SESSION: &str = concat!(
    "UPDATE sessions SET status = COALESCE(auto_decision, 'submitted')
     WHERE id = $1 AND integration_id = $2 AND status IN ",
    open_statuses!(),
    " RETURNING ",
    session_columns!()
);
pub const CLOSE_ATTEMPTS: &str = concat!(
    "UPDATE attempts SET status = $2 WHERE session_id = $1 AND status IN ",
    open_statuses!()
);
pub const DECIDE_SESSION: &str = concat!(
    "UPDATE sessions SET status = $2 WHERE id = $1 AND status IN ('submitted','review') RETURNING ",
    session_columns!()
);
pub const ANY_SESSION_STATUS: &str = "SELECT status FROM sessions WHERE id = $1";
pub const DECIDE_ATTEMPTS: &str =
    "UPDATE attempts SET status = $2 WHERE session_id = $1 AND status IN ('submitted','review')";
pub const ATTEMPTS: &str = "SELECT a.id, a.status, a.created_at FROM attempts a
     JOIN sessions s ON s.id = a.session_id
     WHERE a.session_id = $1 AND s.integration_id = $2 ORDER BY a.seq DESC";
pub const LATEST_ATTEMPT: &str = "SELECT a.id, a.status, a.created_at FROM attempts a
     JOIN sessions s ON s.id = a.session_id
     WHERE a.session_id = $1 AND s.integration_id = $2 ORDER BY a.seq DESC LIMIT 1";
pub const MEDIA: &str = concat!(
    "SELECT ",
    media_columns!(),
    " FROM media WHERE id = $1 AND integration_id = $2"
);
pub const DELETE_SESSION_MEDIA: &str =
    "DELETE FROM media WHERE session_id = $1 AND integration_id = $2 RETURNING blob_key";
pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE id = $1 AND integration_id = $2";
pub const DELETE_SESSION_ATTEMPTS: &str = "DELETE FROM attempts WHERE session_id = $1";

/// `sessions` as `session_columns!()` reads it.
#[derive(sqlx::FromRow)]
pub struct SessionRow {
    id: String,
    status: String,
    vendor_data: Option<String>,
    session_token: String,
}

impl SessionRow {
    pub fn into_session(self) -> Result<Session> {
        Ok(Session {
            id: self.id,
            status: parse_status(&self.status)?,
            vendor_data: self.vendor_data,
            session_token: self.session_token,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct AttemptRow {
    id: String,
    status: String,
    created_at: i64,
}

impl AttemptRow {
    pub fn into_attempt(self) -> Result<Attempt> {
        Ok(Attempt {
            id: self.id,
            status: parse_status(&self.status)?,
            created_at: self.created_at,
        })
    }
}

/// `media` as `media_columns!()` reads it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MediaRow {
    pub id: String,
    pub attempt_id: String,
    pub session_id: String,
    pub integration_id: String,
    pub kind: String,
    pub context: String,
    pub mimetype: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub duration_ms: Option<i64>,
    pub accuracy: f64,
    pub quality: f64,
    pub matches: bool,
    pub score: f64,
    pub blob_key: String,
    pub created_at: i64,
}

impl From<MediaRow> for Media {
    fn from(m: MediaRow) -> Self {
        Media {
            id: m.id,
            attempt_id: m.attempt_id,
            session_id: m.session_id,
            integration_id: m.integration_id,
            kind: media_kind(&m.kind),
            context: m.context,
            mimetype: m.mimetype,
            size: m.size,
            width: m.width,
            height: m.height,
            duration_ms: m.duration_ms,
            accuracy: m.accuracy,
            quality: m.quality,
            matches: m.matches,
            score: m.score,
            blob_key: m.blob_key,
            created_at: m.created_at,
        }
    }
}

/// One media row as `Dialect::ATTEMPT_MEDIA` spells it: an array of
/// `media_columns!()`, in that order.
#[derive(serde::Deserialize)]
pub struct MediaJson(
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    f64,
    f64,
    #[serde(deserialize_with = "json_bool")] bool,
    f64,
    String,
    i64,
);

impl From<MediaJson> for Media {
    fn from(m: MediaJson) -> Self {
        Media {
            id: m.0,
            attempt_id: m.1,
            session_id: m.2,
            integration_id: m.3,
            kind: media_kind(&m.4),
            context: m.5,
            mimetype: m.6,
            size: m.7,
            width: m.8,
            height: m.9,
            duration_ms: m.10,
            accuracy: m.11,
            quality: m.12,
            matches: m.13,
            score: m.14,
            blob_key: m.15,
            created_at: m.16,
        }
    }
}

/// SQLite's JSON spells a boolean column 0 or 1; PostgreSQL's, false or true.
fn json_bool<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Int(i64),
    }
    Ok(match serde::Deserialize::deserialize(d)? {
        Flag::Bool(b) => b,
        Flag::Int(i) => i != 0,
    })
}

fn media_kind(text: &str) -> MediaKind {
    if text == "video" {
        MediaKind::Video
    } else {
        MediaKind::Image
    }
}

pub fn parse_status(text: &str) -> Result<Status> {
    Status::parse(text)
        .ok_or_else(|| StoreError::Database(sqlx::Error::Decode(format!("unknown status {text:?}").into())))
}
