//! `kycmedia integration …`: the integrations, their secrets and where
//! their webhooks go.

use clap::Subcommand;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::{admin, config::DatabaseArgs};

#[derive(Subcommand, Debug)]
pub enum IntegrationCommand {
    /// Create an integration; prints {"id","name","apiKey","sharedSecret"}.
    Create {
        /// A name for people to know the integration by.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Add a shared secret (at most five at once); prints {"sharedSecret"}.
    AddSecret {
        /// The integration's API key.
        api_key: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a shared secret; the last one cannot be revoked.
    RevokeSecret {
        /// The integration's API key.
        api_key: String,
        /// The secret to revoke, as `create` or `add-secret` printed it.
        #[arg(value_parser = crate::config::secret)]
        secret: SecretString,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List integrations (without their secrets).
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Disable an integration: its requests get 401 from then on.
    Disable {
        /// The integration's API key.
        api_key: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Require replay protection of the integration's requests (docs/api.md
    /// §1.7: a signed timestamp within the window and a fresh nonce), or
    /// with --off go back to the provider's scheme.
    SetReplayWindow {
        /// The integration's API key.
        api_key: String,
        /// How far a request's timestamp may be from the server's clock.
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=3600), required_unless_present = "off")]
        secs: Option<i64>,
        /// Turn replay protection off.
        #[arg(long, conflicts_with = "secs")]
        off: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Set where the integration's webhooks go; a URL left out stays as it
    /// was, an empty one stops those webhooks.
    SetWebhooks {
        /// The integration's API key.
        api_key: String,
        /// The URL decision webhooks are POSTed to.
        #[arg(long)]
        decisions: Option<String>,
        /// The URL event webhooks (`started`, `submitted`) are POSTed to.
        #[arg(long)]
        events: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

pub(super) async fn run(command: IntegrationCommand) -> anyhow::Result<Value> {
    use IntegrationCommand::*;
    let database = match &command {
        Create { database, .. }
        | AddSecret { database, .. }
        | RevokeSecret { database, .. }
        | List { database }
        | Disable { database, .. }
        | SetReplayWindow { database, .. }
        | SetWebhooks { database, .. } => database,
    };
    let store = database.connect().await?;
    let store = store.as_ref();
    let (output, done, integration) = match &command {
        Create { name, .. } => {
            let created = admin::create_integration(store, name).await?;
            let id = created.integration.id.clone();
            (admin::created_json(&created), "integration create", Some(id))
        }
        AddSecret { api_key, .. } => (admin::add_secret(store, api_key).await?, "integration add-secret", None),
        RevokeSecret { api_key, secret, .. } => (
            admin::revoke_secret(store, api_key, secret.expose_secret()).await?,
            "integration revoke-secret",
            None,
        ),
        List { .. } => return Ok(admin::list(store).await?),
        Disable { api_key, .. } => (admin::disable(store, api_key).await?, "integration disable", None),
        SetReplayWindow { api_key, secs, .. } => (
            admin::set_replay_window(store, api_key, *secs).await?,
            "integration set-replay-window",
            None,
        ),
        SetWebhooks {
            api_key,
            decisions,
            events,
            ..
        } => (
            admin::set_webhooks(store, api_key, decisions.as_deref(), events.as_deref()).await?,
            "integration set-webhooks",
            None,
        ),
    };
    let integration = match (integration, &command) {
        (Some(id), _) => Some(id),
        (
            None,
            AddSecret { api_key, .. }
            | RevokeSecret { api_key, .. }
            | Disable { api_key, .. }
            | SetReplayWindow { api_key, .. }
            | SetWebhooks { api_key, .. },
        ) => super::audit::integration_of(store, api_key).await,
        (None, _) => None,
    };
    super::audit::operator(store, done, integration, None).await?;
    Ok(output)
}
