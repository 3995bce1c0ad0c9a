//! Integrations by API key, cached for a moment: the one thing a server
//! remembers between requests on every backend (see AGENTS.md, "Stateless
//! servers").

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::store::{Credentials, Store, StoreError};

/// Integrations by API key, each entry trusted for a short time so that the
/// hot path rarely touches the database while revoked secrets and disabled
/// integrations still take effect within one second on every server.
pub struct IntegrationCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, CacheEntry>>,
}

/// When an API key was looked up, and what was found (unknown keys too).
type CacheEntry = (Instant, Option<Arc<Credentials>>);

/// Entries past this count are dropped wholesale, so unknown keys cannot grow
/// the cache without bound.
const CACHE_CAPACITY: usize = 10_000;

impl IntegrationCache {
    pub fn new(ttl: Duration) -> Self {
        IntegrationCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub async fn get(&self, store: &dyn Store, api_key: &str) -> Result<Option<Arc<Credentials>>, StoreError> {
        if let Ok(entries) = self.entries.lock()
            && let Some((at, found)) = entries.get(api_key)
            && at.elapsed() < self.ttl
        {
            return Ok(found.clone());
        }
        let found = store.integration_by_key(api_key).await?.map(Arc::new);
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CACHE_CAPACITY {
                entries.clear();
            }
            entries.insert(api_key.to_owned(), (Instant::now(), found.clone()));
        }
        Ok(found)
    }
}
