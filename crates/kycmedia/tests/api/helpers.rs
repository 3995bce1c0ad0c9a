//! Spawning the server and one helper per endpoint.

use std::{path::Path, sync::Arc};

use futures::StreamExt;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use kycmedia::{
    state::Core,
    testing::{self, RunningServer},
};
use kycmedia_proto::signing::{Scheme, sign};
use reqwest::{Method, header::HeaderMap};
use serde_json::{Value, json};
use tempfile::TempDir;

/// Which database and storage a test binary runs its suite on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code, reason = "each test binary picks one")]
pub enum Backend {
    /// SQLite file and local directory, in a temporary directory.
    Sqlite,
    /// PostgreSQL and an S3-compatible server (see `services`).
    Postgres,
}

/// Where one test's server keeps its data: outlives a server, so that a
/// restarted one finds the same data.
pub struct Place {
    /// Holds the SQLite file and media directory, or nothing; removed on drop.
    _dir: TempDir,
    pub database: String,
    pub storage: String,
    pub storage_endpoint: Option<String>,
    pub storage_options: Vec<(String, String)>,
    /// The master key file, in the temporary directory.
    pub master_key_file: std::path::PathBuf,
}

/// The master key file every test server and command of this build uses,
/// made once, as an operator makes one (a test of keys themselves makes its
/// own): one key for all means a command run on any test's data opens it.
pub fn master_key_file() -> &'static Path {
    static PATH: std::sync::LazyLock<std::path::PathBuf> = std::sync::LazyLock::new(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("master.key");
        if !path.exists() {
            // Written aside and renamed: the test binaries start side by side.
            let aside = path.with_extension(format!("key.{}", std::process::id()));
            write_private(&aside, &(kycmedia::keys::generate_line() + "\n"));
            std::fs::rename(&aside, &path).expect("a key file");
        }
        path
    });
    &PATH
}

/// Writes a file only its owner may read, as a key file must be.
pub fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("a private file");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("mode 0600");
}

/// The kycmedia binary, with the tests' master key.
pub fn binary() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kycmedia"));
    command.env("KYCMEDIA_MASTER_KEY_FILE", master_key_file());
    command
}

impl Place {
    /// A fresh, empty place on the binary's backend; `None` when that
    /// backend's services are not installed (the tests then skip, loudly).
    pub async fn fresh() -> Option<Arc<Place>> {
        match crate::BACKEND {
            Backend::Sqlite => Some(Place::sqlite()),
            Backend::Postgres => Place::postgres().await,
        }
    }

    /// A SQLite file and a media directory in a new temporary directory.
    pub fn sqlite() -> Arc<Place> {
        let dir = tempfile::tempdir().expect("a temp dir");
        Arc::new(Place {
            database: format!("sqlite://{}", dir.path().join("kycmedia.db").display()),
            storage: format!("file://{}", dir.path().join("media").display()),
            storage_endpoint: None,
            storage_options: Vec::new(),
            master_key_file: master_key_file().to_owned(),
            _dir: dir,
        })
    }

    /// A new database and bucket on the test services.
    pub async fn postgres() -> Option<Arc<Place>> {
        let services = crate::services::services()?;
        let dir = tempfile::tempdir().expect("a temp dir");
        Some(Arc::new(Place {
            database: services.database().await,
            storage: format!("s3://{}/media", services.bucket().await),
            storage_endpoint: Some(services.s3_endpoint.clone()),
            storage_options: services.s3_options(),
            master_key_file: master_key_file().to_owned(),
            _dir: dir,
        }))
    }

    /// The `serve` flags for this place.
    pub fn serve_args(&self) -> Vec<String> {
        let mut args = vec![
            "--database".to_owned(),
            self.database.clone(),
            "--storage".to_owned(),
            self.storage.clone(),
            "--master-key-file".to_owned(),
            self.master_key_file.display().to_string(),
        ];
        if let Some(endpoint) = &self.storage_endpoint {
            args.extend(["--storage-endpoint".to_owned(), endpoint.clone()]);
        }
        args
    }
}

pub struct TestApp {
    pub base: String,
    pub core: Arc<Core>,
    pub place: Arc<Place>,
    pub client: reqwest::Client,
    server: RunningServer,
}

pub use kycmedia::testing::Tenant;

/// A response read to the end.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an error reply with this status and code.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "body: {}", String::from_utf8_lossy(&self.body));
        let body = self.json();
        assert_eq!(body["status"], "fail");
        assert_eq!(body["code"], code, "body: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    /// Asserts the reply is signed over its exact bytes with `secret`.
    pub fn assert_signed_by(&self, tenant: &Tenant, secret: &str) {
        assert_eq!(self.header("x-auth-client"), Some(tenant.api_key.as_str()));
        let expected = sign(Scheme::Hmac, secret.as_bytes(), &self.body);
        assert_eq!(
            self.header("x-hmac-signature"),
            Some(expected.as_str()),
            "response signature"
        );
    }

    pub fn assert_signed(&self, tenant: &Tenant) {
        self.assert_signed_by(tenant, &tenant.secret);
    }
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

pub fn hmac(secret: &str, payload: &[u8]) -> String {
    sign(Scheme::Hmac, secret.as_bytes(), payload)
}

/// Spawns a server on a fresh place; `None` when the backend's services
/// are not installed (the caller returns: the test is skipped, loudly).
pub async fn spawn_app() -> Option<TestApp> {
    spawn_app_with(&[]).await
}

/// `spawn_app` with extra `serve` flags.
pub async fn spawn_app_with(extra: &[&str]) -> Option<TestApp> {
    Some(spawn_app_in(Place::fresh().await?, extra).await)
}

/// Spawns a server on an existing place, with extra flags; with
/// `--insecure-plaintext` among them, without the master key.
pub async fn spawn_app_in(place: Arc<Place>, extra: &[&str]) -> TestApp {
    let mut flags = place.serve_args();
    if extra.contains(&"--insecure-plaintext") {
        let at = flags
            .iter()
            .position(|f| f == "--master-key-file")
            .expect("the key flag");
        flags.drain(at..at + 2);
    }
    flags.extend(extra.iter().map(|a| a.to_string()));
    let mut config = testing::serve_config(&flags);
    config.storage.storage_options = place.storage_options.clone();
    let server = RunningServer::start(&config).await;
    TestApp {
        base: server.base.clone(),
        core: server.core.clone(),
        place,
        client: reqwest::Client::new(),
        server,
    }
}

impl TestApp {
    /// Stops the server gracefully and waits until it has.
    pub async fn stop(self) -> Arc<Place> {
        self.server.stop().await;
        self.place
    }

    pub async fn tenant(&self) -> Tenant {
        self.server.tenant("test").await
    }

    /// A tenant whose integration has a name people would know it by.
    pub async fn tenant_named(&self, name: &str) -> Tenant {
        self.server.tenant(name).await
    }

    /// Sends a request with whatever headers the test chooses.
    pub async fn send(&self, method: Method, path: &str, headers: &[(&str, &str)], body: Option<Vec<u8>>) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body);
        }
        let response = request.send().await.expect("the server answers");
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.bytes().await.expect("a body").to_vec(),
        }
    }

    /// A correctly signed GET or DELETE of `path`, whose id is `id`.
    pub async fn signed(&self, method: Method, tenant: &Tenant, path: &str, id: &str) -> Reply {
        let signature = hmac(&tenant.secret, id.as_bytes());
        self.send(
            method,
            path,
            &[("X-AUTH-CLIENT", &tenant.api_key), ("X-HMAC-SIGNATURE", &signature)],
            None,
        )
        .await
    }

    /// A correctly signed POST or PATCH of `body`.
    pub async fn signed_body(&self, method: Method, tenant: &Tenant, path: &str, body: &Value) -> Reply {
        let bytes = serde_json::to_vec(body).unwrap();
        let signature = hmac(&tenant.secret, &bytes);
        self.send(
            method,
            path,
            &[("X-AUTH-CLIENT", &tenant.api_key), ("X-HMAC-SIGNATURE", &signature)],
            Some(bytes),
        )
        .await
    }

    /// Creates a session and returns the answer's `verification` object.
    pub async fn create_session_object(&self, tenant: &Tenant, verification: Value) -> Value {
        let reply = self
            .signed_body(
                Method::POST,
                tenant,
                "/v1/sessions",
                &json!({ "verification": verification }),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
        reply.json()["verification"].clone()
    }

    pub async fn create_session(&self, tenant: &Tenant, verification: Value) -> String {
        let created = self.create_session_object(tenant, verification).await;
        created["id"].as_str().unwrap().to_owned()
    }

    /// Uploads `bytes` under `key` (`image` or `video`) with `context`.
    pub async fn upload(&self, tenant: &Tenant, session: &str, key: &str, context: &str, bytes: &[u8]) -> Reply {
        let body = json!({ key: { "context": context, "content": STANDARD.encode(bytes) } });
        self.signed_body(Method::POST, tenant, &format!("/v1/sessions/{session}/media"), &body)
            .await
    }

    /// Uploads and asserts 201; returns the media id.
    pub async fn upload_ok(&self, tenant: &Tenant, session: &str, key: &str, context: &str, bytes: &[u8]) -> String {
        let reply = self.upload(tenant, session, key, context, bytes).await;
        assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
        reply.json()[key]["id"].as_str().unwrap().to_owned()
    }

    pub async fn submit(&self, tenant: &Tenant, session: &str) -> Reply {
        let body = json!({ "verification": { "status": "submitted" } });
        self.signed_body(Method::PATCH, tenant, &format!("/v1/sessions/{session}"), &body)
            .await
    }

    pub async fn attempts(&self, tenant: &Tenant, session: &str) -> Vec<Value> {
        let reply = self
            .signed(
                Method::GET,
                tenant,
                &format!("/v1/sessions/{session}/attempts"),
                session,
            )
            .await;
        assert_eq!(reply.status, 200);
        reply.json()["verifications"].as_array().unwrap().clone()
    }

    pub async fn attempt_media(&self, tenant: &Tenant, attempt: &str) -> Reply {
        self.signed(Method::GET, tenant, &format!("/v1/attempts/{attempt}/media"), attempt)
            .await
    }

    pub async fn session_media(&self, tenant: &Tenant, session: &str) -> Reply {
        self.signed(Method::GET, tenant, &format!("/v1/sessions/{session}/media"), session)
            .await
    }

    /// The id of the session's newest attempt.
    pub async fn latest_attempt(&self, tenant: &Tenant, session: &str) -> String {
        self.attempts(tenant, session).await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Objects in the media storage.
    pub async fn stored_files(&self) -> usize {
        let keys: Vec<_> = self.core.blobs.list().collect().await;
        keys.len()
    }

    /// Erases a media's bytes behind the server's back (a disk fault, an
    /// operator's mistake), leaving its row.
    pub async fn erase_bytes(&self, media_id: &str) {
        let keys: Vec<String> = self
            .core
            .blobs
            .list()
            .map(|item| item.expect("a listing").key)
            .filter(|key| std::future::ready(key.ends_with(media_id)))
            .collect()
            .await;
        assert_eq!(keys.len(), 1, "one object per media");
        self.core.blobs.delete(&keys[0]).await.expect("deleted");
    }
}
