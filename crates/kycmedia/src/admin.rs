//! Operator commands on integrations and decisions. They write to the
//! database only; running servers pick the change up within a second.

use kycmedia_proto::Status;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::{
    ids::{IntegrationId, SessionId, new_id, now_ms},
    store::{Credentials, Integration, SharedSecret, Store, StoreError},
};

/// Creates an integration with a fresh API key and shared secret.
pub async fn create_integration(store: &dyn Store, name: &str) -> Result<Credentials, StoreError> {
    let integration = Integration {
        id: IntegrationId::random(),
        name: name.to_owned(),
        api_key: new_id(),
        active: true,
        created_at: now_ms(),
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
                })
            })
            .collect(),
    ))
}

pub async fn disable(store: &dyn Store, api_key: &str) -> Result<Value, StoreError> {
    store.disable_integration(api_key).await?;
    Ok(json!({ "apiKey": api_key, "active": false }))
}

/// Records a decision on a submitted session and its submitted attempt.
pub async fn decide(store: &dyn Store, session_id: &SessionId, decision: Status) -> Result<Value, StoreError> {
    let session = store.decide(session_id, decision).await?;
    Ok(json!({ "id": session.id, "status": session.status.as_str() }))
}
