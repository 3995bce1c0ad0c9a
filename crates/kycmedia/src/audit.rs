//! The access audit trail: who read or changed what, when, from where, and
//! how it ended, one hash-chained row per access (`store::audit`).
//!
//! A request does not wait for its row's commit: rows go to one writer task
//! per server (`Trail`), which appends whatever has queued up in one
//! transaction. Under load the batches grow, so the trail costs a hot read
//! a queue push, not a commit; identical accesses within a batch (a client
//! polling one list) become one row with their count and the times of the
//! first and last, so a hot loop writes a row per batch, not per request.
//! The writer commits at most once per `GATHER` unless a flush waits: a
//! commit (an fsync) per handful of rows cost the hot read a fifth of its
//! throughput on two cores, one per 100 ms costs it nothing measurable.
//! The price: rows of the last `GATHER` before a crash can be lost (a
//! graceful stop writes them all, `Trail::flush`).
//! Commands append their row themselves, synchronously (`append_now`).

use std::{
    collections::{HashMap, hash_map::Entry},
    sync::Arc,
    time::Duration,
};

use tokio::time::Instant;

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::{
    ids::{AttemptId, IntegrationId, MediaId, ReviewerId, SessionId, now_ms},
    store::{
        AuditFilter, AuditRecord, Store,
        audit::{GENESIS, link},
    },
};

/// Rows a server may hold before requests wait for the writer.
const QUEUE: usize = 65_536;
/// Rows per transaction at most.
const BATCH: usize = 4096;
/// The least time between two of the writer's commits, but for flushes.
const GATHER: Duration = Duration::from_millis(100);

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A request signed by an integration.
    Integration,
    /// The end user, on the capture page (by its session token).
    Capture,
    /// An operator's command.
    Operator,
    /// A reviewer, in the review console.
    Reviewer,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Integration => "integration",
            Actor::Capture => "capture",
            Actor::Operator => "operator",
            Actor::Reviewer => "reviewer",
        }
    }
}

/// What an access touched, beyond what its path names: put on a response
/// by the handler that created it (a new session, an uploaded media).
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub session: Option<SessionId>,
    pub attempt: Option<AttemptId>,
    pub media: Option<MediaId>,
}

/// One access, before it has its place in the chain.
#[derive(Debug, Clone)]
pub struct Access {
    pub actor: Actor,
    pub integration: Option<IntegrationId>,
    pub secret_index: Option<usize>,
    pub action: String,
    pub subject: Subject,
    pub client: Option<String>,
    pub status: u16,
    /// Who, for `Actor::Reviewer`.
    pub reviewer: Option<ReviewerId>,
}

impl Access {
    fn into_record(self) -> AuditRecord {
        let at = now_ms();
        AuditRecord {
            seq: 0,
            at,
            count: 1,
            last_at: at,
            actor: self.actor.as_str().to_owned(),
            integration_id: self.integration,
            secret_index: self.secret_index.map(|i| i as i64),
            action: self.action,
            session_id: self.subject.session,
            attempt_id: self.subject.attempt,
            media_id: self.subject.media,
            client: self.client,
            reviewer_id: self.reviewer,
            status: i64::from(self.status),
            hash: Vec::new(),
        }
    }
}

enum Message {
    Row(Box<AuditRecord>),
    Flush(oneshot::Sender<()>),
}

/// A server's audit writer.
pub struct Trail {
    queue: mpsc::Sender<Message>,
}

impl Trail {
    /// Starts the writer task on `store`.
    pub fn start(store: Arc<dyn Store>) -> Trail {
        let (queue, incoming) = mpsc::channel(QUEUE);
        tokio::spawn(write_forever(store, incoming));
        Trail { queue }
    }

    /// Queues an access's row; waits only when the writer is `QUEUE` rows behind.
    pub async fn record(&self, access: Access) {
        if self
            .queue
            .send(Message::Row(Box::new(access.into_record())))
            .await
            .is_err()
        {
            tracing::error!("the audit writer has stopped: an access went unrecorded");
        }
    }

    /// Returns once every row queued before the call is committed.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.queue.send(Message::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

async fn write_forever(store: Arc<dyn Store>, mut incoming: mpsc::Receiver<Message>) {
    let mut messages = Vec::with_capacity(BATCH);
    let mut last_commit = Instant::now();
    while incoming.recv_many(&mut messages, BATCH).await > 0 {
        gather(&mut incoming, &mut messages, last_commit + GATHER).await;
        let mut rows: Vec<AuditRecord> = Vec::with_capacity(messages.len());
        let mut same: HashMap<Key, usize> = HashMap::new();
        let mut flushed = Vec::new();
        for message in messages.drain(..) {
            match message {
                Message::Row(row) => match same.entry(Key::of(&row)) {
                    Entry::Occupied(at) => {
                        let kept = &mut rows[*at.get()];
                        kept.count += 1;
                        kept.last_at = kept.last_at.max(row.at);
                    }
                    Entry::Vacant(slot) => {
                        slot.insert(rows.len());
                        rows.push(*row);
                    }
                },
                Message::Flush(done) => flushed.push(done),
            }
        }
        // A database that is down holds the trail back, never loses it:
        // the queue fills, then requests wait.
        let mut delay = Duration::from_millis(50);
        while let Err(e) = store.append_audit(&mut rows).await {
            tracing::warn!(error = %e, rows = rows.len(), "writing the audit trail; retrying");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
        last_commit = Instant::now();
        for done in flushed {
            let _ = done.send(());
        }
    }
}

/// Adds what else arrives to `messages` until `until`, a full batch, or a
/// flush: a flush is answered without waiting out the gathering time.
async fn gather(incoming: &mut mpsc::Receiver<Message>, messages: &mut Vec<Message>, until: Instant) {
    let mut looked = 0;
    while messages.len() < BATCH {
        if messages[looked..].iter().any(|m| matches!(m, Message::Flush(_))) {
            return;
        }
        looked = messages.len();
        let room = BATCH - messages.len();
        match tokio::time::timeout_at(until, incoming.recv_many(messages, room)).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// What makes two accesses the same: every field but the time.
#[derive(PartialEq, Eq, Hash)]
struct Key {
    actor: String,
    integration: Option<IntegrationId>,
    secret_index: Option<i64>,
    action: String,
    session: Option<SessionId>,
    attempt: Option<AttemptId>,
    media: Option<MediaId>,
    client: Option<String>,
    reviewer: Option<ReviewerId>,
    status: i64,
}

impl Key {
    fn of(row: &AuditRecord) -> Key {
        Key {
            actor: row.actor.clone(),
            integration: row.integration_id.clone(),
            secret_index: row.secret_index,
            action: row.action.clone(),
            session: row.session_id.clone(),
            attempt: row.attempt_id.clone(),
            media: row.media_id.clone(),
            client: row.client.clone(),
            reviewer: row.reviewer_id.clone(),
            status: row.status,
        }
    }
}

/// Appends a command's row at once.
pub async fn append_now(store: &dyn Store, access: Access) -> anyhow::Result<()> {
    store.append_audit(&mut [access.into_record()]).await?;
    Ok(())
}

/// A row as `kycmedia audit` prints it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shown {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_index: Option<i64>,
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer_id: Option<String>,
    pub status: i64,
    /// Identical accesses this row stands for, the last at `lastAt`.
    pub count: i64,
    pub last_at: String,
}

impl From<AuditRecord> for Shown {
    fn from(r: AuditRecord) -> Self {
        Shown {
            seq: r.seq,
            at: crate::ids::rfc3339_ms(r.at),
            actor: r.actor,
            integration_id: r.integration_id.map(|i| i.to_string()),
            secret_index: r.secret_index,
            action: r.action,
            session_id: r.session_id.map(|i| i.to_string()),
            attempt_id: r.attempt_id.map(|i| i.to_string()),
            media_id: r.media_id.map(|i| i.to_string()),
            client: r.client,
            reviewer_id: r.reviewer_id.map(|i| i.to_string()),
            status: r.status,
            count: r.count,
            last_at: crate::ids::rfc3339_ms(r.last_at),
        }
    }
}

/// Every row the filter selects, in order, a page at a time.
pub async fn list(store: &dyn Store, filter: &AuditFilter, mut each: impl FnMut(AuditRecord)) -> anyhow::Result<u64> {
    let (mut after, mut count) = (0, 0);
    loop {
        let page = store.audit_records(filter, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for row in page {
            count += 1;
            each(row);
        }
    }
    Ok(count)
}

/// What `kycmedia audit verify` found.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub rows: u64,
    /// The chain's last hash, hex: written down elsewhere, it also proves
    /// later that no rows were cut off the end.
    pub head: String,
    /// The first row where the chain breaks, and how; none when it holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Walks the whole chain: every seq from 1 without a gap, every hash the
/// link of the one before, and the last one the head's.
pub async fn verify(store: &dyn Store) -> anyhow::Result<Verdict> {
    let (mut expected_seq, mut hash) = (1, GENESIS.to_vec());
    let mut problem: Option<(i64, String)> = None;
    let rows = list(store, &AuditFilter::default(), |row| {
        if problem.is_some() {
            return;
        }
        if row.seq != expected_seq {
            problem = Some((
                expected_seq,
                format!("row {expected_seq} is missing (the next is {})", row.seq),
            ));
            return;
        }
        let linked = link(&hash, &row);
        if linked != row.hash {
            problem = Some((
                row.seq,
                format!("row {} was altered: its hash does not follow", row.seq),
            ));
            return;
        }
        hash = linked;
        expected_seq += 1;
    })
    .await?;
    let head = store.audit_head().await?;
    if problem.is_none() && (head.seq != expected_seq - 1 || head.hash != hash) {
        problem = Some((
            head.seq.min(expected_seq),
            format!(
                "the chain ends at row {} but its recorded end is row {}: rows were cut off or added",
                expected_seq - 1,
                head.seq
            ),
        ));
    }
    Ok(Verdict {
        rows,
        head: hex::encode(&hash),
        broken_at: problem.as_ref().map(|(seq, _)| *seq),
        problem: problem.map(|(_, p)| p),
    })
}
