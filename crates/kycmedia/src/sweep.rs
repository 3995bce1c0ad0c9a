//! Erases stored bytes that no metadata row points at.
//!
//! An upload writes its bytes before its row, and a delete removes rows
//! before bytes, so a crash between the two can leave bytes behind but never
//! a row without bytes. The sweep removes such leftovers once they are older
//! than any upload in flight could be.

use std::{sync::Arc, time::Duration};

use futures::StreamExt;

use crate::{blobs::Blobs, state::Core, store::Store};

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

/// Erases those of `candidates` no row points at, and empties the batch.
async fn erase_orphans(store: &dyn Store, blobs: &Blobs, candidates: &mut Vec<String>) -> anyhow::Result<u64> {
    if candidates.is_empty() {
        return Ok(0);
    }
    let orphans = store.unreferenced_blobs(candidates).await?;
    candidates.clear();
    for key in &orphans {
        blobs.delete(key).await?;
    }
    Ok(orphans.len() as u64)
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
