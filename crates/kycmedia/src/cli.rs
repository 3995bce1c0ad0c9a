//! The `kycmedia` command line. Results go to stdout as JSON; logs and
//! errors to stderr.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use kycmedia_proto::{
    Status,
    signing::{Scheme, sign},
};
use serde_json::Value;

use crate::{
    admin, analyze,
    app::{Application, shutdown_signal},
    config::{DatabaseArgs, LimitArgs, ServeConfig, StorageArgs},
    demo, migrate, remote, store, sweep, telemetry,
};

#[derive(Parser, Debug)]
#[command(
    name = "kycmedia",
    version,
    about = "Self-hosted identity-verification media server (Veriff-compatible API v1)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API.
    Serve(ServeConfig),
    /// Serve a fresh, self-contained demo from a temporary directory.
    Demo(DemoArgs),
    /// Manage integrations (tenants): API keys and shared secrets.
    #[command(subcommand)]
    Integration(IntegrationCommand),
    /// Record a decision on a submitted session.
    Decide {
        session_id: String,
        decision: Decision,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Print the ranking analysis of local files, one JSON line each:
    /// mimetype, size, accuracy, quality, match, score and the evidence.
    Analyze {
        /// The context the files would be uploaded under, e.g. `face`.
        #[arg(long)]
        context: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Copy every row to another database (SQLite ⇄ PostgreSQL), then
    /// compare both row by row. Resumable: run it again after an interruption.
    /// Stop the servers first; the source is only read.
    MigrateDb {
        /// The database to copy from.
        #[arg(long)]
        from: String,
        /// The database to copy to (created and migrated when new).
        #[arg(long)]
        to: String,
        /// Rows per page and per transaction.
        #[arg(long, default_value_t = 1000)]
        batch_size: i64,
        /// Most connections to a PostgreSQL side.
        #[arg(long, default_value_t = 4)]
        max_connections: u32,
    },
    /// Copy every stored object to another storage (directory ⇄ bucket),
    /// checking each one's size and SHA-256 at the destination. Resumable:
    /// run it again after an interruption. The source is only read.
    MigrateStore {
        /// The storage to copy from (`file://PATH` or `s3://BUCKET/PREFIX`).
        #[arg(long)]
        from: String,
        /// The storage to copy to.
        #[arg(long)]
        to: String,
        /// S3-compatible endpoint of the source, when it is not AWS.
        #[arg(long)]
        from_endpoint: Option<String>,
        /// S3-compatible endpoint of the destination, when it is not AWS.
        #[arg(long)]
        to_endpoint: Option<String>,
        /// Objects copied at once.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
    /// Call the API of a kycmedia server (or any server of the same
    /// contract): every request signed, every answer verified.
    Api(remote::ApiArgs),
    /// Print the HMAC-SHA256 signature of PAYLOAD with the shared secret, as
    /// `X-HMAC-SIGNATURE` wants it: for GET and DELETE sign the bare id, for
    /// POST and PATCH the exact body (`-` reads it from stdin, byte for byte).
    Sign {
        /// The shared secret; prefer the environment variable, which other
        /// users of the machine cannot read from the process list.
        #[arg(long, env = "KYCMEDIA_SHARED_SECRET", hide_env_values = true)]
        secret: String,
        /// The id or body to sign, or `-` for stdin.
        payload: String,
    },
    /// Erase stored bytes that no media row points at.
    Sweep {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        storage: StorageArgs,
        /// Only erase objects at least this many seconds old.
        #[arg(long, env = "KYCMEDIA_SWEEP_GRACE_SECS", default_value_t = 3600)]
        grace_secs: u64,
    },
}

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, env = "KYCMEDIA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Subcommand, Debug)]
pub enum IntegrationCommand {
    /// Create an integration; prints {"id","name","apiKey","sharedSecret"}.
    Create {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Add a shared secret (at most five at once); prints {"sharedSecret"}.
    AddSecret {
        api_key: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a shared secret; the last one cannot be revoked.
    RevokeSecret {
        api_key: String,
        secret: String,
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
        api_key: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
#[value(rename_all = "snake_case")]
pub enum Decision {
    Approved,
    Declined,
    ResubmissionRequested,
}

impl From<Decision> for Status {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Approved => Status::Approved,
            Decision::Declined => Status::Declined,
            Decision::ResubmissionRequested => Status::ResubmissionRequested,
        }
    }
}

/// Runs a parsed command line and turns its outcome into an exit code.
pub async fn run(cli: Cli) -> ExitCode {
    telemetry::init_logging(telemetry::LogFormat::Text);
    match execute(cli.command).await {
        Ok(Some(output)) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command) -> anyhow::Result<Option<Value>> {
    match command {
        Command::Serve(config) => {
            Application::build(&config).await?.run_until(shutdown_signal()).await?;
            Ok(None)
        }
        Command::Demo(args) => {
            demo::run(args).await?;
            Ok(None)
        }
        Command::Integration(command) => integration(command).await.map(Some),
        Command::Analyze { context, files, limits } => {
            let limits = limits.media();
            let all_ok = tokio::task::spawn_blocking(move || analyze::run(&context, &files, &limits)).await??;
            anyhow::ensure!(all_ok, "some files could not be analysed (see their lines)");
            Ok(None)
        }
        Command::Decide {
            session_id,
            decision,
            database,
        } => {
            let store = database.connect().await?;
            Ok(Some(admin::decide(store.as_ref(), &session_id, decision.into()).await?))
        }
        Command::MigrateDb {
            from,
            to,
            batch_size,
            max_connections,
        } => {
            // A SQLite side must not have a server writing to it meanwhile.
            let _locks = (store::serve_lock(&from)?, store::serve_lock(&to)?);
            let open = |url: String| DatabaseArgs {
                database: url,
                database_max_connections: max_connections,
            };
            let (from, to) = (open(from).connect().await?, open(to).connect().await?);
            let report = migrate::database(from.as_ref(), to.as_ref(), batch_size).await?;
            Ok(Some(serde_json::to_value(report)?))
        }
        Command::MigrateStore {
            from,
            to,
            from_endpoint,
            to_endpoint,
            concurrency,
        } => {
            let open = |url: String, endpoint: Option<String>| StorageArgs {
                storage: url,
                storage_endpoint: endpoint,
                storage_options: Vec::new(),
            };
            let (from, to) = (open(from, from_endpoint).open()?, open(to, to_endpoint).open()?);
            let report = migrate::storage(&from, &to, concurrency).await?;
            Ok(Some(serde_json::to_value(report)?))
        }
        Command::Api(args) => {
            remote::run(args).await?;
            Ok(None)
        }
        Command::Sign { secret, payload } => {
            let bytes = if payload == "-" {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).context("reading stdin")?;
                bytes
            } else {
                payload.into_bytes()
            };
            println!("{}", sign(Scheme::Hmac, secret.as_bytes(), &bytes));
            Ok(None)
        }
        Command::Sweep {
            database,
            storage,
            grace_secs,
        } => {
            let store = database.connect().await?;
            let blobs = storage.open()?;
            let report = sweep::run(store.as_ref(), &blobs, Duration::from_secs(grace_secs)).await?;
            Ok(Some(serde_json::to_value(report)?))
        }
    }
}

async fn integration(command: IntegrationCommand) -> anyhow::Result<Value> {
    use IntegrationCommand::*;
    let database = match &command {
        Create { database, .. }
        | AddSecret { database, .. }
        | RevokeSecret { database, .. }
        | List { database }
        | Disable { database, .. } => database,
    };
    let store = database.connect().await?;
    let store = store.as_ref();
    Ok(match &command {
        Create { name, .. } => admin::created_json(&admin::create_integration(store, name).await?),
        AddSecret { api_key, .. } => admin::add_secret(store, api_key).await?,
        RevokeSecret { api_key, secret, .. } => admin::revoke_secret(store, api_key, secret).await?,
        List { .. } => admin::list(store).await?,
        Disable { api_key, .. } => admin::disable(store, api_key).await?,
    })
}
