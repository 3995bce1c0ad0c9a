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

/// Which list: one attempt's, or a session's latest attempt's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListKey {
    Attempt(String),
    SessionLatest(String),
}

struct Entry {
    integration_id: String,
    session_id: String,
    body: Bytes,
}

/// Entries past this count are dropped wholesale: a bound, not an LRU,
/// because refilling costs one query per list.
const CAPACITY: usize = 50_000;

#[derive(Default)]
pub struct MediaListCache {
    /// Keyed by list alone: ids are random UUIDs, and each entry remembers
    /// its integration so that no other integration can read it.
    entries: Mutex<HashMap<ListKey, Entry>>,
    generation: AtomicU64,
}

impl MediaListCache {
    /// The rendered JSON body of a list, if cached for this integration.
    pub fn get(&self, integration_id: &str, key: &ListKey) -> Option<Bytes> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|e| e.integration_id == integration_id)
            .map(|e| e.body.clone())
    }

    /// Read before querying; pass to `insert` afterwards.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores a list read at `generation`, unless a write has happened since.
    pub fn insert(&self, generation: u64, integration_id: &str, key: ListKey, session_id: &str, body: Bytes) {
        let Ok(mut entries) = self.entries.lock() else { return };
        // Checked under the lock that `invalidate_session` also takes.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                integration_id: integration_id.to_owned(),
                session_id: session_id.to_owned(),
                body,
            },
        );
    }

    /// Drops every list of the session; call after the write has committed.
    pub fn invalidate_session(&self, session_id: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.retain(|_, e| e.session_id != session_id);
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
        cache.insert(g, "i", ListKey::Attempt("a1".into()), "s1", Bytes::from_static(b"one"));
        cache.insert(g, "i", ListKey::Attempt("a2".into()), "s2", Bytes::from_static(b"two"));
        cache.invalidate_session("s1");
        assert!(cache.get("i", &ListKey::Attempt("a1".into())).is_none());
        assert_eq!(cache.get("i", &ListKey::Attempt("a2".into())).unwrap(), "two");
    }

    #[test]
    fn a_list_read_before_a_write_is_not_stored_after_it() {
        let cache = MediaListCache::default();
        let before = cache.generation();
        cache.invalidate_session("s1");
        cache.insert(
            before,
            "i",
            ListKey::Attempt("a1".into()),
            "s1",
            Bytes::from_static(b"stale"),
        );
        assert!(cache.get("i", &ListKey::Attempt("a1".into())).is_none());
    }

    #[test]
    fn another_integration_never_reads_a_cached_list() {
        let cache = MediaListCache::default();
        let g = cache.generation();
        cache.insert(
            g,
            "owner",
            ListKey::Attempt("a1".into()),
            "s1",
            Bytes::from_static(b"x"),
        );
        assert!(cache.get("other", &ListKey::Attempt("a1".into())).is_none());
    }
}
