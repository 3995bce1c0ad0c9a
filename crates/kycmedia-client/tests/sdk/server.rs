//! Spawning the real server and making clients for its tenants.

use std::{path::Path, sync::Arc, time::Duration};

use kycmedia::{
    state::Core,
    testing::{self, RunningServer},
};
use kycmedia_client::{Client, ClientBuilder};
use tempfile::TempDir;

/// A running server. Dropping it stops the server and removes its data.
pub struct Server {
    pub base: String,
    pub core: Arc<Core>,
    server: RunningServer,
    _dir: TempDir,
}

pub use kycmedia::testing::Tenant;

/// How long the contract allows before a secret change reaches every server.
pub const PROPAGATION: Duration = Duration::from_millis(1200);

pub async fn spawn() -> Server {
    let dir = tempfile::tempdir().expect("a temp dir");
    // The server encrypts at rest, as in production, under a key of its own.
    let key = dir.path().join("master.key");
    write_private(&key, &(kycmedia::keys::generate_line() + "\n"));
    let flags = [
        "--database".to_owned(),
        format!("sqlite://{}", dir.path().join("kycmedia.db").display()),
        "--storage".to_owned(),
        format!("file://{}", dir.path().join("media").display()),
        "--master-key-file".to_owned(),
        key.display().to_string(),
    ];
    let server = RunningServer::start(&testing::serve_config(&flags)).await;
    Server {
        base: server.base.clone(),
        core: server.core.clone(),
        server,
        _dir: dir,
    }
}

impl Server {
    pub async fn tenant(&self) -> Tenant {
        self.server.tenant("sdk test").await
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

/// Writes a file only its owner may read, as a key file must be.
fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("a key file");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("mode 0600");
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
