//! What the review console keeps and reads: reviewers, their integrations,
//! their logged-in browsers, the queue of cases and who took which.
//!
//! A trait of its own (`Reviews`, reached through `Store::reviews`), so
//! that the tenant store's interface stays what the API needs. Every read
//! of tenant data here names the reviewer, and the statement itself keeps
//! to the integrations that reviewer is given (`scope`): an attempt of
//! another integration is missing, not forbidden, exactly as in the API.

use std::sync::LazyLock;

use async_trait::async_trait;
use kycmedia_proto::Status;

use super::{
    Assignment, Attempt, ConsoleSession, Decision, Media, Result, Reviewer, ReviewerIntegration, SecretText, Session,
    StoreError, driver::Driver, engine::SqlStore, table, table::Columns,
};
use crate::ids::{AttemptId, IntegrationId, MediaId, ReviewerId, SessionId};

/// Which waiting cases the queue lists: every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub integration: Option<IntegrationId>,
    /// `submitted` or `review`.
    pub status: Option<Status>,
    /// Submitted at or after (ms).
    pub submitted_from: Option<i64>,
    /// Submitted before (ms).
    pub submitted_before: Option<i64>,
    /// The session's `vendorData` begins with this.
    pub vendor_data: Option<String>,
    /// Resume after this case: its submission time and attempt id.
    pub after: Option<(i64, AttemptId)>,
    pub limit: i64,
}

/// One line of the queue: a waiting attempt with what the list shows of it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct WaitingCase {
    pub attempt_id: AttemptId,
    pub attempt_seq: i64,
    pub status: Status,
    /// When it was submitted (its creation for attempts from before that was kept).
    pub waiting_since: i64,
    pub session_id: SessionId,
    pub vendor_data: Option<String>,
    pub integration_id: IntegrationId,
    pub integration_name: String,
    pub media: i64,
    pub assignee_id: Option<ReviewerId>,
    pub assignee_name: Option<String>,
}

/// A decision with the name of the reviewer who took it.
#[derive(Debug, Clone)]
pub struct DecisionBy {
    pub decision: Decision,
    pub reviewer: Option<String>,
}

/// The console's storage. Reviewer ids come from a verified console
/// session; names from a login form.
#[async_trait]
pub trait Reviews: Send + Sync {
    /// Stores a reviewer given these integrations. `Conflict` when the
    /// name is taken, `Invalid` when an integration does not exist.
    async fn create_reviewer(&self, reviewer: &Reviewer, integrations: &[IntegrationId]) -> Result<()>;
    async fn reviewer_by_name(&self, name: &str) -> Result<Option<Reviewer>>;
    async fn reviewer(&self, id: &ReviewerId) -> Result<Option<Reviewer>>;
    /// Every reviewer with the integrations they see, by name.
    async fn reviewers(&self) -> Result<Vec<(Reviewer, Vec<IntegrationId>)>>;
    /// Replaces the password (expired: given out, to be replaced at the next
    /// login) and ends every console session of the reviewer.
    async fn set_password(&self, id: &ReviewerId, hash: &SecretText, expired: bool, now: i64) -> Result<()>;
    /// Disables the reviewer and ends their console sessions.
    async fn disable_reviewer(&self, id: &ReviewerId) -> Result<()>;

    async fn start_console_session(&self, session: &ConsoleSession) -> Result<()>;
    /// The session whose token hashes to this, with its reviewer.
    async fn console_session(&self, token_hash: &str) -> Result<Option<(ConsoleSession, Reviewer)>>;
    /// Marks the session used at `now`.
    async fn touch_console_session(&self, token_hash: &str, now: i64) -> Result<()>;
    async fn end_console_session(&self, token_hash: &str) -> Result<()>;
    /// Forgets sessions last used before `before` (ms), over every reviewer.
    async fn forget_console_sessions(&self, before: i64) -> Result<u64>;

    /// The ids and names of the integrations the reviewer sees, by name:
    /// what the console shows of them (never keys or secrets, which it
    /// does not read).
    async fn visible_integrations(&self, reviewer: &ReviewerId) -> Result<Vec<(IntegrationId, String)>>;
    /// Attempts waiting for a decision that the reviewer may see, oldest first.
    async fn waiting_cases(&self, reviewer: &ReviewerId, filter: &CaseFilter) -> Result<Vec<WaitingCase>>;
    /// One attempt and its session, when the reviewer may see it (waiting or not).
    async fn case(&self, reviewer: &ReviewerId, attempt: &AttemptId) -> Result<Option<(Attempt, Session)>>;
    /// One media row, when the reviewer may see its integration.
    async fn case_media(&self, reviewer: &ReviewerId, media: &MediaId) -> Result<Option<Media>>;
    /// Takes the case for the reviewer unless someone holds it: the
    /// assignment that stands afterwards, theirs or another's.
    async fn assign(&self, reviewer: &ReviewerId, attempt: &AttemptId, now: i64) -> Result<Assignment>;
    async fn assignment(&self, attempt: &AttemptId) -> Result<Option<Assignment>>;
    /// Gives the case back: the holder's, when `holder` names one (a
    /// reviewer releasing their own), or whoever holds it (an admin).
    async fn release(&self, holder: Option<&ReviewerId>, attempt: &AttemptId) -> Result<()>;
    /// The decisions on the session's attempts, newest first.
    async fn session_decisions(&self, integration: &IntegrationId, session: &SessionId) -> Result<Vec<DecisionBy>>;
}

/// `$1` is the reviewer; true when they may see the integration in
/// `column`: an active admin sees every one, an active reviewer theirs.
fn scope(column: &str) -> String {
    format!(
        "(EXISTS (SELECT 1 FROM reviewers r WHERE r.id = $1 AND r.active AND r.role = 'admin')
          OR EXISTS (SELECT 1 FROM reviewer_integrations ri JOIN reviewers r ON r.id = ri.reviewer_id
                     WHERE ri.reviewer_id = $1 AND r.active AND ri.integration_id = {column}))"
    )
}

static REVIEWER_BY_NAME: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM reviewers WHERE name = $1", Reviewer::COLUMNS));
static REVIEWER: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM reviewers WHERE id = $1", Reviewer::COLUMNS));
static REVIEWERS: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM reviewers ORDER BY name", Reviewer::COLUMNS));
const ALL_REVIEWER_INTEGRATIONS: &str =
    "SELECT reviewer_id, integration_id FROM reviewer_integrations ORDER BY reviewer_id, integration_id";
const SET_PASSWORD: &str =
    "UPDATE reviewers SET password_hash = $2, password_expired = $3, password_set_at = $4 WHERE id = $1";
const DISABLE_REVIEWER: &str = "UPDATE reviewers SET active = FALSE WHERE id = $1";
const END_REVIEWER_SESSIONS: &str = "DELETE FROM console_sessions WHERE reviewer_id = $1";
const INTEGRATION_EXISTS: &str = "SELECT COUNT(*) FROM integrations WHERE id = $1";
static CONSOLE_SESSION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM console_sessions WHERE token_hash = $1",
        ConsoleSession::COLUMNS
    )
});
const TOUCH_CONSOLE_SESSION: &str = "UPDATE console_sessions SET last_seen_at = $2 WHERE token_hash = $1";
const END_CONSOLE_SESSION: &str = "DELETE FROM console_sessions WHERE token_hash = $1";
const FORGET_CONSOLE_SESSIONS: &str = "DELETE FROM console_sessions WHERE last_seen_at < $1";

static VISIBLE_INTEGRATIONS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT id, name FROM integrations WHERE {} ORDER BY name, id",
        scope("integrations.id")
    )
});

/// $1 reviewer, $2 integration, $3 status, $4 from, $5 before, $6 vendorData
/// prefix, $7/$8 the cursor, $9 the limit. A missing filter is NULL.
static WAITING_CASES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT a.id AS attempt_id, a.seq AS attempt_seq, a.status AS status,
                COALESCE(a.submitted_at, a.created_at) AS waiting_since,
                s.id AS session_id, s.vendor_data AS vendor_data,
                i.id AS integration_id, i.name AS integration_name,
                (SELECT COUNT(*) FROM media m WHERE m.attempt_id = a.id) AS media,
                g.reviewer_id AS assignee_id, rv.name AS assignee_name
         FROM attempts a
         JOIN sessions s ON s.id = a.session_id
         JOIN integrations i ON i.id = s.integration_id
         LEFT JOIN assignments g ON g.attempt_id = a.id
         LEFT JOIN reviewers rv ON rv.id = g.reviewer_id
         WHERE a.status IN ('submitted','review') AND {}
           AND ($2 IS NULL OR s.integration_id = $2)
           AND ($3 IS NULL OR a.status = $3)
           AND ($4 IS NULL OR COALESCE(a.submitted_at, a.created_at) >= $4)
           AND ($5 IS NULL OR COALESCE(a.submitted_at, a.created_at) < $5)
           AND ($6 IS NULL OR substr(s.vendor_data, 1, length($6)) = $6)
           AND ($7 IS NULL OR COALESCE(a.submitted_at, a.created_at) > $7
                OR (COALESCE(a.submitted_at, a.created_at) = $7 AND a.id > $8))
         ORDER BY waiting_since, a.id
         LIMIT $9",
        scope("s.integration_id")
    )
});
static CASE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM attempts WHERE id = $2
         AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = attempts.session_id AND {})",
        Attempt::COLUMNS,
        scope("s.integration_id")
    )
});
static CASE_SESSION: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM sessions WHERE id = $1", Session::COLUMNS));
static CASE_MEDIA: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM media WHERE id = $2 AND {}",
        Media::COLUMNS,
        scope("media.integration_id")
    )
});
static ASSIGNMENT: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM assignments WHERE attempt_id = $1", Assignment::COLUMNS));
const RELEASE: &str = "DELETE FROM assignments WHERE attempt_id = $1 AND ($2 IS NULL OR reviewer_id = $2)";
static SESSION_DECISIONS: LazyLock<String> = LazyLock::new(|| {
    let columns: Vec<String> = Decision::COLUMNS.split(", ").map(|c| format!("d.{c}")).collect();
    format!(
        "SELECT {}, rv.name FROM decisions d LEFT JOIN reviewers rv ON rv.id = d.decided_by
         WHERE d.session_id = $1 AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = $1 AND s.integration_id = $2)
         ORDER BY d.decided_at DESC",
        columns.join(", ")
    )
});

#[async_trait]
impl<DB: Driver> Reviews for SqlStore<DB> {
    async fn create_reviewer(&self, reviewer: &Reviewer, integrations: &[IntegrationId]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // The insert is the write this transaction begins with; a taken
        // name fails it.
        let inserted = table::insert([reviewer], " ON CONFLICT (name) DO NOTHING")
            .build()
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&inserted) == 0 {
            return Err(StoreError::Conflict(format!(
                "a reviewer named {:?} exists",
                reviewer.name
            )));
        }
        for integration in integrations {
            let found: i64 = sqlx::query_scalar(INTEGRATION_EXISTS)
                .bind(integration)
                .fetch_one(&mut *tx)
                .await?;
            if found == 0 {
                return Err(StoreError::Invalid(format!("no integration has the id {integration}")));
            }
            let row = ReviewerIntegration {
                reviewer_id: reviewer.id.clone(),
                integration_id: integration.clone(),
            };
            table::insert([&row], " ON CONFLICT DO NOTHING")
                .build()
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn reviewer_by_name(&self, name: &str) -> Result<Option<Reviewer>> {
        Ok(sqlx::query_as(REVIEWER_BY_NAME.as_str())
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn reviewer(&self, id: &ReviewerId) -> Result<Option<Reviewer>> {
        Ok(sqlx::query_as(REVIEWER.as_str())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn reviewers(&self) -> Result<Vec<(Reviewer, Vec<IntegrationId>)>> {
        let reviewers: Vec<Reviewer> = sqlx::query_as(REVIEWERS.as_str()).fetch_all(&self.pool).await?;
        let given: Vec<ReviewerIntegration> = sqlx::query_as(ALL_REVIEWER_INTEGRATIONS).fetch_all(&self.pool).await?;
        Ok(reviewers
            .into_iter()
            .map(|r| {
                let theirs = given
                    .iter()
                    .filter(|g| g.reviewer_id == r.id)
                    .map(|g| g.integration_id.clone())
                    .collect();
                (r, theirs)
            })
            .collect())
    }

    async fn set_password(&self, id: &ReviewerId, hash: &SecretText, expired: bool, now: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(SET_PASSWORD)
            .bind(id)
            .bind(hash)
            .bind(expired)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&changed) == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(END_REVIEWER_SESSIONS).bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn disable_reviewer(&self, id: &ReviewerId) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(DISABLE_REVIEWER).bind(id).execute(&mut *tx).await?;
        if DB::rows_affected(&changed) == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(END_REVIEWER_SESSIONS).bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn start_console_session(&self, session: &ConsoleSession) -> Result<()> {
        table::insert([session], "").build().execute(&self.pool).await?;
        Ok(())
    }

    async fn console_session(&self, token_hash: &str) -> Result<Option<(ConsoleSession, Reviewer)>> {
        let session: Option<ConsoleSession> = sqlx::query_as(CONSOLE_SESSION.as_str())
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        let Some(session) = session else { return Ok(None) };
        let reviewer = self.reviewer(&session.reviewer_id).await?;
        Ok(reviewer.map(|r| (session, r)))
    }

    async fn touch_console_session(&self, token_hash: &str, now: i64) -> Result<()> {
        sqlx::query(TOUCH_CONSOLE_SESSION)
            .bind(token_hash)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn end_console_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query(END_CONSOLE_SESSION)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn forget_console_sessions(&self, before: i64) -> Result<u64> {
        let gone = sqlx::query(FORGET_CONSOLE_SESSIONS)
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(DB::rows_affected(&gone))
    }

    async fn visible_integrations(&self, reviewer: &ReviewerId) -> Result<Vec<(IntegrationId, String)>> {
        Ok(sqlx::query_as(VISIBLE_INTEGRATIONS.as_str())
            .bind(reviewer)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn waiting_cases(&self, reviewer: &ReviewerId, filter: &CaseFilter) -> Result<Vec<WaitingCase>> {
        let (after_at, after_id) = match &filter.after {
            Some((at, id)) => (Some(*at), Some(id.clone())),
            None => (None, None),
        };
        Ok(sqlx::query_as(WAITING_CASES.as_str())
            .bind(reviewer)
            .bind(filter.integration.clone())
            .bind(filter.status.map(|s| s.as_str().to_owned()))
            .bind(filter.submitted_from)
            .bind(filter.submitted_before)
            .bind(filter.vendor_data.clone())
            .bind(after_at)
            .bind(after_id)
            .bind(filter.limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn case(&self, reviewer: &ReviewerId, attempt: &AttemptId) -> Result<Option<(Attempt, Session)>> {
        let found: Option<Attempt> = sqlx::query_as(CASE.as_str())
            .bind(reviewer)
            .bind(attempt)
            .fetch_optional(&self.pool)
            .await?;
        let Some(found) = found else { return Ok(None) };
        let session: Option<Session> = sqlx::query_as(CASE_SESSION.as_str())
            .bind(&found.session_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(session.map(|s| (found, s)))
    }

    async fn case_media(&self, reviewer: &ReviewerId, media: &MediaId) -> Result<Option<Media>> {
        Ok(sqlx::query_as(CASE_MEDIA.as_str())
            .bind(reviewer)
            .bind(media)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn assign(&self, reviewer: &ReviewerId, attempt: &AttemptId, now: i64) -> Result<Assignment> {
        let taken = Assignment {
            attempt_id: attempt.clone(),
            reviewer_id: reviewer.clone(),
            assigned_at: now,
        };
        table::insert([&taken], " ON CONFLICT (attempt_id) DO NOTHING")
            .build()
            .execute(&self.pool)
            .await?;
        self.assignment(attempt).await?.ok_or(StoreError::NotFound)
    }

    async fn assignment(&self, attempt: &AttemptId) -> Result<Option<Assignment>> {
        Ok(sqlx::query_as(ASSIGNMENT.as_str())
            .bind(attempt)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn release(&self, holder: Option<&ReviewerId>, attempt: &AttemptId) -> Result<()> {
        sqlx::query(RELEASE)
            .bind(attempt)
            .bind(holder.cloned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn session_decisions(&self, integration: &IntegrationId, session: &SessionId) -> Result<Vec<DecisionBy>> {
        let rows: Vec<DecisionRow> = sqlx::query_as(SESSION_DECISIONS.as_str())
            .bind(session)
            .bind(integration)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| DecisionBy {
                reviewer: r.name,
                decision: r.decision,
            })
            .collect())
    }
}

/// A decision row and its reviewer's name, as `SESSION_DECISIONS` reads it.
#[derive(sqlx::FromRow)]
pub struct DecisionRow {
    #[sqlx(flatten)]
    decision: Decision,
    name: Option<String>,
}
