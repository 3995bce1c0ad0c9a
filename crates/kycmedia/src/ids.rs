//! Identifiers and the clock every stored time is read from.
//!
//! Each kind of id is its own type, so that a store call taking an
//! integration and a session cannot be handed the two the wrong way round.
//! They are text on the wire and in the database (`#[sqlx(transparent)]`,
//! `#[serde(transparent)]`), so the bytes stay what they were.

/// A fresh random UUID v4 as text: ids, API keys, secrets.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Milliseconds since the Unix epoch, the unit every stored time uses.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Stored milliseconds as the contract writes times: RFC 3339 UTC with
/// milliseconds (`2026-12-01T12:00:00.000Z`).
pub fn rfc3339_ms(ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    ))
    .unwrap_or_default()
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type, serde::Serialize, serde::Deserialize)]
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh random id.
            pub fn random() -> Self {
                $name(new_id())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// Any text: an id read from a request is looked up, not trusted.
        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A tenant: `integrations.id`.
    IntegrationId
);
id_type!(
    /// `sessions.id`, the verification id of the contract.
    SessionId
);
id_type!(
    /// `attempts.id`.
    AttemptId
);
id_type!(
    /// `media.id`.
    MediaId
);
id_type!(
    /// `webhooks.id`, sent as the delivery's `X-Kycmedia-Webhook-Id` so
    /// that a receiver can drop a repeat.
    WebhookId
);
id_type!(
    /// `webhook_attempts.id`.
    WebhookAttemptId
);
id_type!(
    /// `reviewers.id`: a person who decides in the review console.
    ReviewerId
);
