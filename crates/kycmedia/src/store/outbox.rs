//! The webhook outbox's writing side: a change that a webhook announces
//! writes the webhook row in its own transaction (`enqueue`), so that a
//! crash after the commit never loses one and a rolled-back change never
//! sends one. The bodies are the contract's (`kycmedia_proto::wire`).

use tokio::sync::Notify;

use kycmedia_proto::{
    decision::{self, DecisionObject, DecisionWebhook, Document, Person, TechnicalData},
    webhook::{Action, EventWebhook, WebhookKind, WebhookState},
    wire::SUCCESS,
};

use super::{Decision, Integration, Result, Session, Webhook, driver::Driver, sql, table};
use crate::ids::{AttemptId, WebhookId, rfc3339_ms};

/// Woken after a transaction that enqueued a webhook commits, so that this
/// process's deliverer sends it at once instead of at its next poll.
pub static ENQUEUED: Notify = Notify::const_new();

/// Call after committing a transaction that may have called `enqueue`.
pub(super) fn committed() {
    ENQUEUED.notify_one();
}

/// The decision as the API and the decision webhook show it.
/// `submitted_at` is the decided attempt's.
pub fn decision_object(session: &Session, decision: &Decision, submitted_at: Option<i64>) -> DecisionObject {
    DecisionObject {
        acceptance_time: rfc3339_ms(session.created_at),
        submission_time: submitted_at.map(rfc3339_ms),
        decision_time: rfc3339_ms(decision.decided_at),
        code: decision.status.code().unwrap_or_default(),
        id: session.id.to_string(),
        vendor_data: session.vendor_data.clone(),
        end_user_id: session.end_user_id.clone(),
        status: decision.status.as_str().to_owned(),
        reason: decision.reason_code.and_then(decision::reason).map(str::to_owned),
        reason_code: decision.reason_code,
        attempt_id: decision.attempt_id.to_string(),
        person: Person::default(),
        document: Document::default(),
        comments: Vec::new(),
        additional_verified_data: serde_json::Map::new(),
    }
}

/// The decision webhook's exact bytes.
pub(super) fn decision_body(session: &Session, decision: &Decision, submitted_at: Option<i64>) -> String {
    let body = DecisionWebhook {
        status: SUCCESS.to_owned(),
        verification: decision_object(session, decision, submitted_at),
        technical_data: TechnicalData::default(),
    };
    serde_json::to_string(&body).unwrap_or_default()
}

/// An event webhook's exact bytes.
pub(super) fn event_body(session: &Session, attempt: &AttemptId, action: Action) -> String {
    let body = EventWebhook {
        id: session.id.to_string(),
        attempt_id: attempt.to_string(),
        feature: "selfid".to_owned(),
        code: action.code(),
        action,
        vendor_data: session.vendor_data.clone(),
        end_user_id: session.end_user_id.clone(),
    };
    serde_json::to_string(&body).unwrap_or_default()
}

/// Adds `body` to the session's webhooks, after every earlier one, when its
/// integration has a URL for `kind`; otherwise nothing is sent. Runs on the
/// connection of the caller's transaction, which holds the session's row.
pub(super) async fn enqueue<DB: Driver>(
    conn: &mut DB::Connection,
    session: &Session,
    kind: WebhookKind,
    body: String,
    now: i64,
) -> Result<()> {
    let integration: Integration = sqlx::query_as(sql::INTEGRATION.as_str())
        .bind(&session.integration_id)
        .fetch_one(&mut *conn)
        .await?;
    let url = match kind {
        WebhookKind::Decision => integration.decision_webhook_url,
        WebhookKind::Event => integration.event_webhook_url,
    };
    let Some(url) = url else { return Ok(()) };
    let seq = sqlx::query_scalar(sql::NEXT_WEBHOOK_SEQ)
        .bind(&session.id)
        .fetch_one(&mut *conn)
        .await?;
    let webhook = Webhook {
        id: WebhookId::random(),
        integration_id: session.integration_id.clone(),
        session_id: session.id.clone(),
        seq,
        kind,
        url,
        body,
        state: WebhookState::Pending,
        attempts: 0,
        next_attempt_at: now,
        lease_until: None,
        created_at: now,
        delivered_at: None,
    };
    table::insert([&webhook], "").build().execute(&mut *conn).await?;
    Ok(())
}
