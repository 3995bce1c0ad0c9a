//! Ending sessions by time, as the provider does: a session not submitted
//! within its lifetime is `expired` when nothing was uploaded and
//! `abandoned` when something was, each with a decision and its webhook
//! (`Store::expire`). Every server runs this; the guarded write in the store
//! makes a session that two of them find at once end only once.

use std::{sync::Arc, time::Duration};

use crate::{
    ids::{AttemptId, now_ms},
    store::{Store, StoreError},
};

/// Sessions looked at per query.
const BATCH: i64 = 100;

/// Ends the sessions past `lifetime` now and then, for as long as it runs:
/// every minute, or every half lifetime when that is shorter.
pub async fn expire_forever(store: Arc<dyn Store>, lifetime: Duration) {
    let every = (lifetime / 2).clamp(Duration::from_millis(200), Duration::from_secs(60));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match run(store.as_ref(), lifetime).await {
            Ok(0) => {}
            Ok(ended) => tracing::info!(ended, "sessions ended by time"),
            Err(e) => tracing::warn!(error = %e, "ending sessions by time"),
        }
    }
}

/// Ends every session past `lifetime` once; returns how many ended.
pub async fn run(store: &dyn Store, lifetime: Duration) -> Result<u64, StoreError> {
    let created_before = now_ms() - lifetime.as_millis() as i64;
    let mut ended = 0;
    loop {
        let stale = store.stale_sessions(created_before, BATCH).await?;
        for session in &stale {
            if store.expire(session, &AttemptId::random(), now_ms()).await?.is_some() {
                ended += 1;
            }
        }
        if (stale.len() as i64) < BATCH {
            return Ok(ended);
        }
    }
}
