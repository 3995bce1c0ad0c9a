//! `kycmedia webhooks …`: a local receiver, the delivery log and replays.

use clap::Subcommand;
use serde_json::Value;

use crate::{admin, config::DatabaseArgs, ids::SessionId, store::Replay};

#[derive(Subcommand, Debug)]
pub enum WebhooksCommand {
    /// Receive webhooks on this machine: print each (headers, body, whether
    /// its signature verifies) as a JSON line, and forward it to your own
    /// handler if asked.
    Listen(crate::listen::ListenArgs),
    /// Webhooks, newest first, with every delivery attempt (time, HTTP
    /// status, latency, the first KiB of the answer or the error).
    List {
        /// Only this session's.
        #[arg(long)]
        session: Option<String>,
        /// Only those that failed every retry or were refused with 410.
        #[arg(long)]
        failed: bool,
        /// The most to list.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Send webhooks again from the start of the retry schedule: one by id,
    /// a session's, or every failed one since a time.
    Replay {
        /// The webhook's id, as `webhooks list` shows it.
        #[arg(required_unless_present_any = ["session", "failed_since"], conflicts_with_all = ["session", "failed_since"])]
        id: Option<String>,
        /// Every webhook of this session.
        #[arg(long, conflicts_with = "failed_since")]
        session: Option<String>,
        /// Every failed or gone webhook created since this RFC 3339 time,
        /// e.g. `2026-12-01T00:00:00Z`.
        #[arg(long, value_parser = parse_time)]
        failed_since: Option<i64>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// An RFC 3339 time as stored milliseconds.
pub(super) fn parse_time(text: &str) -> Result<i64, String> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("{text:?} is not an RFC 3339 time such as 2026-12-01T00:00:00Z: {e}"))?;
    Ok((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

pub(super) async fn run(command: WebhooksCommand) -> anyhow::Result<Option<Value>> {
    Ok(Some(match command {
        WebhooksCommand::Listen(args) => {
            // Prints as it goes, until stopped.
            crate::listen::run(args).await?;
            return Ok(None);
        }
        WebhooksCommand::List {
            session,
            failed,
            limit,
            database,
        } => {
            let store = database.connect().await?;
            let session = session.map(SessionId::from);
            admin::list_webhooks(store.as_ref(), session.as_ref(), failed, limit).await?
        }
        WebhooksCommand::Replay {
            id,
            session,
            failed_since,
            database,
        } => {
            let which = match (id, session, failed_since) {
                (Some(id), _, _) => Replay::One(id.into()),
                (_, Some(session), _) => Replay::Session(session.into()),
                (_, _, Some(at)) => Replay::FailedSince(at),
                (None, None, None) => anyhow::bail!("name a webhook, --session or --failed-since"),
            };
            let store = database.connect().await?;
            let replayed = admin::replay_webhooks(store.as_ref(), &which).await?;
            let session = match &which {
                Replay::Session(session) => Some(session.clone()),
                _ => None,
            };
            super::audit::operator(store.as_ref(), "webhooks replay", None, session).await?;
            replayed
        }
    }))
}
