//! `kycmedia reviewer …`: the people who decide in the review console.

use clap::Subcommand;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::{
    config::DatabaseArgs,
    ids::IntegrationId,
    reviewers::{self, Issued, Role},
    store::{Reviewer, Store},
};

#[derive(Subcommand, Debug)]
pub enum ReviewerCommand {
    /// Add a reviewer; prints {"id","name","role","integrations","password"}.
    /// The password is for one login, at which the reviewer chooses their own.
    Add {
        /// The name the reviewer logs in with.
        name: String,
        /// `admin` sees every integration and manages reviewers in the console.
        #[arg(long, value_enum, default_value_t = Role::Reviewer)]
        role: Role,
        /// The API key of an integration whose cases the reviewer sees (repeat for more).
        #[arg(long = "integration", value_name = "API_KEY")]
        integrations: Vec<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Disable a reviewer: their sessions end and they can no longer log in.
    Disable {
        /// The reviewer's name.
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Give a reviewer a new one-time password (their sessions end); prints {"name","password"}.
    ResetPassword {
        /// The reviewer's name.
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List reviewers with their roles and integrations (never their passwords).
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

pub(super) async fn run(command: ReviewerCommand) -> anyhow::Result<Value> {
    use ReviewerCommand::*;
    let (Add { database, .. } | Disable { database, .. } | ResetPassword { database, .. } | List { database }) =
        &command;
    let store = database.connect().await?;
    let store = store.as_ref();
    let (output, done) = match &command {
        Add {
            name,
            role,
            integrations,
            ..
        } => {
            let mut ids = Vec::with_capacity(integrations.len());
            for api_key in integrations {
                let found = store.integration_by_key(api_key).await?;
                let found = found.ok_or_else(|| anyhow::anyhow!("no integration has the API key {api_key:?}"))?;
                ids.push(found.integration.id);
            }
            let issued = reviewers::add(store, name, *role, &ids).await?;
            (issued_json(&issued, Some(integrations)), "reviewer add")
        }
        Disable { name, .. } => {
            let reviewer = by_name(store, name).await?;
            store.reviews().disable_reviewer(&reviewer.id).await?;
            (json!({ "name": name, "active": false }), "reviewer disable")
        }
        ResetPassword { name, .. } => {
            let issued = reviewers::reset_password(store, by_name(store, name).await?).await?;
            (issued_json(&issued, None), "reviewer reset-password")
        }
        List { .. } => return list(store).await,
    };
    super::audit::operator(store, done, None, None).await?;
    Ok(output)
}

async fn by_name(store: &dyn Store, name: &str) -> anyhow::Result<Reviewer> {
    let found = store.reviews().reviewer_by_name(name).await?;
    found.ok_or_else(|| anyhow::anyhow!("no reviewer is named {name:?}"))
}

/// A reviewer and their one-time password, as `add` and `reset-password` print them.
fn issued_json(issued: &Issued, integrations: Option<&Vec<String>>) -> Value {
    let mut out = json!({
        "id": issued.reviewer.id,
        "name": issued.reviewer.name,
        "role": issued.reviewer.role,
        "password": issued.password.expose_secret(),
    });
    if let (Some(keys), Some(map)) = (integrations, out.as_object_mut()) {
        map.insert("integrations".into(), json!(keys));
    }
    out
}

async fn list(store: &dyn Store) -> anyhow::Result<Value> {
    let reviewers = store.reviews().reviewers().await?;
    let integrations = store.list_integrations().await?;
    let key_of = |id: &IntegrationId| {
        integrations
            .iter()
            .find(|c| &c.integration.id == id)
            .map(|c| c.integration.api_key.clone())
    };
    Ok(Value::Array(
        reviewers
            .into_iter()
            .map(|(r, given)| {
                json!({
                    "id": r.id,
                    "name": r.name,
                    "role": r.role,
                    "active": r.active,
                    "integrations": given.iter().filter_map(key_of).collect::<Vec<_>>(),
                    "mustChangePassword": r.password_expired,
                })
            })
            .collect(),
    ))
}
