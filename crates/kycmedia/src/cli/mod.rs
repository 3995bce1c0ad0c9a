//! The `kycmedia` command line. Results go to stdout as JSON; logs and
//! errors to stderr. Settings come from flags, `KYCMEDIA_*` variables and
//! the configuration file (`config_file`), in that order.

use std::{ffi::OsString, path::PathBuf, process::ExitCode, time::Duration};

use anyhow::Context as _;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use kycmedia_proto::{
    Status,
    signing::{Scheme, sign},
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

mod audit;
mod integration;
mod keys;
mod reviewer;
mod webhooks;

pub use audit::{AuditArgs, AuditCommand};
pub use integration::IntegrationCommand;
pub use keys::KeysCommand;
pub use webhooks::WebhooksCommand;

use crate::{
    admin, analyze,
    app::{Application, shutdown_signal},
    config::{DatabaseArgs, DecodeArgs, ServeConfig, StorageArgs, defaults},
    config_file, demo, doctor, migrate, remote, store, sweep,
    telemetry::{self, LogFormat},
};

#[derive(Parser, Debug)]
#[command(
    name = "kycmedia",
    version = crate::build_info::LONG_VERSION,
    about = "Self-hosted identity-verification media server (Veriff-compatible API v1)",
    after_help = "Settings: a flag wins over its KYCMEDIA_* variable, which wins over the \
        configuration file (--config), which wins over the default shown."
)]
pub struct Cli {
    /// A TOML file of settings (keys as the variables' names without
    /// `KYCMEDIA_`, lower-case: `public_url = "https://…"`).
    #[arg(long, global = true, env = config_file::CONFIG_ENV, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How log lines are written to stderr.
    #[arg(long, global = true, env = "KYCMEDIA_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API.
    Serve(ServeConfig),
    /// Serve a fresh, self-contained demo from a temporary directory.
    Demo(demo::DemoArgs),
    /// Check an installation before starting it: configuration, database,
    /// migrations, storage and permissions; exits non-zero when something
    /// would stop `serve` or put data at risk.
    Doctor(doctor::DoctorArgs),
    /// Manage integrations (tenants): API keys and shared secrets.
    #[command(subcommand)]
    Integration(IntegrationCommand),
    /// The people who decide in the review console (`/console`).
    #[command(subcommand)]
    Reviewer(reviewer::ReviewerCommand),
    /// The webhook delivery log, and sending webhooks again.
    #[command(subcommand)]
    Webhooks(WebhooksCommand),
    /// Master keys: make one, rotate to a new one, seal data stored before.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The access audit trail: every request and command that read personal
    /// data or changed state, oldest first; `audit verify` checks its chain.
    Audit(AuditArgs),
    /// Record a decision on a submitted session.
    Decide {
        /// The session's id, as `POST /v1/sessions` answered it.
        session_id: String,
        /// The decision to record.
        decision: Decision,
        /// The provider's reason code: 1xx for a decline, 2xx for a
        /// resubmission request (docs/api.md §10); the reason text follows.
        #[arg(long)]
        reason_code: Option<i64>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Print the ranking analysis of local files, one JSON line each:
    /// mimetype, size, accuracy, quality, match, score and the evidence.
    Analyze {
        /// The context the files would be uploaded under, e.g. `face`.
        #[arg(long)]
        context: String,
        /// The photos or videos to analyse.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        decode: DecodeArgs,
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
        #[arg(long, default_value_t = defaults::MIGRATE_BATCH_SIZE)]
        batch_size: i64,
        /// Most connections to a PostgreSQL side.
        #[arg(long, alias = "max-connections", default_value_t = defaults::MIGRATE_MAX_CONNECTIONS)]
        database_max_connections: u32,
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
        #[arg(long, default_value_t = defaults::MIGRATE_CONCURRENCY)]
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
        #[arg(long, env = "KYCMEDIA_SHARED_SECRET", value_parser = crate::config::secret)]
        secret: SecretString,
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
        #[arg(long, env = "KYCMEDIA_SWEEP_GRACE_SECS", default_value_t = defaults::SWEEP_GRACE_SECS)]
        grace_secs: u64,
    },
    /// Print a shell completion script: `kycmedia completions bash >
    /// /etc/bash_completion.d/kycmedia`.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command into DIR.
    Man {
        /// Write `kycmedia.1`, `kycmedia-serve.1`, … into this directory
        /// instead of printing `kycmedia.1`.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
#[value(rename_all = "snake_case")]
pub enum Decision {
    /// The person is who they claim to be.
    Approved,
    /// The verification failed.
    Declined,
    /// The person must try again: their next upload opens a new attempt.
    ResubmissionRequested,
    /// Neither yet: a person will look at it, and decide later.
    Review,
}

impl From<Decision> for Status {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Approved => Status::Approved,
            Decision::Declined => Status::Declined,
            Decision::ResubmissionRequested => Status::ResubmissionRequested,
            Decision::Review => Status::Review,
        }
    }
}

/// The command-line definition as it is shown and parsed: environment
/// values are never printed by `--help` (a database URL holds a password).
pub fn definition() -> clap::Command {
    fn hide_env_values(command: clap::Command) -> clap::Command {
        command
            .mut_args(|arg| arg.hide_env_values(true))
            .mut_subcommands(hide_env_values)
    }
    hide_env_values(Cli::command())
}

/// Parses a command line with the configuration file it names. `Err` is a
/// configuration file that cannot be used; clap's own errors (and `--help`,
/// `--version`) end the process as clap does.
pub fn parse(args: Vec<OsString>) -> anyhow::Result<Cli> {
    let file = config_file::path_from(&args)
        .map(|path| config_file::load(&path))
        .transpose()?;
    let mut command = definition();
    if let Some(file) = &file {
        command = config_file::apply(command, file)?;
    }
    let matches = command.clone().try_get_matches_from(args).unwrap_or_else(|e| e.exit());
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Command::Doctor(doctor) = &mut cli.command
        && let (Some(("doctor", sub)), Some(definition)) = (matches.subcommand(), command.find_subcommand("doctor"))
    {
        doctor.settings = doctor::settings_in_force(definition, sub, file.as_ref());
    }
    cli.config = file.map(|f| f.path);
    Ok(cli)
}

/// Runs a parsed command line and turns its outcome into an exit code.
pub async fn run(cli: Cli) -> ExitCode {
    telemetry::init_logging(cli.log_format);
    match execute(cli.command, cli.config).await {
        Ok(Some(output)) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", crate::error::describe(&e));
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command, config: Option<PathBuf>) -> anyhow::Result<Option<Value>> {
    match command {
        Command::Serve(config) => {
            Application::build(&config).await?.run_until(shutdown_signal()).await?;
            Ok(None)
        }
        Command::Demo(args) => {
            demo::run(args).await?;
            Ok(None)
        }
        Command::Doctor(args) => {
            let healthy = doctor::run(&args, config.as_deref()).await;
            anyhow::ensure!(healthy, "doctor found problems (the lines marked FAIL above)");
            Ok(None)
        }
        Command::Integration(command) => integration::run(command).await.map(Some),
        Command::Reviewer(command) => reviewer::run(command).await.map(Some),
        Command::Webhooks(command) => webhooks::run(command).await,
        Command::Keys(command) => keys::run(command).await,
        Command::Audit(args) => audit::run(args).await,
        Command::Analyze { context, files, decode } => {
            let limits = decode.media();
            let all_ok = tokio::task::spawn_blocking(move || analyze::run(&context, &files, &limits)).await??;
            anyhow::ensure!(all_ok, "some files could not be analysed (see their lines)");
            Ok(None)
        }
        Command::Decide {
            session_id,
            decision,
            reason_code,
            database,
        } => {
            let store = database.connect().await?;
            let session = crate::ids::SessionId::from(session_id);
            let decided = admin::decide(store.as_ref(), &session, decision.into(), reason_code).await?;
            audit::operator(store.as_ref(), "decide", None, Some(session)).await?;
            Ok(Some(decided))
        }
        Command::MigrateDb {
            from,
            to,
            batch_size,
            database_max_connections,
        } => {
            // A SQLite side must not have a server writing to it meanwhile.
            let _locks = (store::serve_lock(&from)?, store::serve_lock(&to)?);
            // Rows are copied as stored: sealed secrets stay sealed, under
            // the same master key, so the copy needs none.
            let open = |url: String| DatabaseArgs {
                database: url,
                database_max_connections,
                keys: Default::default(),
            };
            let (from, to) = (open(from).connect_for_copy().await?, open(to).connect_for_copy().await?);
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
            println!("{}", sign(Scheme::Hmac, secret.expose_secret().as_bytes(), &bytes));
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
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut definition(), "kycmedia", &mut std::io::stdout());
            Ok(None)
        }
        Command::Man { dir } => {
            match dir {
                Some(dir) => {
                    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
                    clap_mangen::generate_to(definition(), &dir)
                        .with_context(|| format!("writing manual pages into {}", dir.display()))?;
                }
                None => clap_mangen::Man::new(definition()).render(&mut std::io::stdout())?,
            }
            Ok(None)
        }
    }
}
