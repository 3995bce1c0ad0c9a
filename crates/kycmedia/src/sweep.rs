//! Erases stored bytes that no metadata row points at.
//!
//! An upload writes its bytes before its row, and a delete removes rows
//! before bytes, so a crash between the two can leave bytes behind but never
//! a row without bytes. The sweep removes such leftovers once they are older
//! than any upload in flight could be.
//!
//! A media's derived images (`<blob key>.thumb` and `.preview`,
//! `objects::Derived`) have no row of their own: they are kept while their
//! media's object is referenced, and erased with the leftovers once it is not.

use std::{
    collections::{BTreeSet, HashSet},
    sync::Arc,
    time::Duration,
};

use futures::StreamExt;

use crate::{blobs::Blobs, objects, state::Core, store::Store};

/// What a sweep did.
#[derive(Debug, Default, serde::Serialize)]
pub struct SweepReport {
    pub scanned: u64,
    pub erased: u64,
}

/// Keys checked against the database per query: a million stored files
/// cost two thousand queries, not a million.
const BATCH: usize = 500;

pub async fn run(store: &dyn Store, blobs: &Blobs, grace: Duration) -> anyhow::Result<SweepReport> {
    let cutoff = time::OffsetDateTime::now_utc().unix_timestamp() - grace.as_secs() as i64;
    let mut report = SweepReport::default();
    let mut candidates = Vec::with_capacity(BATCH);
    let mut listing = blobs.list();
    while let Some(item) = listing.next().await {
        let item = item?;
        report.scanned += 1;
        if item.last_modified <= cutoff {
            candidates.push(item.key);
        }
        if candidates.len() == BATCH {
            report.erased += erase_orphans(store, blobs, &mut candidates).await?;
        }
    }
    report.erased += erase_orphans(store, blobs, &mut candidates).await?;
    Ok(report)
}

/// Erases those of `candidates` no row points at, directly or as their
/// media's thumbnail, and empties the batch.
async fn erase_orphans(store: &dyn Store, blobs: &Blobs, candidates: &mut Vec<String>) -> anyhow::Result<u64> {
    if candidates.is_empty() {
        return Ok(0);
    }
    let owners: BTreeSet<&str> = candidates.iter().map(|key| objects::owner_of(key)).collect();
    let owners: Vec<String> = owners.into_iter().map(str::to_owned).collect();
    let unreferenced: HashSet<String> = store.unreferenced_blobs(&owners).await?.into_iter().collect();
    let mut erased = 0;
    for key in candidates.drain(..) {
        if unreferenced.contains(objects::owner_of(&key)) {
            blobs.delete(&key).await?;
            erased += 1;
        }
    }
    Ok(erased)
}

/// Runs a sweep at start-up and then every hour, logging failures.
pub async fn every_hour(core: Arc<Core>, grace: Duration) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        // Replay windows are an hour at most: a nonce two hours old can
        // only come with a timestamp outside any window.
        let before = crate::ids::now_ms() - 2 * 3600 * 1000;
        if let Err(e) = core.store.forget_nonces(before).await {
            tracing::warn!(error = %e, "forgetting old request nonces failed");
        }
        match run(core.store.as_ref(), &core.blobs, grace).await {
            Ok(r) if r.erased > 0 => {
                tracing::info!(scanned = r.scanned, erased = r.erased, "sweep erased orphaned media")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "sweep failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::{
        ids::AttemptId,
        objects::{Derived, derived_key},
    };

    /// A store holding one media row under `blob_key`.
    async fn store_with_media(dir: &std::path::Path, blob_key: &str) -> Arc<dyn Store> {
        let store = crate::store::connect(&format!("sqlite://{}", dir.join("k.db").display()), 1, None)
            .await
            .unwrap();
        let integration = crate::admin::create_integration(store.as_ref(), "t")
            .await
            .unwrap()
            .integration;
        let session = crate::store::fixtures::session_row(&integration.id);
        store.create_session(&session).await.unwrap();
        let media = crate::store::fixtures::media_row(&session, blob_key, 1);
        store
            .insert_media(&media, None, "{}", &AttemptId::random())
            .await
            .unwrap();
        store
    }

    #[tokio::test]
    async fn a_thumbnail_is_kept_while_its_media_is_referenced_and_erased_with_an_orphan() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_media(dir.path(), "i/kept").await;
        let blobs = Blobs::open(&format!("file://{}", dir.path().join("media").display()), None, &[]).unwrap();
        let stored = [
            "i/kept".to_owned(),
            derived_key("i/kept", Derived::Thumbnail),
            "i/orphan".to_owned(),
            derived_key("i/orphan", Derived::Thumbnail),
            // A thumbnail whose media's object is gone already.
            derived_key("i/gone", Derived::Thumbnail),
        ];
        for key in &stored {
            blobs.put(key, Bytes::from_static(b"x")).await.unwrap();
        }
        let report = run(store.as_ref(), &blobs, Duration::ZERO).await.unwrap();
        assert_eq!((report.scanned, report.erased), (5, 3));
        let mut left = Vec::new();
        for key in &stored {
            if blobs.size(key).await.unwrap().is_some() {
                left.push(key.as_str());
            }
        }
        assert_eq!(left, ["i/kept", "i/kept.thumb"]);
    }

    #[test]
    fn a_thumbnails_owner_is_its_medias_blob_key() {
        assert_eq!(objects::owner_of("i/m.thumb"), "i/m");
        assert_eq!(objects::owner_of("i/m.sealed.thumb"), "i/m.sealed");
        assert_eq!(objects::owner_of("i/m"), "i/m");
        assert_eq!(objects::owner_of("i/m.sealed"), "i/m.sealed");
    }
}
