//! The people who decide in the review console, apart from the
//! integrations: their accounts, passwords and logged-in browsers. The
//! commands (`kycmedia reviewer …`) and the console's admin page both call
//! these, so an account is made and checked one way.
//!
//! Passwords are hashed with Argon2id at the library's defaults (19 MiB,
//! two passes, OWASP's recommendation), off the async runtime. A password
//! an operator or an admin hands out is *expired*: it logs in once, to
//! choose a new one. A login names a reviewer that does not exist the same
//! way, and in about the same time, as a wrong password.

use std::sync::LazyLock;

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::{
    ids::{IntegrationId, ReviewerId, now_ms},
    store::{ConsoleSession, Reviewer, SecretText, Store, StoreError},
};

/// What a reviewer may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Sees and decides the cases of the integrations they are given.
    Reviewer,
    /// Sees every integration's cases, and manages reviewers in the console.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }

    /// A stored role; anything unknown is the lesser one.
    pub fn of(reviewer: &Reviewer) -> Role {
        if reviewer.role == "admin" {
            Role::Admin
        } else {
            Role::Reviewer
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "reviewer" => Some(Role::Reviewer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The fewest characters a chosen password may have.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The most: Argon2 takes any length, but a megabyte "password" is only work.
const MAX_PASSWORD_CHARS: usize = 256;

/// A name people log in with: 1 to 64 of letters, digits and `.`, `_`, `-`, `@`.
pub fn check_name(name: &str) -> Result<(), StoreError> {
    let fits = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    if fits {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "a reviewer's name is 1 to 64 letters, digits, '.', '_', '-' or '@': {name:?}"
        )))
    }
}

/// A new random password to hand out: 20 characters of a 32-letter alphabet
/// without look-alikes (100 bits).
pub fn one_time_password() -> SecretString {
    const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789-";
    let random = [uuid::Uuid::new_v4().into_bytes(), uuid::Uuid::new_v4().into_bytes()].concat();
    // uuid v4 bytes 6 and 8 carry fixed version and variant bits: skip them.
    let password: String = random
        .iter()
        .enumerate()
        .filter(|(i, _)| !matches!(i % 16, 6 | 8))
        .take(20)
        .map(|(_, b)| ALPHABET[usize::from(b % 32)] as char)
        .collect();
    password.into()
}

/// The Argon2id PHC string of `password`, hashed off the async runtime.
pub async fn hash(password: &SecretString) -> anyhow::Result<SecretText> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes())
            .map(|h| SecretText::from(h.to_string()))
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await?
}

/// Whether `password` is the one `stored` hashes, off the async runtime.
async fn matches(password: &SecretString, stored: &SecretText) -> bool {
    let (password, stored) = (password.clone(), stored.clone());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(stored.expose_secret()).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// Checked against when a login names nobody, so that it takes as long.
static NOBODY: LazyLock<SecretText> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"no reviewer has this password")
        .map(|h| SecretText::from(h.to_string()))
        .unwrap_or_else(|_| SecretText::from(String::new()))
});

/// A reviewer just made or given a new password, with that password: it is
/// shown once and stored only hashed.
pub struct Issued {
    pub reviewer: Reviewer,
    pub password: SecretString,
}

/// Adds a reviewer with a one-time password, seeing these integrations.
pub async fn add(store: &dyn Store, name: &str, role: Role, integrations: &[IntegrationId]) -> anyhow::Result<Issued> {
    check_name(name)?;
    let password = one_time_password();
    let now = now_ms();
    let reviewer = Reviewer {
        id: ReviewerId::random(),
        name: name.to_owned(),
        role: role.as_str().to_owned(),
        password_hash: hash(&password).await?,
        password_expired: true,
        active: true,
        created_at: now,
        password_set_at: now,
    };
    store.reviews().create_reviewer(&reviewer, integrations).await?;
    Ok(Issued { reviewer, password })
}

/// Gives the reviewer a new one-time password and ends their sessions.
pub async fn reset_password(store: &dyn Store, reviewer: Reviewer) -> anyhow::Result<Issued> {
    let password = one_time_password();
    let hashed = hash(&password).await?;
    store
        .reviews()
        .set_password(&reviewer.id, &hashed, true, now_ms())
        .await?;
    Ok(Issued { reviewer, password })
}

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The current password given is wrong.
    Current,
    /// Too short or too long, or the same as the current one.
    New,
}

/// Replaces the reviewer's password with one they chose; ends their other
/// sessions (the caller starts a fresh one).
pub async fn change_password(
    store: &dyn Store,
    reviewer: &Reviewer,
    current: &SecretString,
    new: &SecretString,
) -> anyhow::Result<Result<(), Refused>> {
    if !matches(current, &reviewer.password_hash).await {
        return Ok(Err(Refused::Current));
    }
    let chars = new.expose_secret().chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) || new.expose_secret() == current.expose_secret() {
        return Ok(Err(Refused::New));
    }
    let hashed = hash(new).await?;
    store
        .reviews()
        .set_password(&reviewer.id, &hashed, false, now_ms())
        .await?;
    Ok(Ok(()))
}

/// The active reviewer this name and password belong to; `None` for a
/// wrong password, an unknown name or a disabled reviewer alike.
pub async fn verify(store: &dyn Store, name: &str, password: &SecretString) -> Result<Option<Reviewer>, StoreError> {
    let too_long = password.expose_secret().chars().count() > MAX_PASSWORD_CHARS;
    let found = if too_long || check_name(name).is_err() {
        None
    } else {
        store.reviews().reviewer_by_name(name).await?
    };
    match found {
        Some(reviewer) if matches(password, &reviewer.password_hash).await && reviewer.active => Ok(Some(reviewer)),
        Some(_) => Ok(None),
        None => {
            let _ = matches(password, &NOBODY).await;
            Ok(None)
        }
    }
}

/// How long a console session lasts.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Without a request for this long, it ends.
    pub idle_ms: i64,
    /// It ends this long after login, used or not.
    pub absolute_ms: i64,
}

/// What the cookie carries (`token`, shown once) and what is stored.
pub struct Started {
    pub token: SecretString,
    pub session: ConsoleSession,
}

/// SHA-256 of a cookie's token, hex: the key the session is stored under.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 256 bits of randomness as 64 hex digits.
fn random_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// Starts a console session for a reviewer who just logged in.
pub async fn start_session(store: &dyn Store, reviewer: &Reviewer) -> Result<Started, StoreError> {
    let token = random_token();
    let now = now_ms();
    let session = ConsoleSession {
        token_hash: token_hash(&token).into(),
        reviewer_id: reviewer.id.clone(),
        csrf_token: random_token().into(),
        created_at: now,
        last_seen_at: now,
    };
    store.reviews().start_console_session(&session).await?;
    Ok(Started {
        token: token.into(),
        session,
    })
}

/// How often a session's last use is written: a page load makes a dozen
/// requests, and one write a minute keeps the idle timeout honest to it.
const TOUCH_EVERY_MS: i64 = 60_000;

/// The session a cookie's token opens and its reviewer, when both still
/// stand: not idle or old past its lifetimes, begun after the reviewer's
/// last password change, the reviewer active. An ended one is deleted.
pub async fn session(
    store: &dyn Store,
    token: &str,
    lifetimes: Lifetimes,
) -> Result<Option<(ConsoleSession, Reviewer)>, StoreError> {
    let hashed = token_hash(token);
    let Some((session, reviewer)) = store.reviews().console_session(&hashed).await? else {
        return Ok(None);
    };
    let now = now_ms();
    let over = now - session.last_seen_at > lifetimes.idle_ms
        || now - session.created_at > lifetimes.absolute_ms
        || session.created_at < reviewer.password_set_at
        || !reviewer.active;
    if over {
        store.reviews().end_console_session(&hashed).await?;
        return Ok(None);
    }
    if now - session.last_seen_at > TOUCH_EVERY_MS {
        store.reviews().touch_console_session(&hashed, now).await?;
    }
    Ok(Some((session, reviewer)))
}

/// Every hour, forgets console sessions unused for longer than `idle`: a
/// browser that never logged out leaves its row, which opens nothing after
/// that time but would stay forever.
pub async fn forget_ended_sessions(store: std::sync::Arc<dyn Store>, idle: std::time::Duration) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let before = now_ms() - i64::try_from(idle.as_millis()).unwrap_or(i64::MAX);
        if let Err(e) = store.reviews().forget_console_sessions(before).await {
            tracing::warn!(error = %e, "forgetting ended console sessions");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_passwords_are_twenty_unambiguous_characters_and_differ() {
        let a = one_time_password();
        let b = one_time_password();
        assert_eq!(a.expose_secret().len(), 20);
        assert!(a.expose_secret().bytes().all(|c| !b"il1o0".contains(&c)));
        assert_ne!(a.expose_secret(), b.expose_secret());
    }

    #[test]
    fn names_are_short_and_plain() {
        assert!(check_name("alice.smith@example").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name(&"a".repeat(65)).is_err());
        assert!(check_name("<script>").is_err());
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let password: SecretString = "correct horse battery".into();
        let stored = hash(&password).await.unwrap();
        assert!(stored.expose_secret().starts_with("$argon2id$"));
        assert!(matches(&password, &stored).await);
        assert!(!matches(&"correct horse battery!".into(), &stored).await);
        assert!(!matches(&password, &SecretText::from("not a hash")).await);
    }
}
