//! `kycmedia demo`: a fresh server in a temporary directory, seeded with one
//! integration and three attempts mirroring the seed document's examples,
//! made from real image and video bytes (see `fixtures/`).

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context as _;
use kycmedia_proto::{
    Context, ImageContext, VideoContext,
    signing::{Scheme, sign},
};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::{
    admin,
    app::{Application, shutdown_signal},
    config::{DatabaseArgs, KeyArgs, LimitArgs, ServeConfig, StorageArgs, WebhookArgs, defaults},
    ingest::{self, Upload},
    lifecycle::{self, SessionRequest},
    state::Core,
    store::Integration,
};

const DOCUMENT_FRONT: &[u8] = include_bytes!("../../../fixtures/document-front.jpg");
const DOCUMENT_BACK: &[u8] = include_bytes!("../../../fixtures/document-back.jpg");
const FACE: &[u8] = include_bytes!("../../../fixtures/face.jpg");
const VIDEO: &[u8] = include_bytes!("../../../fixtures/selfid.mp4");

/// `kycmedia demo`'s arguments: only where to listen and the limits.
#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, env = "KYCMEDIA_LISTEN", default_value = defaults::LISTEN)]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Creates a session, uploads `files` into it and submits it; returns the
/// session's id and its attempt's.
async fn seed_attempt(
    core: &Core,
    integration: &Integration,
    files: &[(Context, &[u8])],
) -> anyhow::Result<(String, String)> {
    let session = lifecycle::create_session(core, integration, SessionRequest::default()).await?;
    for (context, bytes) in files {
        let upload = Upload {
            context: *context,
            bytes: bytes.to_vec(),
        };
        ingest::store(core, &integration.id, &session.id, upload).await?;
    }
    lifecycle::submit(
        core,
        integration,
        &session.id,
        br#"{"verification":{"status":"submitted"}}"#,
    )
    .await?;
    let attempt = core
        .store
        .latest_attempt(&integration.id, &session.id)
        .await?
        .context("a submitted session has an attempt")?;
    Ok((session.id.into(), attempt.id.into()))
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("creating the demo directory")?;
    // A master key of the demo's own, gone with its data.
    let key_file = dir.path().join("master.key");
    crate::fsmode::create_file(&key_file).context("creating the demo's master key file")?;
    std::fs::write(&key_file, crate::keys::generate_line() + "\n").context("writing the demo's master key")?;
    let config = ServeConfig {
        listen: args.listen,
        database: DatabaseArgs {
            database: format!("sqlite://{}", dir.path().join("kycmedia.db").display()),
            database_max_connections: 1,
            keys: KeyArgs {
                master_key_file: Some(key_file),
                insecure_plaintext: false,
            },
        },
        storage: StorageArgs {
            storage: format!("file://{}", dir.path().join("media").display()),
            storage_endpoint: None,
            storage_options: Vec::new(),
        },
        public_url: None,
        limits: args.limits,
        sweep_grace_secs: defaults::SWEEP_GRACE_SECS,
        media_list_cache_mib: defaults::MEDIA_LIST_CACHE_MIB,
        // The demo's receiver is on this machine, over plain HTTP.
        webhooks: WebhookArgs {
            webhook_allow_http: true,
            webhook_allow_private: true,
            ..WebhookArgs::default()
        },
        session_lifetime: crate::config::parse_duration(defaults::SESSION_LIFETIME).map_err(anyhow::Error::msg)?,
        allowed_origins: Vec::new(),
        console_idle_timeout: crate::config::parse_duration(defaults::CONSOLE_IDLE_TIMEOUT)
            .map_err(anyhow::Error::msg)?,
        console_session_lifetime: crate::config::parse_duration(defaults::CONSOLE_SESSION_LIFETIME)
            .map_err(anyhow::Error::msg)?,
        metrics_token: None,
    };
    let app = Application::build(&config).await?;
    let core: Arc<Core> = app.core();

    let created = admin::create_integration(core.store.as_ref(), "demo").await?;
    let integration = &created.integration;
    let api_key = integration.api_key.clone();
    let secret = created
        .secrets
        .first()
        .context("a new integration has a secret")?
        .expose_secret()
        .to_owned();

    // A receiver like `kycmedia webhooks listen`, so that the loop shows:
    // each upload's, submit's and decision's webhook is printed as it arrives.
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding the demo's webhook receiver")?;
    let receiver_url = format!("http://{}", receiver.local_addr()?);
    admin::set_webhooks(
        core.store.as_ref(),
        &api_key,
        Some(&format!("{receiver_url}/decisions")),
        Some(&format!("{receiver_url}/events")),
    )
    .await?;
    tokio::spawn(crate::listen::serve(receiver, Some(secret.clone().into()), None));

    let (images_session, images) = seed_attempt(
        &core,
        integration,
        &[
            (Context::Image(ImageContext::DocumentFront), DOCUMENT_FRONT),
            (Context::Image(ImageContext::DocumentBack), DOCUMENT_BACK),
            (Context::Image(ImageContext::Face), FACE),
        ],
    )
    .await?;
    let (video_session, video) = seed_attempt(
        &core,
        integration,
        &[(Context::Video(VideoContext::SelfidVideo), VIDEO)],
    )
    .await?;
    let (empty_session, empty) = seed_attempt(&core, integration, &[]).await?;
    // A session nobody has captured yet: its page is where an end user goes.
    let open = lifecycle::create_session(&core, integration, SessionRequest::default()).await?;
    let capture_url = format!("{}/v/{}", core.public_url, open.session_token);

    // An admin of the review console, to decide the submitted attempts there.
    let reviewer = crate::reviewers::add(core.store.as_ref(), "demo", crate::reviewers::Role::Admin, &[]).await?;
    let console_password = reviewer.password.expose_secret().to_owned();

    let base_url = core.public_url.clone();
    println!(
        "{}",
        json!({
            "baseUrl": base_url,
            "apiKey": api_key,
            "sharedSecret": secret,
            "attempts": {
                "standard_attempt_with_images": images,
                "attempt_with_video": video,
                "attempt_no_media": empty,
            },
            "sessions": {
                "standard_attempt_with_images": images_session,
                "attempt_with_video": video_session,
                "attempt_no_media": empty_session,
            },
            "database": config.database.database,
            "storage": config.storage.storage,
            "webhooks": receiver_url,
            "captureUrl": capture_url,
            "console": {
                "url": format!("{base_url}/console"),
                "reviewer": "demo",
                "oneTimePassword": console_password,
            },
        })
    );
    let signature = sign(Scheme::Hmac, secret.as_bytes(), images.as_bytes());
    let database = &config.database.database;
    println!(
        "\nkycmedia demo is serving at {base_url}.\n\
         Its data lives in {dir} and is erased when the demo stops:\n  \
         database {database}\n  storage  {storage}\n\
         Other commands reach it with --database, for example:\n\n  \
         kycmedia decide --database {database} {images_session} approved\n\n\
         List the media of the attempt with document and face images:\n\n  \
         curl -s -H 'X-AUTH-CLIENT: {api_key}' -H 'X-HMAC-SIGNATURE: {signature}' {base_url}/v1/attempts/{images}/media\n\n\
         and why each ranked where it did (faces, document outline, codes, pixel measures):\n\n  \
         curl -s -H 'X-AUTH-CLIENT: {api_key}' -H 'X-HMAC-SIGNATURE: {signature}' {base_url}/kycmedia/v1/attempts/{images}/analysis\n\n\
         Take the photos yourself, as an end user would, on the session's capture page:\n\n  \
         {capture_url}\n\n\
         Decide the submitted attempts in the review console, {base_url}/console, as reviewer\n\
         `demo` with the one-time password {console_password} (you choose your own at once).\n\n\
         Its webhooks go to a receiver in this process, {receiver_url}, which prints each one\n\
         below as a JSON line, with whether its signature verifies; decide a session to see one.\n\n\
         API docs: {base_url}/docs   Press Ctrl-C to stop.",
        dir = dir.path().display(),
        storage = config.storage.storage,
    );
    app.run_until(shutdown_signal()).await?;
    drop(dir);
    Ok(())
}
