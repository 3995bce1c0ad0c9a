//! Moving an installation between backends: `migrate-db` copies every row
//! from one database to another, `migrate-store` every object from one
//! media storage to another. Either way works (SQLite → PostgreSQL and
//! back, a directory → a bucket and back), and neither ever changes or
//! deletes anything at the source.
//!
//! Both are resumable: rows go over a page per transaction and objects one
//! at a time, each whole or not at all, so a run that is interrupted (Ctrl-C,
//! a crash, a lost connection) leaves only whole pages and objects behind,
//! and running the same command again carries on from there. Both end by
//! verifying: every row read back from both databases and compared, every
//! object's size and SHA-256 checked at the destination.

use std::{
    io::IsTerminal,
    sync::atomic::{AtomicU64, Ordering},
};

use anyhow::{Context as _, bail, ensure};
use futures::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{
    blobs::{BlobError, Blobs},
    store::{
        RowCopy,
        copy::{RowKey, Table},
    },
};

/// What `migrate-db` did, per table.
#[derive(Debug, Serialize)]
pub struct DbReport {
    pub tables: Vec<TableReport>,
}

#[derive(Debug, Serialize)]
pub struct TableReport {
    pub table: &'static str,
    /// Rows at the source, all now at the destination.
    pub rows: i64,
    /// Rows this run wrote; fewer than `rows` when resuming.
    pub copied: u64,
    /// Rows read back from both sides and found equal.
    pub verified: i64,
}

/// Copies every table from `from` to `to`, parents first, resuming after the
/// destination's last key, then compares both row by row.
///
/// Resuming after the last key is sound because pages are copied in key
/// order and each commits whole: what the destination holds is a prefix of
/// the source. A destination that held other rows beforehand fails the
/// verification, which names the table and key.
pub async fn database(from: &dyn RowCopy, to: &dyn RowCopy, batch: i64) -> anyhow::Result<DbReport> {
    ensure!(batch > 0, "--batch-size must be at least 1");
    let mut counts = Vec::new();
    for table in Table::ALL {
        let (source, destination) = (from.row_count(table).await?, to.row_count(table).await?);
        ensure!(
            destination <= source,
            "the destination's {} has {destination} rows, the source only {source}: \
             migrate into an empty database (or resume a migration of this same source)",
            table.name()
        );
        counts.push((table, source));
    }
    let total = counts.iter().map(|(_, n)| *n as u64).sum();
    let progress = Progress::new("copying rows", total);
    let mut tables = Vec::new();
    for (table, rows) in counts {
        progress.stage(table.name());
        let mut after = to.last_key(table).await?.unwrap_or_default();
        let skipped = if after == RowKey::default() {
            0
        } else {
            to.row_count(table).await?
        };
        progress.advance(skipped as u64);
        let mut copied = 0;
        loop {
            let page = from.export(table, &after, batch).await?;
            let Some(last) = page.last_key() else { break };
            copied += to.import(&page).await?;
            progress.advance(page.len() as u64);
            after = last;
        }
        tables.push(TableReport {
            table: table.name(),
            rows,
            copied,
            verified: 0,
        });
    }
    progress.finish();

    let progress = Progress::new("verifying rows", total);
    // `tables` was filled in `Table::ALL`'s order.
    for (table, report) in Table::ALL.into_iter().zip(&mut tables) {
        progress.stage(table.name());
        let mut after = RowKey::default();
        loop {
            let (source, destination) = (
                from.export(table, &after, batch).await?,
                to.export(table, &after, batch).await?,
            );
            if source != destination {
                bail!(
                    "verification failed: {} differs after key {:?}; the destination was not empty \
                     or was written to during the migration",
                    table.name(),
                    after.0
                );
            }
            let Some(last) = source.last_key() else { break };
            report.verified += source.len() as i64;
            progress.advance(source.len() as u64);
            after = last;
        }
        ensure!(
            report.verified == report.rows,
            "verification failed: {} has {} rows at the source but {} were compared; was the source written to?",
            table.name(),
            report.rows,
            report.verified
        );
    }
    progress.finish();
    Ok(DbReport { tables })
}

/// What `migrate-store` did.
#[derive(Debug, Default, Serialize)]
pub struct StoreReport {
    pub objects: u64,
    pub bytes: u64,
    /// Objects this run wrote.
    pub copied: u64,
    /// Objects found at the destination already, with the right size and hash.
    pub already_there: u64,
}

/// Copies every object from `from` to `to`, `concurrency` at a time, and
/// checks each one's size and SHA-256 at the destination (read back after
/// writing). An object already at the destination with the source's size
/// and hash is left alone, which is what makes a second run a resume.
///
/// An object is held in memory while it is copied: uploads are bounded by
/// `--max-body-bytes`, so `concurrency` of those is the most this takes.
pub async fn storage(from: &Blobs, to: &Blobs, concurrency: usize) -> anyhow::Result<StoreReport> {
    ensure!(concurrency > 0, "--concurrency must be at least 1");
    let mut keys: Vec<String> = from
        .list()
        .map_ok(|listed| listed.key)
        .try_collect()
        .await
        .context("listing the source")?;
    // A stable order, so that progress means the same thing on a resume.
    keys.sort_unstable();
    let progress = Progress::new("copying objects", keys.len() as u64);
    progress.stage("objects");
    let (bytes, copied, already_there) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let (bytes_ref, copied_ref, already_ref, progress_ref) = (&bytes, &copied, &already_there, &progress);
    futures::stream::iter(keys.iter())
        .map(|key| async move {
            let outcome = copy_object(from, to, key)
                .await
                .with_context(|| format!("object {key}"))?;
            match outcome {
                Copied::Now(n) => {
                    copied_ref.fetch_add(1, Ordering::Relaxed);
                    bytes_ref.fetch_add(n, Ordering::Relaxed);
                }
                Copied::Before(n) => {
                    already_ref.fetch_add(1, Ordering::Relaxed);
                    bytes_ref.fetch_add(n, Ordering::Relaxed);
                }
            }
            progress_ref.advance(1);
            anyhow::Ok(())
        })
        .buffer_unordered(concurrency)
        .try_collect::<()>()
        .await?;
    progress.finish();
    Ok(StoreReport {
        objects: keys.len() as u64,
        bytes: bytes.into_inner(),
        copied: copied.into_inner(),
        already_there: already_there.into_inner(),
    })
}

enum Copied {
    Now(u64),
    Before(u64),
}

async fn copy_object(from: &Blobs, to: &Blobs, key: &str) -> anyhow::Result<Copied> {
    let (bytes, digest) = read(from, key).await?;
    let size = bytes.len() as u64;
    if to.size(key).await? == Some(size) && read(to, key).await?.1 == digest {
        return Ok(Copied::Before(size));
    }
    to.put(key, bytes).await?;
    let (written, written_digest) = read(to, key).await?;
    ensure!(
        written.len() as u64 == size && written_digest == digest,
        "verification failed: the destination holds {} bytes with SHA-256 {}, the source {size} bytes with {}",
        written.len(),
        hex::encode(written_digest),
        hex::encode(digest)
    );
    Ok(Copied::Now(size))
}

/// The object's bytes and their SHA-256.
async fn read(blobs: &Blobs, key: &str) -> Result<(bytes::Bytes, [u8; 32]), BlobError> {
    let mut stream = blobs.get(key).await?;
    let mut hasher = Sha256::new();
    let mut all = bytes::BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        hasher.update(&chunk);
        all.extend_from_slice(&chunk);
    }
    Ok((all.freeze(), hasher.finalize().into()))
}

/// A progress bar on a terminal; elsewhere (a log, a pipe) one line per
/// stage and one at each tenth of the way, so that a log shows where an
/// interrupted run stopped.
struct Progress {
    bar: ProgressBar,
    what: &'static str,
    total: u64,
    done: AtomicU64,
    terminal: bool,
}

impl Progress {
    fn new(what: &'static str, total: u64) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = ProgressBar::with_draw_target(
            Some(total),
            if terminal {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        if let Ok(style) = ProgressStyle::with_template("{prefix} {msg:>20} [{bar:40}] {human_pos}/{human_len} ({eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(what);
        Progress {
            bar,
            what,
            total,
            done: AtomicU64::new(0),
            terminal,
        }
    }

    fn stage(&self, name: &'static str) {
        self.bar.set_message(name);
        if !self.terminal {
            eprintln!(
                "{}: {name} ({} of {} done)",
                self.what,
                self.done.load(Ordering::Relaxed),
                self.total
            );
        }
    }

    fn advance(&self, n: u64) {
        self.bar.inc(n);
        let before = self.done.fetch_add(n, Ordering::Relaxed);
        let tenth = self.total.div_ceil(10).max(1);
        if !self.terminal && n > 0 && before / tenth != (before + n) / tenth {
            eprintln!("{}: {} of {}", self.what, before + n, self.total);
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
        if !self.terminal {
            eprintln!(
                "{}: done, {} of {}",
                self.what,
                self.done.load(Ordering::Relaxed),
                self.total
            );
        }
    }
}
