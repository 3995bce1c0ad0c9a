//! Operator commands on integrations and decisions. They write to the
//! database only; running servers pick the change up within a second.

use kycmedia_proto::{Status, webhook::WebhookState};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::{
    ids::{IntegrationId, SessionId, new_id, now_ms, rfc3339_ms},
    store::{Credentials, Integration, Replay, SharedSecret, Store, StoreError, Verdict},
};

/// Creates an integration with a fresh API key and shared secret.
pub async fn create_integration(store: &dyn Store, name: &str) -> Result<Credentials, StoreError> {
    let integration = Integration {
        id: IntegrationId::random(),
        name: name.to_owned(),
        api_key: new_id(),
        active: true,
        created_at: now_ms(),
        decision_webhook_url: None,
        event_webhook_url: None,
        replay_window_secs: None,
    };
    store
        .create_integration(&integration, &SharedSecret::from(new_id()))
        .await
}

/// What `integration create` prints: `{"id","name","apiKey","sharedSecret"}`.
pub fn created_json(created: &Credentials) -> Value {
    let integration = &created.integration;
    json!({
        "id": integration.id,
        "name": integration.name,
        "apiKey": integration.api_key,
        "sharedSecret": created.secrets.first().map(ExposeSecret::expose_secret),
    })
}

pub async fn add_secret(store: &dyn Store, api_key: &str) -> Result<Value, StoreError> {
    let secret = new_id();
    store
        .add_secret(api_key, &SharedSecret::from(secret.as_str()), now_ms())
        .await?;
    Ok(json!({ "sharedSecret": secret }))
}

/// Turns replay protection on (`Some` window, seconds) or off.
pub async fn set_replay_window(
    store: &dyn Store,
    api_key: &str,
    window_secs: Option<i64>,
) -> Result<Value, StoreError> {
    store.set_replay_window(api_key, window_secs).await?;
    Ok(json!({ "apiKey": api_key, "replayWindowSecs": window_secs }))
}

pub async fn revoke_secret(store: &dyn Store, api_key: &str, secret: &str) -> Result<Value, StoreError> {
    store.revoke_secret(api_key, secret).await?;
    Ok(json!({ "apiKey": api_key, "revoked": true }))
}

/// Lists integrations with how many secrets each holds, never the secrets.
pub async fn list(store: &dyn Store) -> Result<Value, StoreError> {
    let all = store.list_integrations().await?;
    Ok(Value::Array(
        all.into_iter()
            .map(|c| {
                let i = &c.integration;
                json!({
                    "id": i.id,
                    "name": i.name,
                    "apiKey": i.api_key,
                    "active": i.active,
                    "secrets": c.secrets.len(),
                    "decisionWebhookUrl": i.decision_webhook_url,
                    "eventWebhookUrl": i.event_webhook_url,
                })
            })
            .collect(),
    ))
}

/// Sets the integration's webhook URLs: `None` keeps one as it is, an
/// empty one clears it, anything else must be an http(s) URL.
pub async fn set_webhooks(
    store: &dyn Store,
    api_key: &str,
    decisions: Option<&str>,
    events: Option<&str>,
) -> Result<Value, StoreError> {
    let current = store.integration_by_key(api_key).await?.ok_or(StoreError::NotFound)?;
    let pick = |given: Option<&str>, now: Option<String>, flag: &str| match given {
        None => Ok(now),
        Some("") => Ok(None),
        Some(url) => match url::Url::parse(url) {
            Ok(parsed) if matches!(parsed.scheme(), "https" | "http") => Ok(Some(url.to_owned())),
            _ => Err(StoreError::Invalid(format!(
                "--{flag} must be an https:// (or, with serve --webhook-allow-http, http://) URL: {url:?}"
            ))),
        },
    };
    let decisions = pick(decisions, current.integration.decision_webhook_url, "decisions")?;
    let events = pick(events, current.integration.event_webhook_url, "events")?;
    store
        .set_webhooks(api_key, decisions.as_deref(), events.as_deref())
        .await?;
    Ok(json!({ "apiKey": api_key, "decisionWebhookUrl": decisions, "eventWebhookUrl": events }))
}

pub async fn disable(store: &dyn Store, api_key: &str) -> Result<Value, StoreError> {
    store.disable_integration(api_key).await?;
    Ok(json!({ "apiKey": api_key, "active": false }))
}

/// Records a decision on a submitted session and its submitted attempt,
/// with a reason code from the provider's table when one is given: 1xx for
/// a decline, 2xx for a resubmission request, none for the others.
pub async fn decide(
    store: &dyn Store,
    session_id: &SessionId,
    decision: Status,
    reason_code: Option<i64>,
) -> Result<Value, StoreError> {
    decide_as(store, session_id, &Verdict::of(decision, reason_code)).await
}

/// `decide` with who decided and why: the console's reviewers go through
/// here, so a decision of theirs is checked, recorded and announced exactly
/// as one of `kycmedia decide`.
pub async fn decide_as(store: &dyn Store, session_id: &SessionId, verdict: &Verdict) -> Result<Value, StoreError> {
    let decision = verdict.status;
    if let Some(code) = verdict.reason_code
        && !kycmedia_proto::decision::reason_fits(decision, code)
    {
        return Err(StoreError::Invalid(format!(
            "reason code {code} does not go with {decision}: a decline takes one of {}, a resubmission request one of {}, \
             other decisions none",
            reason_codes(100..200),
            reason_codes(200..300)
        )));
    }
    let session = store.decide(session_id, verdict, now_ms()).await?;
    Ok(json!({ "id": session.id, "status": session.status.as_str() }))
}

/// The documented reason codes in `range`, comma-separated.
fn reason_codes(range: std::ops::Range<i64>) -> String {
    let codes: Vec<String> = kycmedia_proto::decision::REASONS
        .iter()
        .filter(|(code, _)| range.contains(code))
        .map(|(code, _)| code.to_string())
        .collect();
    codes.join(", ")
}

/// `kycmedia webhooks list`: the newest `limit` webhooks with their
/// delivery attempts, of one session or all.
pub async fn list_webhooks(
    store: &dyn Store,
    session: Option<&SessionId>,
    failed_only: bool,
    limit: i64,
) -> Result<Value, StoreError> {
    let listed = store.webhooks(session, failed_only, limit).await?;
    Ok(Value::Array(
        listed
            .into_iter()
            .map(|(w, attempts)| {
                json!({
                    "id": w.id,
                    "sessionId": w.session_id,
                    "integrationId": w.integration_id,
                    "kind": w.kind.as_str(),
                    "url": w.url,
                    "state": w.state.as_str(),
                    "attempts": w.attempts,
                    "createdAt": rfc3339_ms(w.created_at),
                    "nextAttemptAt": (w.state == WebhookState::Pending).then(|| rfc3339_ms(w.next_attempt_at)),
                    "deliveredAt": w.delivered_at.map(rfc3339_ms),
                    "body": w.body,
                    "log": attempts.into_iter().map(|a| json!({
                        "at": rfc3339_ms(a.at),
                        "httpStatus": a.http_status,
                        "latencyMs": a.latency_ms,
                        "outcome": a.outcome,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    ))
}

/// `kycmedia webhooks replay`: sends the chosen webhooks again.
pub async fn replay_webhooks(store: &dyn Store, which: &Replay) -> Result<Value, StoreError> {
    let replayed = store.replay_webhooks(which, now_ms()).await?;
    if replayed == 0 && matches!(which, Replay::One(_)) {
        return Err(StoreError::NotFound);
    }
    Ok(json!({ "replayed": replayed }))
}
