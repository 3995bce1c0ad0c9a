//! The embedded default: one SQLite file in WAL mode.
//!
//! Write transactions begin with a write, so SQLite takes its writer lock
//! first and waits on `busy_timeout` instead of failing a read-then-write
//! upgrade; `synchronous=FULL` makes a commit durable before the API answers.

use std::{collections::HashMap, str::FromStr, time::Duration};

use async_trait::async_trait;
use kycmedia_proto::{MediaKind, Status};
use sqlx::{
    Row, SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous},
};

use super::{Attempt, AttemptMedia, Integration, MAX_SECRETS, Media, NewSession, Result, Session, Store, StoreError};

/// Statuses of an attempt that still takes uploads, as SQL.
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
/// The media columns, optionally qualified with a table alias such as `"m."`.
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
        media_columns!("")
    };
}

/// The file a SQLite URL names; `None` for an in-memory database.
pub fn database_file(url: &str) -> Result<Option<std::path::PathBuf>> {
    let options = SqliteConnectOptions::from_str(url)?;
    let path = options.get_filename();
    if path.as_os_str().is_empty() || path.to_string_lossy().contains(":memory:") {
        return Ok(None);
    }
    Ok(Some(path.to_path_buf()))
}

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating when missing) the database file and migrates it.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        if let Some(parent) = options.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        }
        // A connection to a local file does not go stale the way a network
        // connection does; pinging it on every checkout costs a round trip to
        // sqlx's connection thread per query.
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    async fn secrets(&self, integration_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT secret FROM integration_secrets WHERE integration_id = $1 ORDER BY seq DESC")
            .bind(integration_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("secret")?)).collect()
    }

    async fn integration_from(&self, row: SqliteRow) -> Result<Integration> {
        let id: String = row.try_get("id")?;
        Ok(Integration {
            secrets: self.secrets(&id).await?,
            id,
            name: row.try_get("name")?,
            api_key: row.try_get("api_key")?,
            active: row.try_get("active")?,
            created_at: row.try_get("created_at")?,
        })
    }

    async fn session_status(&self, integration_id: &str, session_id: &str) -> Result<Option<Status>> {
        let row = sqlx::query("SELECT status FROM sessions WHERE id = $1 AND integration_id = $2")
            .bind(session_id)
            .bind(integration_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| status(&r, "status")).transpose()
    }

    /// Why a guarded update touched no row: the session is missing, or in another status.
    async fn missing_or_conflict(&self, integration_id: &str, session_id: &str) -> StoreError {
        match self.session_status(integration_id, session_id).await {
            Ok(None) => StoreError::NotFound,
            Ok(Some(s)) => StoreError::Conflict(s.as_str().to_owned()),
            Err(e) => e,
        }
    }
}

/// How many secrets the integration holds, as seen inside `tx`.
async fn secret_count(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, api_key: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM integration_secrets s JOIN integrations i ON i.id = s.integration_id WHERE i.api_key = $1",
    )
    .bind(api_key)
    .fetch_one(&mut **tx)
    .await?)
}

fn status(row: &SqliteRow, column: &str) -> Result<Status> {
    let text: String = row.try_get(column)?;
    Status::parse(&text)
        .ok_or_else(|| StoreError::Database(sqlx::Error::Decode(format!("unknown status {text:?}").into())))
}

fn session_from(row: &SqliteRow) -> Result<Session> {
    Ok(Session {
        id: row.try_get("id")?,
        status: status(row, "status")?,
        vendor_data: row.try_get("vendor_data")?,
        session_token: row.try_get("session_token")?,
    })
}

fn attempt_from(row: &SqliteRow) -> Result<Attempt> {
    Ok(Attempt {
        id: row.try_get("id")?,
        status: status(row, "status")?,
        created_at: row.try_get("created_at")?,
    })
}

/// One media row as `json_array(media_columns!())` spells it, in that order.
#[derive(serde::Deserialize)]
struct MediaJson(
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
    i64,
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
            matches: m.13 != 0,
            score: m.14,
            blob_key: m.15,
            created_at: m.16,
        }
    }
}

fn media_kind(text: &str) -> MediaKind {
    if text == "video" {
        MediaKind::Video
    } else {
        MediaKind::Image
    }
}

fn media_from(row: &SqliteRow) -> Result<Media> {
    let kind: String = row.try_get("kind")?;
    Ok(Media {
        id: row.try_get("id")?,
        attempt_id: row.try_get("attempt_id")?,
        session_id: row.try_get("session_id")?,
        integration_id: row.try_get("integration_id")?,
        kind: if kind == "video" {
            MediaKind::Video
        } else {
            MediaKind::Image
        },
        context: row.try_get("context")?,
        mimetype: row.try_get("mimetype")?,
        size: row.try_get("size")?,
        width: row.try_get("width")?,
        height: row.try_get("height")?,
        duration_ms: row.try_get("duration_ms")?,
        accuracy: row.try_get("accuracy")?,
        quality: row.try_get("quality")?,
        matches: row.try_get("matches")?,
        score: row.try_get("score")?,
        blob_key: row.try_get("blob_key")?,
        created_at: row.try_get("created_at")?,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
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
        sqlx::query("INSERT INTO integrations (id, name, api_key, active, created_at) VALUES ($1, $2, $3, TRUE, $4)")
            .bind(id)
            .bind(name)
            .bind(api_key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO integration_secrets (integration_id, secret, created_at, seq) VALUES ($1, $2, $3, 1)")
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
            secrets: vec![secret.to_owned()],
            created_at: now,
        })
    }

    async fn integration_by_key(&self, api_key: &str) -> Result<Option<Integration>> {
        let row = sqlx::query("SELECT id, name, api_key, active, created_at FROM integrations WHERE api_key = $1")
            .bind(api_key)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(self.integration_from(row).await?)),
            None => Ok(None),
        }
    }

    async fn list_integrations(&self) -> Result<Vec<Integration>> {
        let rows =
            sqlx::query("SELECT id, name, api_key, active, created_at FROM integrations ORDER BY created_at, id")
                .fetch_all(&self.pool)
                .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.integration_from(row).await?);
        }
        Ok(out)
    }

    async fn add_secret(&self, api_key: &str, secret: &str, now: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO integration_secrets (integration_id, secret, created_at, seq)
             SELECT i.id, $2, $3, COALESCE((SELECT MAX(seq) FROM integration_secrets s WHERE s.integration_id = i.id), 0) + 1
             FROM integrations i WHERE i.api_key = $1",
        )
        .bind(api_key)
        .bind(secret)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let count = secret_count(&mut tx, api_key).await?;
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
        let deleted = sqlx::query(
            "DELETE FROM integration_secrets WHERE secret = $2
             AND integration_id = (SELECT id FROM integrations WHERE api_key = $1)",
        )
        .bind(api_key)
        .bind(secret)
        .execute(&mut *tx)
        .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let left = secret_count(&mut tx, api_key).await?;
        if left == 0 {
            return Err(StoreError::Invalid(
                "this is the integration's last shared secret; add another first".to_owned(),
            ));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn disable_integration(&self, api_key: &str) -> Result<()> {
        let done = sqlx::query("UPDATE integrations SET active = FALSE WHERE api_key = $1")
            .bind(api_key)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn create_session(&self, s: &NewSession) -> Result<Session> {
        sqlx::query(
            "INSERT INTO sessions (id, integration_id, status, vendor_data, end_user_id, callback, session_token, auto_decision, created_at)
             VALUES ($1, $2, 'created', $3, $4, $5, $6, $7, $8)",
        )
        .bind(&s.id)
        .bind(&s.integration_id)
        .bind(&s.vendor_data)
        .bind(&s.end_user_id)
        .bind(&s.callback)
        .bind(&s.session_token)
        .bind(s.auto_decision.map(Status::as_str))
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
        let row = sqlx::query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE id = $1 AND integration_id = $2"
        ))
        .bind(session_id)
        .bind(integration_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session_from).transpose()
    }

    async fn insert_media(&self, m: &Media, evidence: &str, new_attempt_id: &str) -> Result<String> {
        let mut tx = self.pool.begin().await?;
        let opened = sqlx::query(
            "UPDATE sessions SET status = 'started'
             WHERE id = $1 AND integration_id = $2 AND status IN ('created','started','resubmission_requested')",
        )
        .bind(&m.session_id)
        .bind(&m.integration_id)
        .execute(&mut *tx)
        .await?;
        if opened.rows_affected() == 0 {
            drop(tx);
            return Err(self.missing_or_conflict(&m.integration_id, &m.session_id).await);
        }
        let open: Option<String> = sqlx::query_scalar(concat!(
            "SELECT id FROM attempts WHERE session_id = $1 AND status IN ",
            open_statuses!(),
            " ORDER BY seq DESC LIMIT 1"
        ))
        .bind(&m.session_id)
        .fetch_optional(&mut *tx)
        .await?;
        let attempt_id = match open {
            Some(id) => id,
            None => {
                sqlx::query(
                    "INSERT INTO attempts (id, session_id, status, created_at, seq)
                     VALUES ($1, $2, 'started', $3, COALESCE((SELECT MAX(seq) FROM attempts WHERE session_id = $2), 0) + 1)",
                )
                .bind(new_attempt_id)
                .bind(&m.session_id)
                .bind(m.created_at)
                .execute(&mut *tx)
                .await?;
                new_attempt_id.to_owned()
            }
        };
        sqlx::query(concat!(
            "INSERT INTO media (",
            media_columns!(),
            ", evidence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
        ))
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
        let row = sqlx::query(concat!(
            "UPDATE sessions SET status = COALESCE(auto_decision, 'submitted')
             WHERE id = $1 AND integration_id = $2 AND status IN ",
            open_statuses!(),
            "
             RETURNING ",
            session_columns!()
        ))
        .bind(session_id)
        .bind(integration_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            drop(tx);
            return Err(self.missing_or_conflict(integration_id, session_id).await);
        };
        let session = session_from(&row)?;
        let closed = sqlx::query(concat!(
            "UPDATE attempts SET status = $2 WHERE session_id = $1 AND status IN ",
            open_statuses!()
        ))
        .bind(session_id)
        .bind(session.status.as_str())
        .execute(&mut *tx)
        .await?;
        if closed.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO attempts (id, session_id, status, created_at, seq)
                 VALUES ($1, $2, $3, $4, COALESCE((SELECT MAX(seq) FROM attempts WHERE session_id = $2), 0) + 1)",
            )
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
        let row = sqlx::query(concat!(
            "UPDATE sessions SET status = $2 WHERE id = $1 AND status IN ('submitted','review') RETURNING ",
            session_columns!()
        ))
        .bind(session_id)
        .bind(decision.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            let current: Option<String> = sqlx::query_scalar("SELECT status FROM sessions WHERE id = $1")
                .bind(session_id)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(current.map_or(StoreError::NotFound, StoreError::Conflict));
        };
        sqlx::query("UPDATE attempts SET status = $2 WHERE session_id = $1 AND status IN ('submitted','review')")
            .bind(session_id)
            .bind(decision.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        session_from(&row)
    }

    async fn attempts(&self, integration_id: &str, session_id: &str) -> Result<Vec<Attempt>> {
        let rows = sqlx::query(
            "SELECT a.id, a.status, a.created_at FROM attempts a
             JOIN sessions s ON s.id = a.session_id
             WHERE a.session_id = $1 AND s.integration_id = $2 ORDER BY a.seq DESC",
        )
        .bind(session_id)
        .bind(integration_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(attempt_from).collect()
    }

    async fn latest_attempt(&self, integration_id: &str, session_id: &str) -> Result<Option<Attempt>> {
        let row = sqlx::query(
            "SELECT a.id, a.status, a.created_at FROM attempts a
             JOIN sessions s ON s.id = a.session_id
             WHERE a.session_id = $1 AND s.integration_id = $2 ORDER BY a.seq DESC LIMIT 1",
        )
        .bind(session_id)
        .bind(integration_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(attempt_from).transpose()
    }

    async fn attempt_media(&self, integration_id: &str, attempt_id: &str) -> Result<Option<AttemptMedia>> {
        // The hot read of the API. sqlx hands each row over from its
        // connection thread as a separate message, so SQLite returns the
        // whole ranked list as one JSON array in one row: one round trip
        // whatever the count. No row at all means not the caller's attempt.
        let row = sqlx::query(concat!(
            "SELECT a.session_id, (SELECT json_group_array(json_array(",
            media_columns!("m."),
            ") ORDER BY m.matches DESC, m.score DESC, m.created_at, m.id)
               FROM media m WHERE m.attempt_id = a.id) AS media
             FROM attempts a JOIN sessions s ON s.id = a.session_id AND s.integration_id = $2
             WHERE a.id = $1"
        ))
        .bind(attempt_id)
        .bind(integration_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let json: String = row.try_get("media")?;
        let rows: Vec<MediaJson> = serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        Ok(Some(AttemptMedia {
            session_id: row.try_get("session_id")?,
            media: rows.into_iter().map(Media::from).collect(),
        }))
    }

    async fn media(&self, integration_id: &str, media_id: &str) -> Result<Option<Media>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            media_columns!(),
            " FROM media WHERE id = $1 AND integration_id = $2"
        ))
        .bind(media_id)
        .bind(integration_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(media_from).transpose()
    }

    async fn delete_session(&self, integration_id: &str, session_id: &str) -> Result<Vec<String>> {
        let mut tx = self.pool.begin().await?;
        let keys: Vec<String> =
            sqlx::query_scalar("DELETE FROM media WHERE session_id = $1 AND integration_id = $2 RETURNING blob_key")
                .bind(session_id)
                .bind(integration_id)
                .fetch_all(&mut *tx)
                .await?;
        let gone = sqlx::query("DELETE FROM sessions WHERE id = $1 AND integration_id = $2")
            .bind(session_id)
            .bind(integration_id)
            .execute(&mut *tx)
            .await?;
        if gone.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM attempts WHERE session_id = $1")
            .bind(session_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(keys)
    }

    async fn evidence(&self, integration_id: &str, media_ids: &[String]) -> Result<HashMap<String, String>> {
        let ids = serde_json::to_string(media_ids).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.id, m.evidence FROM json_each($1) k JOIN media m ON m.id = k.value AND m.integration_id = $2",
        )
        .bind(ids)
        .bind(integration_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().collect())
    }

    async fn unreferenced_blobs(&self, blob_keys: &[String]) -> Result<Vec<String>> {
        // The keys travel as one JSON array: one statement and one round trip
        // per batch, whatever its size, and no SQL built from strings.
        let keys = serde_json::to_string(blob_keys).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let orphans = sqlx::query_scalar(
            "SELECT k.value FROM json_each($1) k
             WHERE NOT EXISTS (SELECT 1 FROM media m WHERE m.blob_key = k.value)",
        )
        .bind(keys)
        .fetch_all(&self.pool)
        .await?;
        Ok(orphans)
    }
}
