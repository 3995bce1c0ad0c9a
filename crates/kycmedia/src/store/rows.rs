//! One type per table, every column a field (see `table`): what the store
//! reads, writes and copies, and what the layers above work with.

use kycmedia_proto::{
    MediaKind, Status,
    webhook::{WebhookKind, WebhookState},
};
use secrecy::{ExposeSecret, SecretString};
use sqlx::{Database, Decode, Encode, Type, encode::IsNull, error::BoxDynError};

use super::table::table;
use crate::ids::{AttemptId, IntegrationId, MediaId, ReviewerId, SessionId, WebhookAttemptId, WebhookId};

table! {
    /// A tenant. The API key is public (sent on every request); its secrets
    /// are rows of their own.
    pub struct Integration in "integrations" {
        pub id: IntegrationId,
        pub name: String,
        pub api_key: String,
        pub active: bool,
        pub created_at: i64,
        /// Where decision webhooks go; none are sent without it.
        pub decision_webhook_url: Option<String>,
        /// Where event webhooks (`started`, `submitted`) go.
        pub event_webhook_url: Option<String>,
        /// Replay protection (docs/api.md §1.7): requests must carry a
        /// signed time within this many seconds, and a fresh nonce. `None`
        /// keeps the provider's scheme.
        pub replay_window_secs: Option<i64>,
    }
}

table! {
    /// A nonce an integration under replay protection has used, kept for
    /// its window. Not copied by `migrate-db`: it lapses within minutes.
    pub struct RequestNonce in "request_nonces" {
        pub integration_id: IntegrationId,
        pub nonce: String,
        pub seen_at: i64,
    }
}

table! {
    /// One of an integration's one to five shared secrets; `seq` orders them,
    /// newest highest.
    pub struct Secret in "integration_secrets" {
        pub integration_id: IntegrationId,
        pub secret: SharedSecret,
        pub created_at: i64,
        pub seq: i64,
    }
}

table! {
    /// A verification session. Only what the API gives back is kept: no
    /// names, document numbers or birth dates.
    pub struct Session in "sessions" {
        pub id: SessionId,
        pub integration_id: IntegrationId,
        pub status: Status,
        pub vendor_data: Option<String>,
        pub end_user_id: Option<String>,
        pub callback: Option<String>,
        pub session_token: String,
        /// The test-integration convention: a decision taken on submit.
        pub auto_decision: Option<Status>,
        pub created_at: i64,
    }
}

table! {
    /// One try at a session; `seq` numbers a session's attempts from 1.
    pub struct Attempt in "attempts" {
        pub id: AttemptId,
        pub session_id: SessionId,
        pub status: Status,
        pub created_at: i64,
        pub seq: i64,
        pub submitted_at: Option<i64>,
    }
}

table! {
    /// One stored file's metadata, measured from its bytes at upload.
    pub struct Media in "media" {
        pub id: MediaId,
        pub attempt_id: AttemptId,
        pub session_id: SessionId,
        pub integration_id: IntegrationId,
        pub kind: MediaKind,
        pub context: String,
        pub mimetype: String,
        pub size: i64,
        pub width: Option<i64>,
        pub height: Option<i64>,
        pub duration_ms: Option<i64>,
        pub accuracy: f64,
        pub quality: f64,
        /// Accuracy reached the match line: ranked before every non-match.
        #[serde(deserialize_with = "json_bool")]
        pub matches: bool,
        /// The ranking score within its side of the match line.
        pub score: f64,
        pub blob_key: String,
        pub created_at: i64,
    }
}

table! {
    /// A stored object's data key, wrapped by a master key (`keys`). It is
    /// deleted with its media row: the object cannot be opened after that.
    pub struct ObjectKey in "object_keys" {
        pub media_id: MediaId,
        /// With the media id, what the key is bound to (`objects::identity`).
        pub integration_id: IntegrationId,
        /// The master key's id, also inside `wrapped`: `keys rotate` finds
        /// the keys it has still to re-wrap by it.
        pub master_key_id: String,
        pub wrapped: Vec<u8>,
    }
}

table! {
    /// The analysis behind a media row's rank, as JSON text: a table apart,
    /// because only the analysis endpoints read it, never the hot list.
    pub struct Evidence in "media_evidence" {
        pub media_id: MediaId,
        pub evidence: String,
    }
}

table! {
    /// A decided attempt. The decision's code and reason text follow from
    /// `status` and `reason_code` (`kycmedia_proto::decision`).
    pub struct Decision in "decisions" {
        pub attempt_id: AttemptId,
        pub session_id: SessionId,
        pub status: Status,
        pub reason_code: Option<i64>,
        pub decided_at: i64,
        /// The reviewer who decided in the console; `None` for a command
        /// (`kycmedia decide`) or the automation (expiry, test conventions).
        pub decided_by: Option<ReviewerId>,
        /// What the reviewer wrote. Kept for the console and the audit, never
        /// sent: the decision object's `comments` stay empty, as the provider's.
        pub comment: Option<String>,
    }
}

table! {
    /// A webhook in the outbox: written with the change it reports, then
    /// delivered at least once, in `seq` order within its session.
    pub struct Webhook in "webhooks" {
        pub id: WebhookId,
        pub integration_id: IntegrationId,
        pub session_id: SessionId,
        pub seq: i64,
        pub kind: WebhookKind,
        pub url: String,
        /// The exact bytes sent, signed at each delivery with the
        /// integration's newest secret.
        pub body: String,
        pub state: WebhookState,
        pub attempts: i64,
        pub next_attempt_at: i64,
        /// While set and in the future, one server is delivering it.
        pub lease_until: Option<i64>,
        pub created_at: i64,
        pub delivered_at: Option<i64>,
    }
}

table! {
    /// One try at delivering a webhook.
    pub struct WebhookAttempt in "webhook_attempts" {
        pub id: WebhookAttemptId,
        pub webhook_id: WebhookId,
        pub at: i64,
        /// The receiver's answer; none when it gave none.
        pub http_status: Option<i64>,
        pub latency_ms: i64,
        /// The first KiB of the answer, or the error.
        pub outcome: String,
    }
}

table! {
    /// One access to personal data or change of state (`audit`), in the
    /// order written. Ids only, never personal data.
    pub struct AuditRecord in "audit_log" {
        /// From 1, without gaps: a missing number is a deleted row.
        pub seq: i64,
        pub at: i64,
        /// `integration` (an API request), `capture` (the end user's page),
        /// `reviewer` (the review console) or `operator` (a command).
        pub actor: String,
        pub integration_id: Option<IntegrationId>,
        /// Which of the integration's secrets signed the request (0 newest).
        pub secret_index: Option<i64>,
        /// The route (`GET /v1/media/{id}`) or the command (`kycmedia decide`).
        pub action: String,
        pub session_id: Option<SessionId>,
        pub attempt_id: Option<AttemptId>,
        pub media_id: Option<MediaId>,
        /// The client's address, for a request.
        pub client: Option<String>,
        /// The reviewer, for an action in the review console.
        pub reviewer_id: Option<ReviewerId>,
        /// The HTTP status answered; 0 for a command that succeeded.
        pub status: i64,
        /// Accesses this row stands for: identical ones (every field but
        /// the time) within one write of the trail are one row.
        pub count: i64,
        /// The time of the last of them; `at` is the first's.
        pub last_at: i64,
        /// SHA-256 of the previous row's hash and this row's other fields
        /// (`store::audit::link`).
        pub hash: Vec<u8>,
    }
}

table! {
    /// The audit chain's end: its last row's `seq` and `hash`; one row.
    pub struct AuditHead in "audit_head" {
        pub id: i64,
        pub seq: i64,
        pub hash: Vec<u8>,
    }
}

table! {
    /// A person who decides in the review console, apart from the
    /// integrations (`reviewers`).
    pub struct Reviewer in "reviewers" {
        pub id: ReviewerId,
        pub name: String,
        /// `reviewer` or `admin` (`reviewers::Role`).
        pub role: String,
        /// Argon2id, as a PHC string.
        pub password_hash: SecretText,
        /// Given out by an operator or an admin: replaced at the next login
        /// before anything else is allowed.
        pub password_expired: bool,
        pub active: bool,
        pub created_at: i64,
        /// Console sessions begun before this are over.
        pub password_set_at: i64,
    }
}

table! {
    /// An integration whose cases a reviewer sees.
    pub struct ReviewerIntegration in "reviewer_integrations" {
        pub reviewer_id: ReviewerId,
        pub integration_id: IntegrationId,
    }
}

table! {
    /// A logged-in browser of the console. Not copied by `migrate-db`:
    /// sessions last hours, and a copy would only log people in elsewhere.
    pub struct ConsoleSession in "console_sessions" {
        /// SHA-256 (hex) of the cookie's token: the table opens no session.
        pub token_hash: SecretText,
        pub reviewer_id: ReviewerId,
        /// What every state-changing request must echo (`X-CSRF-Token`).
        pub csrf_token: SecretText,
        pub created_at: i64,
        pub last_seen_at: i64,
    }
}

table! {
    /// A case (an attempt) a reviewer took, so that no one else decides it.
    pub struct Assignment in "assignments" {
        pub attempt_id: AttemptId,
        pub reviewer_id: ReviewerId,
        pub assigned_at: i64,
    }
}

/// An integration with its shared secrets, newest first: what a request is
/// verified against.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub integration: Integration,
    pub secrets: Vec<SharedSecret>,
}

impl Credentials {
    /// `secrets` as read, newest first.
    pub fn new(integration: Integration, secrets: Vec<Secret>) -> Self {
        Credentials {
            integration,
            secrets: secrets.into_iter().map(|s| s.secret).collect(),
        }
    }
}

/// Text that must never be printed: `Debug` shows `[REDACTED]`;
/// `expose_secret()` to use it. A shared secret, a password hash, a
/// console session's token hash and CSRF token.
#[derive(Debug, Clone)]
pub struct SecretText(SecretString);

/// An integration's shared secret.
pub type SharedSecret = SecretText;

impl ExposeSecret<str> for SecretText {
    fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl From<&str> for SecretText {
    fn from(secret: &str) -> Self {
        SecretText(secret.into())
    }
}

impl From<String> for SecretText {
    fn from(secret: String) -> Self {
        SecretText(secret.into())
    }
}

/// `migrate-db` compares copied rows.
impl PartialEq for SecretText {
    fn eq(&self, other: &Self) -> bool {
        self.expose_secret() == other.expose_secret()
    }
}

impl<'de> serde::Deserialize<'de> for SecretText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(SecretText::from)
    }
}

impl<DB: Database> Type<DB> for SecretText
where
    str: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <str as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <str as Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: Database> Encode<'q, DB> for SecretText
where
    for<'a> &'a str: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <&str as Encode<'q, DB>>::encode(self.expose_secret(), buf)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for SecretText
where
    String: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        <String as Decode<'r, DB>>::decode(value).map(SecretText::from)
    }
}

/// SQLite's JSON spells a boolean column 0 or 1; PostgreSQL's, false or true.
fn json_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
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
