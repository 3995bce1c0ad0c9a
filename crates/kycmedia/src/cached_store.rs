//! The store as a server with a media-list cache sees it: every write that
//! changes a session's media list drops that session's cached lists as part
//! of the write itself, so no write path can forget to (`media_cache`).
//! Everything else passes straight through.

use std::{collections::HashMap, sync::Arc};

use async_trait::async_trait;
use kycmedia_proto::webhook::WebhookState;

use crate::{
    ids::{AttemptId, IntegrationId, MediaId, SessionId},
    media_cache::MediaListCache,
    store::{
        Attempt, AttemptMedia, AuditFilter, AuditHead, AuditRecord, Credentials, Decision, Integration, KeyCensus,
        Media, ObjectKey, PoolStats, Replay, RequestNonce, Result, Reviews, Session, SharedSecret, Store, Totals,
        Verdict, Webhook, WebhookAttempt,
    },
};

pub struct InvalidatingStore {
    pub inner: Arc<dyn Store>,
    pub lists: Arc<MediaListCache>,
}

#[async_trait]
impl Store for InvalidatingStore {
    /// A new media row changes its attempt's list and the session's latest.
    async fn insert_media(
        &self,
        media: &Media,
        key: Option<&ObjectKey>,
        evidence: &str,
        new_attempt: &AttemptId,
    ) -> Result<AttemptId> {
        let attempt = self.inner.insert_media(media, key, evidence, new_attempt).await?;
        self.lists.invalidate_session(&media.session_id);
        Ok(attempt)
    }

    /// A deleted session's lists must not outlive it.
    async fn delete_session(&self, integration: &IntegrationId, session: &SessionId) -> Result<Vec<String>> {
        let keys = self.inner.delete_session(integration, session).await?;
        self.lists.invalidate_session(session);
        Ok(keys)
    }

    /// A media's list entry does not change with its object's blob key.
    async fn seal_media(&self, key: &ObjectKey, blob_key: &str) -> Result<bool> {
        self.inner.seal_media(key, blob_key).await
    }

    async fn object_key(&self, integration: &IntegrationId, media: &MediaId) -> Result<Option<ObjectKey>> {
        self.inner.object_key(integration, media).await
    }

    async fn key_census(&self) -> Result<KeyCensus> {
        self.inner.key_census().await
    }

    async fn object_keys_not_under(&self, master_key_id: &str, limit: i64) -> Result<Vec<ObjectKey>> {
        self.inner.object_keys_not_under(master_key_id, limit).await
    }

    async fn rewrap(&self, old: &ObjectKey, new: &ObjectKey) -> Result<bool> {
        self.inner.rewrap(old, new).await
    }

    async fn plaintext_media(&self, after: &str, limit: i64) -> Result<Vec<Media>> {
        self.inner.plaintext_media(after, limit).await
    }

    async fn reseal_secrets(&self) -> Result<u64> {
        self.inner.reseal_secrets().await
    }

    async fn append_audit(&self, rows: &mut [AuditRecord]) -> Result<()> {
        self.inner.append_audit(rows).await
    }

    async fn audit_records(&self, filter: &AuditFilter, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        self.inner.audit_records(filter, after_seq, limit).await
    }

    async fn audit_head(&self) -> Result<AuditHead> {
        self.inner.audit_head().await
    }

    async fn set_replay_window(&self, api_key: &str, window_secs: Option<i64>) -> Result<()> {
        self.inner.set_replay_window(api_key, window_secs).await
    }

    async fn use_nonce(&self, nonce: &RequestNonce) -> Result<bool> {
        self.inner.use_nonce(nonce).await
    }

    async fn forget_nonces(&self, before: i64) -> Result<u64> {
        self.inner.forget_nonces(before).await
    }

    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }

    async fn totals(&self) -> Result<Totals> {
        self.inner.totals().await
    }

    fn pool_stats(&self) -> PoolStats {
        self.inner.pool_stats()
    }

    async fn create_integration(&self, integration: &Integration, secret: &SharedSecret) -> Result<Credentials> {
        self.inner.create_integration(integration, secret).await
    }

    async fn integration_by_key(&self, api_key: &str) -> Result<Option<Credentials>> {
        self.inner.integration_by_key(api_key).await
    }

    async fn list_integrations(&self) -> Result<Vec<Credentials>> {
        self.inner.list_integrations().await
    }

    async fn add_secret(&self, api_key: &str, secret: &SharedSecret, now: i64) -> Result<()> {
        self.inner.add_secret(api_key, secret, now).await
    }

    async fn revoke_secret(&self, api_key: &str, secret: &str) -> Result<()> {
        self.inner.revoke_secret(api_key, secret).await
    }

    async fn disable_integration(&self, api_key: &str) -> Result<()> {
        self.inner.disable_integration(api_key).await
    }

    async fn set_webhooks(&self, api_key: &str, decisions: Option<&str>, events: Option<&str>) -> Result<()> {
        self.inner.set_webhooks(api_key, decisions, events).await
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        self.inner.create_session(session).await
    }

    async fn session(&self, integration: &IntegrationId, session: &SessionId) -> Result<Option<Session>> {
        self.inner.session(integration, session).await
    }

    async fn session_by_token(&self, token: &str) -> Result<Option<Session>> {
        self.inner.session_by_token(token).await
    }

    /// Statuses are not part of a media list; an attempt opened here is
    /// empty, and a session without attempts has no cached list.
    async fn submit(
        &self,
        integration: &IntegrationId,
        session: &SessionId,
        new_attempt: &AttemptId,
        now: i64,
    ) -> Result<Session> {
        self.inner.submit(integration, session, new_attempt, now).await
    }

    async fn decide(&self, session: &SessionId, verdict: &Verdict, now: i64) -> Result<Session> {
        self.inner.decide(session, verdict, now).await
    }

    fn reviews(&self) -> &dyn Reviews {
        self.inner.reviews()
    }

    async fn stale_sessions(&self, created_before: i64, limit: i64) -> Result<Vec<SessionId>> {
        self.inner.stale_sessions(created_before, limit).await
    }

    async fn expire(&self, session: &SessionId, new_attempt: &AttemptId, now: i64) -> Result<Option<Session>> {
        self.inner.expire(session, new_attempt, now).await
    }

    async fn decision(&self, integration: &IntegrationId, session: &SessionId) -> Result<Option<(Decision, Attempt)>> {
        self.inner.decision(integration, session).await
    }

    async fn attempts(&self, integration: &IntegrationId, session: &SessionId) -> Result<Vec<Attempt>> {
        self.inner.attempts(integration, session).await
    }

    async fn latest_attempt(&self, integration: &IntegrationId, session: &SessionId) -> Result<Option<Attempt>> {
        self.inner.latest_attempt(integration, session).await
    }

    async fn attempt_media(&self, integration: &IntegrationId, attempt: &AttemptId) -> Result<Option<AttemptMedia>> {
        self.inner.attempt_media(integration, attempt).await
    }

    async fn media(&self, integration: &IntegrationId, media: &MediaId) -> Result<Option<Media>> {
        self.inner.media(integration, media).await
    }

    async fn evidence(&self, integration: &IntegrationId, media: &[MediaId]) -> Result<HashMap<MediaId, String>> {
        self.inner.evidence(integration, media).await
    }

    async fn unreferenced_blobs(&self, blob_keys: &[String]) -> Result<Vec<String>> {
        self.inner.unreferenced_blobs(blob_keys).await
    }

    async fn integration(&self, id: &IntegrationId) -> Result<Option<Credentials>> {
        self.inner.integration(id).await
    }

    async fn claim_webhooks(&self, now: i64, lease_until: i64, limit: i64) -> Result<Vec<Webhook>> {
        self.inner.claim_webhooks(now, lease_until, limit).await
    }

    async fn finish_webhook(&self, attempt: &WebhookAttempt, state: WebhookState, next_attempt_at: i64) -> Result<()> {
        self.inner.finish_webhook(attempt, state, next_attempt_at).await
    }

    async fn webhooks(
        &self,
        session: Option<&SessionId>,
        failed_only: bool,
        limit: i64,
    ) -> Result<Vec<(Webhook, Vec<WebhookAttempt>)>> {
        self.inner.webhooks(session, failed_only, limit).await
    }

    async fn webhook_backlog(&self) -> Result<(i64, Option<i64>)> {
        self.inner.webhook_backlog().await
    }

    async fn replay_webhooks(&self, which: &Replay, now: i64) -> Result<u64> {
        self.inner.replay_webhooks(which, now).await
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::media_cache::ListKey;

    #[tokio::test]
    async fn a_write_through_the_store_itself_drops_the_sessions_cached_lists() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("k.db").display());
        let lists = Arc::new(MediaListCache::new(1 << 20));
        let store = InvalidatingStore {
            inner: crate::store::connect(&url, 1, None).await.unwrap(),
            lists: lists.clone(),
        };
        let integration = crate::admin::create_integration(&store, "t").await.unwrap().integration;
        let session = crate::store::fixtures::session_row(&integration.id);
        store.create_session(&session).await.unwrap();
        let key = ListKey::SessionLatest(session.id.clone());
        let cache = |body: &'static str| {
            lists.insert(
                lists.generation(),
                &integration.id,
                key.clone(),
                &session.id,
                Bytes::from(body),
            );
            assert!(lists.get(&integration.id, &key).is_some());
        };

        cache("[]");
        let media = crate::store::fixtures::media_row(&session, &format!("{}/m", integration.id), 1);
        store
            .insert_media(&media, None, "{}", &AttemptId::random())
            .await
            .unwrap();
        assert_eq!(lists.get(&integration.id, &key), None, "an insert drops the list");

        cache("[1]");
        store.delete_session(&integration.id, &session.id).await.unwrap();
        assert_eq!(lists.get(&integration.id, &key), None, "a delete drops the list");
    }
}
