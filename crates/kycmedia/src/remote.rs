//! `kycmedia api …`: the API from the command line, against kycmedia or any
//! server of the same contract, through the SDK (`kycmedia-client`), so every
//! request is signed over the bytes sent and every answer verified before
//! it is printed.
//!
//! Each command prints the API's response body as it came (pretty-printed,
//! same keys in the same order, on a terminal) and exits non-zero with the
//! API's status, code and message when the call fails.

use std::{
    io::{IsTerminal, Write as _},
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::Context as _;
use bytes::Bytes;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kycmedia_client::{Client, NewSession};
use secrecy::{ExposeSecret, SecretString};

use crate::config::defaults;

/// Where the API is and who calls it. The flags may come before or after
/// the subcommand; each may also be set by its variable or the configuration file.
#[derive(Args, Debug)]
pub struct ApiArgs {
    /// The API's base URL, e.g. `http://127.0.0.1:8080`.
    #[arg(long, global = true, env = "KYCMEDIA_BASE_URL")]
    pub base_url: Option<String>,
    /// The integration's API key.
    #[arg(long, global = true, env = "KYCMEDIA_API_KEY")]
    pub api_key: Option<String>,
    /// The integration's shared secret; prefer the environment variable,
    /// which other users of the machine cannot read from the process list.
    #[arg(long, global = true, env = "KYCMEDIA_SHARED_SECRET", value_parser = crate::config::secret)]
    pub shared_secret: Option<SecretString>,
    /// Seconds a call may take before it is abandoned.
    #[arg(long, global = true, env = "KYCMEDIA_API_TIMEOUT_SECS", default_value_t = defaults::API_TIMEOUT_SECS)]
    pub timeout_secs: u64,
    #[command(subcommand)]
    pub command: ApiCommand,
}

/// A connection setting that must be given one way or another.
fn required(value: Option<String>, flag: &str, variable: &str) -> anyhow::Result<String> {
    value
        .filter(|v| !v.is_empty())
        .with_context(|| format!("no {flag}: pass --{flag} or set {variable}"))
}

#[derive(Subcommand, Debug)]
pub enum ApiCommand {
    /// Create a session (`POST /v1/sessions`).
    CreateSession {
        /// The integration's reference for the session.
        #[arg(long)]
        vendor_data: Option<String>,
        /// Where the provider would send decisions.
        #[arg(long)]
        callback: Option<String>,
    },
    /// Upload a photo or video into the session's open attempt; images and
    /// videos are told apart by the context and the file's bytes.
    Upload {
        /// The session to upload into.
        #[arg(long)]
        session: String,
        /// The context, e.g. `face`, `document-front`, `selfid_video`.
        #[arg(long)]
        context: String,
        /// The photo or video to upload.
        file: PathBuf,
    },
    /// Submit the session's attempt for review.
    Submit {
        /// The session to submit.
        session_id: String,
    },
    /// List the session's attempts, newest first.
    Attempts {
        /// The session whose attempts to list.
        session_id: String,
    },
    /// Show the session's decision (`verification` is null until there is one).
    Decision {
        /// The session whose decision to show.
        session_id: String,
    },
    /// List an attempt's media, best first.
    AttemptMedia {
        /// The attempt whose media to list.
        attempt_id: String,
    },
    /// List the media of the session's latest attempt, best first.
    SessionMedia {
        /// The session whose latest attempt's media to list.
        session_id: String,
    },
    /// Download a media file; it is written to FILE only once its signature
    /// has been verified.
    Download {
        /// The media file's id, from a media list.
        media_id: String,
        /// Where to write the file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Delete the session with all its attempts and media.
    DeleteSession {
        /// The session to delete.
        session_id: String,
    },
}

pub async fn run(args: ApiArgs) -> anyhow::Result<()> {
    let base_url = required(args.base_url, "base-url", "KYCMEDIA_BASE_URL")?;
    let api_key = required(args.api_key, "api-key", "KYCMEDIA_API_KEY")?;
    let secret = args
        .shared_secret
        .filter(|s| !s.expose_secret().is_empty())
        .context("no shared-secret: pass --shared-secret or set KYCMEDIA_SHARED_SECRET")?;
    let client = Client::builder(&base_url, &api_key, secret.expose_secret())
        .timeout(Duration::from_secs(args.timeout_secs))
        .build()?;
    let body = match args.command {
        ApiCommand::CreateSession { vendor_data, callback } => {
            let mut session = NewSession::new();
            if let Some(vendor_data) = vendor_data {
                session = session.vendor_data(vendor_data);
            }
            if let Some(callback) = callback {
                session = session.callback(callback);
            }
            client.create_session(&session).await?.body().clone()
        }
        ApiCommand::Upload { session, context, file } => {
            let bar = spinner(&format!("uploading {}", file.display()));
            let uploaded = client.upload_file(&session, &context, &file).await;
            bar.finish_and_clear();
            uploaded?.body().clone()
        }
        ApiCommand::Submit { session_id } => client.submit(&session_id).await?.body().clone(),
        ApiCommand::Attempts { session_id } => client.attempts(&session_id).await?.body().clone(),
        ApiCommand::Decision { session_id } => client.decision(&session_id).await?.body().clone(),
        ApiCommand::AttemptMedia { attempt_id } => client.attempt_media(&attempt_id).await?.body().clone(),
        ApiCommand::SessionMedia { session_id } => client.session_media(&session_id).await?.body().clone(),
        ApiCommand::DeleteSession { session_id } => client.delete_session(&session_id).await?.body().clone(),
        ApiCommand::Download { media_id, output } => return download(&client, &media_id, &output).await,
    };
    print_body(&body)
}

/// The body as the API sent it; pretty on a terminal, key order kept.
fn print_body(body: &Bytes) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    if stdout.is_terminal()
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
    {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&value)?)?;
    } else {
        stdout.write_all(body)?;
        writeln!(stdout)?;
    }
    Ok(())
}

/// Streams into `<output>.part`, then renames it into place once verified,
/// so that a tampered or cut-off download never sits under the asked name.
async fn download(client: &Client, media_id: &str, output: &Path) -> anyhow::Result<()> {
    let mut partial = output.as_os_str().to_owned();
    partial.push(".part");
    let partial = PathBuf::from(partial);
    let file = tokio::fs::File::create(&partial)
        .await
        .with_context(|| format!("creating {}", partial.display()))?;
    let bar = bar(&format!("downloading {media_id}"));
    let progress = bar.clone();
    let fetched = client
        .download_with_progress(media_id, file, move |done, total| {
            if let Some(total) = total {
                progress.set_length(total);
            }
            progress.set_position(done);
        })
        .await;
    bar.finish_and_clear();
    let fetched = match fetched {
        Ok(fetched) => fetched,
        Err(e) => {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(e.into());
        }
    };
    tokio::fs::rename(&partial, output)
        .await
        .with_context(|| format!("moving the download to {}", output.display()))?;
    let summary = serde_json::json!({
        "id": media_id,
        "file": output.display().to_string(),
        "size": fetched.bytes,
        "mimetype": fetched.content_type,
    });
    println!("{summary}");
    Ok(())
}

fn draw_target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

fn bar(message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, draw_target());
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message.to_owned());
    bar
}

/// Uploads go as one signed body, so their progress is a spinner.
fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, draw_target());
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
