//! Rendered media lists, kept in memory while this process is the only one
//! that writes media to the database.
//!
//! Listing an attempt's media is the read integrations poll most, and a trip
//! through sqlx's SQLite driver costs several times the rest of the request
//! (see docs/benchmarks.md). A list only changes when media is uploaded into
//! the session or the session is deleted, both of which pass through this
//! process, so those writes drop the session's entries. A generation counter
//! closes the race where a read that started before a write would store the
//! old list after the write had dropped it. Only a server that holds the
//! database's exclusive serve lock gets a cache: with several servers on one
//! database, another's writes would go unseen.

use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use bytes::Bytes;

use crate::ids::{AttemptId, IntegrationId, SessionId};

/// Which list: one attempt's, or a session's latest attempt's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListKey {
    Attempt(AttemptId),
    SessionLatest(SessionId),
}

struct Entry {
    integration_id: IntegrationId,
    session_id: SessionId,
    body: Bytes,
}

/// The default budget (`--media-list-cache-mib`): bodies past this many
/// bytes in all are dropped wholesale, a bound on memory, not an LRU,
/// because refilling costs one query per list.
pub const BUDGET_BYTES: usize = crate::config::defaults::MEDIA_LIST_CACHE_MIB * 1024 * 1024;

pub struct MediaListCache {
    entries: Mutex<Entries>,
    generation: AtomicU64,
    budget: usize,
}

impl Default for MediaListCache {
    fn default() -> Self {
        MediaListCache::new(BUDGET_BYTES)
    }
}

#[derive(Default)]
struct Entries {
    /// Keyed by list alone: ids are random UUIDs, and each entry remembers
    /// its integration so that no other integration can read it.
    by_list: HashMap<ListKey, Entry>,
    bytes: usize,
}

impl MediaListCache {
    pub fn new(budget: usize) -> Self {
        MediaListCache {
            entries: Mutex::default(),
            generation: AtomicU64::new(0),
            budget,
        }
    }

    /// The rendered JSON body of a list, if cached for this integration.
    pub fn get(&self, integration_id: &IntegrationId, key: &ListKey) -> Option<Bytes> {
        let entries = self.entries.lock().ok()?;
        entries
            .by_list
            .get(key)
            .filter(|e| e.integration_id == *integration_id)
            .map(|e| e.body.clone())
    }

    /// Read before querying; pass to `insert` afterwards.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores a list read at `generation`, unless a write has happened since.
    pub fn insert(
        &self,
        generation: u64,
        integration_id: &IntegrationId,
        key: ListKey,
        session_id: &SessionId,
        body: Bytes,
    ) {
        let Ok(mut entries) = self.entries.lock() else { return };
        // Checked under the lock that `invalidate_session` also takes.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.bytes + body.len() > self.budget {
            entries.by_list.clear();
            entries.bytes = 0;
        }
        entries.bytes += body.len();
        let replaced = entries.by_list.insert(
            key,
            Entry {
                integration_id: integration_id.clone(),
                session_id: session_id.clone(),
                body,
            },
        );
        if let Some(old) = replaced {
            entries.bytes -= old.body.len();
        }
    }

    /// Drops every list of the session; call after the write has committed.
    pub fn invalidate_session(&self, session_id: &SessionId) {
        if let Ok(mut entries) = self.entries.lock() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            let mut freed = 0;
            entries.by_list.retain(|_, e| {
                let keep = e.session_id != *session_id;
                if !keep {
                    freed += e.body.len();
                }
                keep
            });
            entries.bytes -= freed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_drops_the_sessions_lists_and_only_theirs() {
        let cache = MediaListCache::default();
        let g = cache.generation();
        cache.insert(
            g,
            &IntegrationId::from("i"),
            ListKey::Attempt("a1".into()),
            &SessionId::from("s1"),
            Bytes::from_static(b"one"),
        );
        cache.insert(
            g,
            &IntegrationId::from("i"),
            ListKey::Attempt("a2".into()),
            &SessionId::from("s2"),
            Bytes::from_static(b"two"),
        );
        cache.invalidate_session(&SessionId::from("s1"));
        assert!(
            cache
                .get(&IntegrationId::from("i"), &ListKey::Attempt("a1".into()))
                .is_none()
        );
        assert_eq!(
            cache
                .get(&IntegrationId::from("i"), &ListKey::Attempt("a2".into()))
                .unwrap(),
            "two"
        );
    }

    #[test]
    fn a_list_read_before_a_write_is_not_stored_after_it() {
        let cache = MediaListCache::default();
        let before = cache.generation();
        cache.invalidate_session(&SessionId::from("s1"));
        cache.insert(
            before,
            &IntegrationId::from("i"),
            ListKey::Attempt("a1".into()),
            &SessionId::from("s1"),
            Bytes::from_static(b"stale"),
        );
        assert!(
            cache
                .get(&IntegrationId::from("i"), &ListKey::Attempt("a1".into()))
                .is_none()
        );
    }

    #[test]
    fn the_cache_never_holds_more_than_its_byte_budget() {
        let cache = MediaListCache::default();
        let body = Bytes::from(vec![b'x'; 1024 * 1024]);
        for i in 0..40 {
            cache.insert(
                cache.generation(),
                &IntegrationId::from("i"),
                ListKey::Attempt(i.to_string().into()),
                &SessionId::from("s"),
                body.clone(),
            );
            assert!(cache.entries.lock().unwrap().bytes <= BUDGET_BYTES);
        }
        cache.invalidate_session(&SessionId::from("s"));
        assert_eq!(cache.entries.lock().unwrap().bytes, 0);
    }

    #[test]
    fn another_integration_never_reads_a_cached_list() {
        let cache = MediaListCache::default();
        let g = cache.generation();
        cache.insert(
            g,
            &IntegrationId::from("owner"),
            ListKey::Attempt("a1".into()),
            &SessionId::from("s1"),
            Bytes::from_static(b"x"),
        );
        assert!(
            cache
                .get(&IntegrationId::from("other"), &ListKey::Attempt("a1".into()))
                .is_none()
        );
    }
}
