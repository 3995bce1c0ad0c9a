//! What the store needs of a sqlx driver, written once: `Driver`. Both the
//! tenant store (`engine`), the migration copy (`copy`) and `inspect` are
//! generic over `DB: Driver`, and SQLite and PostgreSQL each declare it in
//! one line, where the compiler checks every bound for that database.
//!
//! Rust assumes a trait's supertraits, and the bounds on their associated
//! types, wherever the trait holds, but not its other where clauses
//! (rust-lang/rust#20671): `trait Driver where String: Encode<Self>` would
//! still have every user repeat the clause. `Imply<T, Is: Bound>` turns such
//! a clause into a supertrait: `Is` is always `T`, so its bound is `T`'s.

use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Type};

use super::{
    engine::Dialect,
    reviews::{DecisionRow, WaitingCase},
    rows::{
        Assignment, Attempt, AuditHead, AuditRecord, ConsoleSession, Decision, Evidence, Integration, Media, ObjectKey,
        RequestNonce, Reviewer, ReviewerIntegration, Secret, Session, Webhook, WebhookAttempt,
    },
    table::Row,
};
use crate::{
    ids::{AttemptId, IntegrationId, MediaId, ReviewerId, SessionId, WebhookId},
    store::SharedSecret,
};
use kycmedia_proto::{Status, webhook::WebhookState};

/// `Imply<T, Is: Bound>` as a supertrait states `T: Bound` (see above).
/// The equality `Is = T` is itself a supertrait's bound, so that the
/// compiler assumes it too, instead of having to find it in an impl.
pub trait Imply<T: ?Sized>: Is<T, Is = T> {}

impl<S: ?Sized, T: ?Sized> Imply<T> for S {}

/// Carries `Imply`'s `Is`.
pub trait Is<T: ?Sized> {
    type Is: ?Sized;
}

impl<S: ?Sized, T: ?Sized> Is<T> for S {
    type Is = T;
}

/// A sqlx driver that runs every statement of the store: it binds and
/// decodes what they bind and decode, and each table's row type (`Row`).
pub trait Driver:
    Dialect
    + sqlx::database::HasStatementCache
    + Database<Arguments: IntoArguments<Self>>
    + for<'c> Imply<&'c mut <Self as Database>::Connection, Is: Executor<'c, Database = Self>>
    + Imply<Integration, Is: Row<Self>>
    + Imply<Secret, Is: Row<Self>>
    + Imply<Session, Is: Row<Self>>
    + Imply<Attempt, Is: Row<Self>>
    + Imply<Media, Is: Row<Self>>
    + Imply<Evidence, Is: Row<Self>>
    + Imply<ObjectKey, Is: Row<Self>>
    + Imply<AuditRecord, Is: Row<Self>>
    + Imply<AuditHead, Is: Row<Self>>
    + Imply<RequestNonce, Is: Row<Self>>
    + Imply<Decision, Is: Row<Self>>
    + Imply<Webhook, Is: Row<Self>>
    + Imply<WebhookAttempt, Is: Row<Self>>
    + Imply<Reviewer, Is: Row<Self>>
    + Imply<ReviewerIntegration, Is: Row<Self>>
    + Imply<ConsoleSession, Is: Row<Self>>
    + Imply<Assignment, Is: Row<Self>>
    + Imply<WaitingCase, Is: for<'r> FromRow<'r, <Self as Database>::Row>>
    + Imply<DecisionRow, Is: for<'r> FromRow<'r, <Self as Database>::Row>>
    + Imply<(String,), Is: for<'r> FromRow<'r, <Self as Database>::Row>>
    + Imply<(i64,), Is: for<'r> FromRow<'r, <Self as Database>::Row>>
    + Imply<(i64, i64), Is: for<'r> FromRow<'r, <Self as Database>::Row>>
    + Imply<(i64, Option<i64>), Is: for<'r> FromRow<'r, <Self as Database>::Row>>
    + Imply<(String, i64), Is: for<'r> FromRow<'r, <Self as Database>::Row>>
    + Imply<(String, String), Is: for<'r> FromRow<'r, <Self as Database>::Row>>
    + Imply<(AttemptId,), Is: for<'r> FromRow<'r, <Self as Database>::Row>>
    + Imply<(SessionId,), Is: for<'r> FromRow<'r, <Self as Database>::Row>>
    + Imply<(IntegrationId,), Is: for<'r> FromRow<'r, <Self as Database>::Row>>
    + Imply<(IntegrationId, String), Is: for<'r> FromRow<'r, <Self as Database>::Row>>
    + Imply<(i64, Vec<u8>, bool), Is: for<'r> FromRow<'r, <Self as Database>::Row>>
    + for<'a> Imply<&'a str, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<String, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<Option<String>, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<i64, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<Vec<u8>, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<Status, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<WebhookState, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<Option<i64>, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<bool, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<Option<SessionId>, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<Option<IntegrationId>, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<Option<AttemptId>, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<Option<MediaId>, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<Option<WebhookId>, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<WebhookId, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<SharedSecret, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<IntegrationId, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<SessionId, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<AttemptId, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<MediaId, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<ReviewerId, Is: for<'q> Encode<'q, Self> + Type<Self>>
    + Imply<Option<ReviewerId>, Is: for<'q> Encode<'q, Self> + Type<Self>>
{
}
