//! `kycmedia audit …`: reading the access audit trail, and checking its chain.

use clap::{Args, Subcommand};
use serde_json::Value;

use crate::{
    audit::{self, Access, Actor, Shown, Subject},
    config::DatabaseArgs,
    ids::{IntegrationId, SessionId},
    store::{AuditFilter, Store},
};

/// `kycmedia audit`'s arguments: with no subcommand, it lists.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    /// Only this session's rows (they outlive the session).
    #[arg(long)]
    pub session: Option<String>,
    /// Only rows at or after this RFC 3339 time, e.g. `2026-12-01T00:00:00Z`.
    #[arg(long, value_parser = super::webhooks::parse_time)]
    pub since: Option<i64>,
    /// One JSON object per line instead of aligned columns.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the whole chain: no row missing, altered or cut off the end;
    /// prints the rows checked and the chain's last hash (keep it: it
    /// proves later that nothing was cut off before it).
    Verify {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

pub(super) async fn run(args: AuditArgs) -> anyhow::Result<Option<Value>> {
    if let Some(AuditCommand::Verify { database }) = args.command {
        let store = database.connect().await?;
        let verdict = audit::verify(store.as_ref()).await?;
        let broken = verdict.problem.clone();
        println!("{}", serde_json::to_value(&verdict)?);
        if let Some(problem) = broken {
            anyhow::bail!("the audit trail is broken: {problem}");
        }
        return Ok(None);
    }
    let store = args.database.connect().await?;
    let filter = AuditFilter {
        session: args.session.map(SessionId::from),
        since: args.since,
    };
    let json = args.json;
    audit::list(store.as_ref(), &filter, |row| {
        let shown = Shown::from(row);
        if json {
            println!("{}", serde_json::to_value(&shown).unwrap_or(Value::Null));
        } else {
            println!(
                "{:>8}  {}  {:<11}  {:<42}  {:>3}  integration={} secret={} session={} attempt={} media={} client={}",
                shown.seq,
                shown.at,
                shown.actor,
                shown.action,
                shown.status,
                shown.integration_id.as_deref().unwrap_or("-"),
                shown.secret_index.map_or("-".to_owned(), |i| i.to_string()),
                shown.session_id.as_deref().unwrap_or("-"),
                shown.attempt_id.as_deref().unwrap_or("-"),
                shown.media_id.as_deref().unwrap_or("-"),
                shown.client.as_deref().unwrap_or("-"),
            );
        }
    })
    .await?;
    Ok(None)
}

/// Records an operator's command that changed something.
pub(super) async fn operator(
    store: &dyn Store,
    command: &str,
    integration: Option<IntegrationId>,
    session: Option<SessionId>,
) -> anyhow::Result<()> {
    let access = Access {
        actor: Actor::Operator,
        integration,
        secret_index: None,
        action: format!("kycmedia {command}"),
        subject: Subject {
            session,
            ..Default::default()
        },
        client: None,
        status: 0,
        reviewer: None,
    };
    audit::append_now(store, access).await
}

/// The integration an API key names, for a command's audit row.
pub(super) async fn integration_of(store: &dyn Store, api_key: &str) -> Option<IntegrationId> {
    store
        .integration_by_key(api_key)
        .await
        .ok()
        .flatten()
        .map(|c| c.integration.id)
}
