//! What every request handler and command shares: the store, the blobs, the
//! settings they run under and the caches in front of the store. Nothing
//! here knows HTTP; the router is built on top of it (`http`), and the
//! process around both (`app`).

use std::{sync::Arc, time::Duration};

use anyhow::Context as _;

use crate::{
    blobs::Blobs,
    cached_store::InvalidatingStore,
    config::{DatabaseArgs, LimitArgs, StorageArgs},
    integration_cache::IntegrationCache,
    keys::KeyRing,
    media_cache::MediaListCache,
    store::Store,
};

/// What every request handler and command shares.
pub struct Core {
    pub store: Arc<dyn Store>,
    pub blobs: Blobs,
    /// Seals new objects and opens stored ones; `None` with `--insecure-plaintext`.
    pub keys: Option<Arc<KeyRing>>,
    /// Where every access is recorded.
    pub audit: crate::audit::Trail,
    /// Without a trailing slash.
    pub public_url: String,
    pub limits: LimitArgs,
    pub integrations: IntegrationCache,
    /// Rendered media lists; only on a server that owns its database (see `media_cache`).
    pub media_lists: Option<Arc<MediaListCache>>,
    /// Held for the server's lifetime: the database's serve lock.
    _serve_lock: Option<std::fs::File>,
    /// Concurrent analyses allowed: each may hold a decoded image, so their
    /// number, not the number of clients, bounds memory and CPU.
    pub analysis_slots: tokio::sync::Semaphore,
    /// Where analyses run, one thread a core.
    pub analyses: crate::analysis_pool::AnalysisPool,
    /// Rates, body bytes in memory and each tenant's share of the analyses.
    pub admission: crate::admission::Admission,
}

impl Core {
    /// Opens the database and the media storage a configuration names.
    /// `serve_lock` is the database's serve lock when this process holds it,
    /// which lets it cache media lists in up to `list_cache_bytes`.
    pub async fn open(
        database: &DatabaseArgs,
        storage: &StorageArgs,
        public_url: String,
        limits: LimitArgs,
        serve_lock: Option<std::fs::File>,
        list_cache_bytes: usize,
    ) -> anyhow::Result<Arc<Self>> {
        let keys = database.keys.ring()?;
        let store = database.connect_with(keys.clone()).await?;
        let census = store.key_census().await.context("reading what is encrypted")?;
        check_readable(&census, keys.as_deref())?;
        let media_lists = serve_lock
            .as_ref()
            .filter(|_| list_cache_bytes > 0)
            .map(|_| Arc::new(MediaListCache::new(list_cache_bytes)));
        // With a cache, the store every write goes through drops the lists
        // the write changes: no write path has to remember to.
        let store: Arc<dyn Store> = match &media_lists {
            Some(lists) => Arc::new(InvalidatingStore {
                inner: store,
                lists: lists.clone(),
            }),
            None => store,
        };
        let blobs = storage.open()?;
        blobs
            .check()
            .await
            .with_context(|| format!("storage {} does not answer", storage.storage))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let analysis_slots = cores * 2;
        let admission = crate::admission::Admission::new(&limits.tenants, analysis_slots);
        let analyses = crate::analysis_pool::AnalysisPool::start(cores).context("starting the analysis threads")?;
        Ok(Arc::new(Core {
            audit: crate::audit::Trail::start(store.clone()),
            store,
            blobs,
            keys,
            public_url: public_url.trim_end_matches('/').to_owned(),
            limits,
            integrations: IntegrationCache::new(Duration::from_millis(500)),
            media_lists,
            _serve_lock: serve_lock,
            analysis_slots: tokio::sync::Semaphore::new(analysis_slots),
            analyses,
            admission,
        }))
    }

    /// `<public base URL>/v1/media/<id>`.
    pub fn media_url(&self, media_id: &str) -> String {
        format!("{}/v1/media/{media_id}", self.public_url)
    }
}

/// Refuses an installation this process could not read, or one it would
/// leave half encrypted, with what to run: objects or secrets sealed under
/// a master key it was not given, sealed data without any key, or
/// plaintext left over from before encryption was configured.
fn check_readable(census: &crate::store::KeyCensus, keys: Option<&KeyRing>) -> anyhow::Result<()> {
    let sealed = census.objects_by_master.keys().chain(census.secrets_by_master.keys());
    match keys {
        None => {
            let count = census.objects_by_master.values().sum::<i64>() + census.secrets_by_master.values().sum::<i64>();
            if count > 0 {
                anyhow::bail!(
                    "{count} objects and secrets in this installation are encrypted; give the master key file they are sealed under with --master-key-file"
                );
            }
        }
        Some(keys) => {
            let unknown: Vec<&String> = sealed.filter(|id| !keys.holds(id)).collect();
            if !unknown.is_empty() {
                anyhow::bail!(
                    "this installation holds data sealed under master key(s) {unknown:?}, which the master key file does not hold; give a file that holds them (first the new key, then the old ones, while `kycmedia keys rotate` runs)"
                );
            }
            if census.plaintext_objects > 0 || census.plaintext_secrets > 0 {
                anyhow::bail!(
                    "{} media objects and {} shared secrets are stored in plaintext, from before encryption was configured; stop the servers and run `kycmedia keys encrypt-existing` with the same --database, --storage and --master-key-file",
                    census.plaintext_objects,
                    census.plaintext_secrets
                );
            }
        }
    }
    Ok(())
}
