//! Crash consistency: the real server, SIGKILLed at random moments during
//! parallel uploads and deletes, twenty times, restarted each time. What a
//! client was told must hold afterwards, and nothing half-done may show.

use std::{
    collections::{HashMap, HashSet},
    process::{Child, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use futures::TryStreamExt;
use kycmedia::store::copy::{RowKey, Rows, Table};
use serde_json::{Value, json};

use crate::helpers::{Place, fixture, hmac};

const CYCLES: usize = 20;
const CLIENTS: usize = 50;

/// A small, seeded generator: a failure names its seed, and
/// `KYCMEDIA_CRASH_SEED` replays it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn command(place: &Place) -> std::process::Command {
    let mut command = crate::helpers::binary();
    command.env_remove("KYCMEDIA_CONFIG");
    if place.storage_endpoint.is_some()
        && let Some(services) = crate::services::services()
    {
        command.envs(services.s3_env());
    }
    command
}

async fn start(place: &Place, port: u16) -> Server {
    let server = Server(
        command(place)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(place.serve_args())
            // 50 clients of one tenant on one address, deleting far more than
            // the provider's hourly limit: the limits are not what this tests.
            .args([
                "--integration-requests-per-second",
                "0",
                "--address-requests-per-second",
                "0",
                "--session-deletes-per-hour",
                "0",
                "--session-deletes-per-day",
                "0",
            ])
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    for _ in 0..400 {
        if client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the server did not become ready");
}

/// What the clients were told, over every cycle.
#[derive(Default)]
struct Told {
    /// Acknowledged uploads: media id → (session, bytes).
    uploads: HashMap<String, (String, Vec<u8>)>,
    /// Sessions whose DELETE was answered 200.
    deleted: HashSet<String>,
    /// Sessions whose DELETE was sent and not answered (killed meanwhile).
    delete_unanswered: HashSet<String>,
    sessions: HashSet<String>,
    /// Acknowledged uploads so far, for the kill to wait on progress, not time.
    acknowledged: usize,
}

struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
    secret: String,
}

impl Client {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        payload: &[u8],
        body: Option<Vec<u8>>,
    ) -> Option<(u16, Vec<u8>)> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("X-AUTH-CLIENT", &self.key)
            .header("X-HMAC-SIGNATURE", hmac(&self.secret, payload))
            .timeout(Duration::from_secs(20));
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body);
        }
        let response = request.send().await.ok()?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.ok()?;
        Some((status, bytes.to_vec()))
    }

    async fn create_session(&self) -> Option<String> {
        let body = serde_json::to_vec(&json!({ "verification": {} })).unwrap();
        let (status, answer) = self
            .send(reqwest::Method::POST, "/v1/sessions", &body, Some(body.clone()))
            .await?;
        (status == 201).then(|| {
            serde_json::from_slice::<Value>(&answer).unwrap()["verification"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
    }

    async fn upload(&self, session: &str, bytes: &[u8]) -> Option<String> {
        let body =
            serde_json::to_vec(&json!({ "image": { "context": "face", "content": STANDARD.encode(bytes) } })).unwrap();
        let path = format!("/v1/sessions/{session}/media");
        let (status, answer) = self
            .send(reqwest::Method::POST, &path, &body, Some(body.clone()))
            .await?;
        (status == 201).then(|| {
            serde_json::from_slice::<Value>(&answer).unwrap()["image"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
    }

    async fn delete(&self, session: &str) -> Option<u16> {
        let path = format!("/v1/sessions/{session}");
        self.send(reqwest::Method::DELETE, &path, session.as_bytes(), None)
            .await
            .map(|(status, _)| status)
    }
}

/// One client's work until the server dies: sessions with a few uploads,
/// some of them deleted right after.
async fn work(client: Arc<Client>, told: Arc<Mutex<Told>>, photos: Arc<Vec<Vec<u8>>>, mut rng: Rng) {
    loop {
        let Some(session) = client.create_session().await else {
            return;
        };
        told.lock().unwrap().sessions.insert(session.clone());
        for _ in 0..1 + rng.below(3) {
            let photo = &photos[rng.below(photos.len() as u64) as usize];
            match client.upload(&session, photo).await {
                Some(id) => {
                    let mut told = told.lock().unwrap();
                    told.uploads.insert(id, (session.clone(), photo.clone()));
                    told.acknowledged += 1;
                }
                None => return,
            }
        }
        if rng.below(3) == 0 {
            told.lock().unwrap().delete_unanswered.insert(session.clone());
            match client.delete(&session).await {
                Some(200) => {
                    let mut told = told.lock().unwrap();
                    told.delete_unanswered.remove(&session);
                    told.deleted.insert(session);
                }
                Some(status) => panic!("DELETE answered {status}"),
                None => return,
            }
        }
    }
}

#[tokio::test]
async fn sigkills_during_uploads_and_deletes_lose_nothing_acknowledged_and_leave_nothing_half_done() {
    let Some(place) = Place::fresh().await else { return };
    let seed = std::env::var("KYCMEDIA_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash test seed {seed} (KYCMEDIA_CRASH_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let port = crate::services::free_port();
    let created = command(&place)
        .args(["integration", "create", "--name", "crash"])
        .env("KYCMEDIA_DATABASE", &place.database)
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let created: Value = serde_json::from_slice(&created.stdout).unwrap();
    let client = Arc::new(Client {
        http: reqwest::Client::new(),
        base: format!("http://127.0.0.1:{port}"),
        key: created["apiKey"].as_str().unwrap().to_owned(),
        secret: created["sharedSecret"].as_str().unwrap().to_owned(),
    });
    let photos = Arc::new(vec![fixture("face.jpg"), fixture("face-dark.jpg"), fixture("face.png")]);
    let told = Arc::new(Mutex::new(Told::default()));

    for cycle in 0..CYCLES {
        let mut server = start(&place, port).await;
        let workers: Vec<_> = (0..CLIENTS)
            .map(|_| tokio::spawn(work(client.clone(), told.clone(), photos.clone(), Rng(rng.next() | 1))))
            .collect();
        // Each cycle gets work done before its kill, however slow the
        // machine: three more acknowledged uploads, then a random moment.
        let before = told.lock().unwrap().acknowledged;
        let mut waited = Duration::ZERO;
        while told.lock().unwrap().acknowledged < before + 3 {
            assert!(
                waited < Duration::from_secs(300),
                "no progress in cycle {cycle} (seed {seed})"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
            waited += Duration::from_millis(20);
        }
        tokio::time::sleep(Duration::from_millis(rng.below(1500))).await;
        server.0.kill().unwrap();
        server.0.wait().unwrap();
        for worker in workers {
            worker
                .await
                .unwrap_or_else(|e| panic!("cycle {cycle}, seed {seed}: {e}"));
        }
    }

    // Unanswered deletes are retried, as a client would: done, or never happened.
    let server = start(&place, port).await;
    let unanswered: Vec<String> = told.lock().unwrap().delete_unanswered.iter().cloned().collect();
    for session in &unanswered {
        let status = client.delete(session).await.unwrap();
        assert!(
            status == 200 || status == 404,
            "retried DELETE answered {status} (seed {seed})"
        );
        told.lock().unwrap().deleted.insert(session.clone());
    }
    let told = Arc::try_unwrap(told).ok().unwrap().into_inner().unwrap();

    // Every acknowledged upload of a session not deleted is listed and
    // downloads byte for byte.
    let mut listed: HashMap<String, String> = HashMap::new();
    for session in told.sessions.difference(&told.deleted) {
        let path = format!("/v1/sessions/{session}/media");
        let (status, body) = client
            .send(reqwest::Method::GET, &path, session.as_bytes(), None)
            .await
            .unwrap();
        assert_eq!(status, 200, "seed {seed}");
        let list: Value = serde_json::from_slice(&body).unwrap();
        for image in list["images"].as_array().unwrap() {
            listed.insert(image["id"].as_str().unwrap().to_owned(), session.clone());
        }
    }
    for (id, (session, _)) in &told.uploads {
        if told.deleted.contains(session) {
            continue;
        }
        assert_eq!(
            listed.get(id),
            Some(session),
            "acknowledged upload {id} is not listed (seed {seed})"
        );
    }
    // Nothing is listed that does not download; what was acknowledged
    // downloads as sent.
    for id in listed.keys() {
        let (status, body) = client
            .send(reqwest::Method::GET, &format!("/v1/media/{id}"), id.as_bytes(), None)
            .await
            .unwrap();
        assert_eq!(status, 200, "listed media {id} does not download (seed {seed})");
        if let Some((_, sent)) = told.uploads.get(id) {
            assert_eq!(&body, sent, "media {id} downloads other bytes (seed {seed})");
        }
    }
    // A deleted session is wholly gone.
    for session in &told.deleted {
        let (status, _) = client
            .send(
                reqwest::Method::GET,
                &format!("/v1/sessions/{session}/attempts"),
                session.as_bytes(),
                None,
            )
            .await
            .unwrap();
        assert_eq!(status, 404, "deleted session {session} is still there (seed {seed})");
    }
    drop(server);

    // No row without bytes, and after a sweep no bytes without a row.
    let sweep = command(&place)
        .args(["sweep", "--grace-secs", "0"])
        .args(place.serve_args())
        .output()
        .unwrap();
    assert!(sweep.status.success(), "{}", String::from_utf8_lossy(&sweep.stderr));
    let copy = kycmedia::store::connect_for_copy(&place.database, 1).await.unwrap();
    let Rows::Media(rows) = copy.export(Table::Media, &RowKey::default(), 1_000_000).await.unwrap() else {
        unreachable!()
    };
    let storage = kycmedia::config::StorageArgs {
        storage: place.storage.clone(),
        storage_endpoint: place.storage_endpoint.clone(),
        storage_options: place.storage_options.clone(),
    }
    .open()
    .unwrap();
    let mut stored: HashSet<String> = storage.list().map_ok(|l| l.key).try_collect().await.unwrap();
    for row in &rows {
        assert!(
            stored.remove(&row.blob_key),
            "media {} has no bytes (seed {seed})",
            row.id
        );
    }
    assert!(
        stored.is_empty(),
        "orphan bytes after the sweep: {stored:?} (seed {seed})"
    );
    eprintln!(
        "crash test: {CYCLES} kills, {} acknowledged uploads, {} deletes ({} unanswered at a kill), {} media rows left",
        told.uploads.len(),
        told.deleted.len(),
        unanswered.len(),
        rows.len()
    );
}
