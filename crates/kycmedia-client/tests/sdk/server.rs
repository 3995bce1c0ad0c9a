//! Spawning the real server and making clients for its tenants.

use std::{path::Path, sync::Arc, time::Duration};

use clap::Parser;
use kycmedia::{
    admin,
    app::Application,
    cli::{Cli, Command},
    state::Core,
};
use kycmedia_client::{Client, ClientBuilder};
use tempfile::TempDir;
use tokio::sync::oneshot;

/// A running server. Dropping it stops the server and removes its data.
pub struct Server {
    pub base: String,
    pub core: Arc<Core>,
    /// The server runs until this is sent or dropped.
    _stop: oneshot::Sender<()>,
    _dir: TempDir,
}

/// An integration's credentials.
#[derive(Clone)]
pub struct Tenant {
    pub api_key: String,
    pub secret: String,
}

/// How long the contract allows before a secret change reaches every server.
pub const PROPAGATION: Duration = Duration::from_millis(1200);

pub async fn spawn() -> Server {
    let dir = tempfile::tempdir().expect("a temp dir");
    let database = format!("sqlite://{}", dir.path().join("kycmedia.db").display());
    let storage = format!("file://{}", dir.path().join("media").display());
    let args = [
        "kycmedia",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database",
        &database,
        "--storage",
        &storage,
    ];
    let Command::Serve(config) = Cli::parse_from(args).command else {
        unreachable!("parsed a serve command")
    };
    let app = Application::build(&config).await.expect("the server builds");
    let base = format!("http://{}", app.local_addr());
    let core = app.core();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    Server {
        base,
        core,
        _stop: stop,
        _dir: dir,
    }
}

impl Server {
    pub async fn tenant(&self) -> Tenant {
        let created = admin::create_integration(self.core.store.as_ref(), "sdk test")
            .await
            .expect("an integration");
        Tenant {
            secret: secrecy::ExposeSecret::expose_secret(&created.secrets[0]).to_owned(),
            api_key: created.api_key,
        }
    }

    /// A client of `tenant` with the default configuration.
    pub fn client(&self, tenant: &Tenant) -> Client {
        builder(&self.base, tenant).build().expect("a client")
    }
}

/// A builder for `tenant` at `base` (the server or a proxy in front of it).
pub fn builder(base: &str, tenant: &Tenant) -> ClientBuilder {
    Client::builder(base, &tenant.api_key, &tenant.secret).timeout(Duration::from_secs(20))
}

pub fn fixture_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A session of `client` holding a face photo; returns the session and media ids.
pub async fn session_with_a_face(client: &Client) -> (String, String) {
    let session = client
        .create_session(&Default::default())
        .await
        .expect("a session")
        .into_value()
        .verification
        .id;
    let uploaded = client
        .upload_image(&session, "face", &fixture("face.jpg"))
        .await
        .expect("an upload");
    let media = uploaded.image.as_ref().expect("an image").id.clone();
    (session, media)
}
