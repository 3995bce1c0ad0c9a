//! The soak's load generator (`bench/soak.sh`; figures in `docs/reliability.md`).
//!
//! Run by the script in three steps, each a subcommand:
//!
//! - `seed` creates the read set through the API (sessions with real fixture
//!   images, submitted) and writes every request the load will send, already
//!   signed, to a state file;
//! - `peak` runs one request class in a closed loop, as fast as it goes, and
//!   prints its rate;
//! - `run` holds the three classes at once, each at a fixed rate (open loop:
//!   a request is started when it is due, whatever the others are doing),
//!   and prints one JSON line of counts, statuses and latencies per interval.
//!
//! The classes: **lists** (`GET /v1/sessions/{id}/media` and
//! `GET /v1/attempts/{id}/media` alternately, over the read set),
//! **downloads** (`GET /v1/media/{id}`, over the read set), and **cycles**
//! (create a session, upload three images into it, list it, delete it). The
//! read set is never written to and every cycle deletes only what it created,
//! so every answer has one right status (200 or 201) and a known shape: any
//! other answer is an error, none is expected.
//!
//! One Rust program rather than wrk plus a script: wrk cannot hold a fixed
//! rate, a Python client cannot reach the read rates on two cores, and this
//! way the same code measures the peak and runs the soak, and counts every
//! kind of request by its status.

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context, bail};
use base64::Engine;
use bytes::Bytes;
use clap::{Parser, Subcommand, ValueEnum};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::Semaphore;

#[derive(Parser)]
struct Cli {
    /// kycmedia's base URL, e.g. `http://127.0.0.1:8080`.
    #[arg(long)]
    url: String,
    /// The integration's API key (`X-AUTH-CLIENT`).
    #[arg(long)]
    api_key: String,
    /// The integration's shared secret, which signs every request.
    #[arg(long)]
    secret: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Creates the read set and writes the signed requests to OUT.
    Seed {
        /// The repository's `fixtures/` directory.
        #[arg(long)]
        fixtures: PathBuf,
        /// Sessions in the read set, five images each.
        #[arg(long, default_value_t = 20)]
        sessions: usize,
        /// The state file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// One class in a closed loop for SECS; prints its rate as JSON.
    Peak {
        /// The state file `seed` wrote.
        #[arg(long)]
        state: PathBuf,
        /// The class to load.
        #[arg(long, value_enum)]
        class: Class,
        /// Seconds to run.
        #[arg(long)]
        secs: u64,
        /// Requests (or cycles) in flight at once.
        #[arg(long)]
        concurrency: usize,
    },
    /// Every class at its fixed rate for SECS; one JSON line per interval.
    Run {
        /// The state file `seed` wrote.
        #[arg(long)]
        state: PathBuf,
        /// List requests per second.
        #[arg(long)]
        lists_rate: f64,
        /// Downloads per second.
        #[arg(long)]
        downloads_rate: f64,
        /// Create-upload-list-delete cycles per second.
        #[arg(long)]
        cycles_rate: f64,
        /// Seconds to run.
        #[arg(long)]
        secs: u64,
        /// Seconds between report lines.
        #[arg(long, default_value_t = 10)]
        interval: u64,
        /// Most requests (or cycles) of one class in flight at once; one due
        /// while that many are still running is counted as dropped.
        #[arg(long, default_value_t = 64)]
        in_flight: usize,
    },
}

#[derive(ValueEnum, Clone, Copy, PartialEq)]
enum Class {
    Lists,
    Downloads,
    Cycles,
}

/// A GET whose answer is known: its path, signature and body length.
#[derive(Serialize, Deserialize)]
struct Target {
    kind: String,
    path: String,
    signature: String,
    len: usize,
}

/// A request body with its signature.
#[derive(Serialize, Deserialize)]
struct Signed {
    body: String,
    signature: String,
}

#[derive(Serialize, Deserialize)]
struct State {
    lists: Vec<Target>,
    downloads: Vec<Target>,
    create: Signed,
    uploads: Vec<Signed>,
}

/// The images a read-set session holds, and (the first three) what a cycle uploads.
const IMAGES: [(&str, &str); 5] = [
    ("face.jpg", "face"),
    ("document-front.jpg", "document-front"),
    ("document-back.jpg", "document-back"),
    ("face-dark.jpg", "face-pre"),
    ("face.webp", "document-and-face"),
];
const CYCLE_UPLOADS: usize = 3;

fn sign(secret: &str, payload: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

/// What a right answer looks like, beyond its status.
enum Expect {
    Anything,
    Length(usize),
    Images(usize),
}

const BUCKET_US: u64 = 100;
const BUCKETS: usize = 30_000; // 3 s; slower answers share the last bucket

#[derive(Default)]
struct KindStats {
    ok: u64,
    errors: BTreeMap<String, u64>,
    histogram: Vec<u64>,
}

impl KindStats {
    fn percentile_ms(&self, p: f64) -> f64 {
        let total: u64 = self.histogram.iter().sum();
        if total == 0 {
            return 0.0;
        }
        let rank = (total as f64 * p).ceil() as u64;
        let mut seen = 0;
        for (i, n) in self.histogram.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return ((i as u64 + 1) * BUCKET_US) as f64 / 1000.0;
            }
        }
        (BUCKETS as u64 * BUCKET_US) as f64 / 1000.0
    }

    fn to_json(&self) -> Value {
        json!({"ok": self.ok, "errors": self.errors, "p50_ms": self.percentile_ms(0.5), "p99_ms": self.percentile_ms(0.99)})
    }
}

/// Counts of one interval, per kind of request.
#[derive(Default)]
struct Stats {
    kinds: BTreeMap<&'static str, KindStats>,
}

impl Stats {
    fn to_json(&self) -> Value {
        Value::Object(self.kinds.iter().map(|(k, s)| (k.to_string(), s.to_json())).collect())
    }
}

struct Load {
    client: reqwest::Client,
    url: String,
    api_key: String,
    secret: String,
    state: State,
    next: AtomicU64,
    stats: Mutex<Stats>,
}

impl Load {
    fn record(&self, kind: &'static str, took: Duration, error: Option<&str>) {
        let mut stats = self.stats.lock().expect("not poisoned");
        let s = stats.kinds.entry(kind).or_default();
        match error {
            None => s.ok += 1,
            Some(e) => *s.errors.entry(e.to_string()).or_default() += 1,
        }
        if s.histogram.is_empty() {
            s.histogram = vec![0; BUCKETS];
        }
        let bucket = (took.as_micros() as u64 / BUCKET_US).min(BUCKETS as u64 - 1);
        s.histogram[bucket as usize] += 1;
    }

    fn take_stats(&self) -> Stats {
        std::mem::take(&mut *self.stats.lock().expect("not poisoned"))
    }

    fn request(&self, method: reqwest::Method, path: &str, signature: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.url))
            .header("X-AUTH-CLIENT", &self.api_key)
            .header("X-HMAC-SIGNATURE", signature)
    }

    fn post(&self, path: &str, signed: &Signed) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, path, &signed.signature)
            .header("Content-Type", "application/json")
            .body(signed.body.clone())
    }

    /// Sends, checks and records one request; the body when it was right.
    async fn send(
        &self,
        kind: &'static str,
        request: reqwest::RequestBuilder,
        status: u16,
        expect: Expect,
    ) -> Option<Bytes> {
        let start = Instant::now();
        let result: Result<Bytes, String> = async {
            let response = request
                .send()
                .await
                .map_err(|e| (if e.is_timeout() { "timeout" } else { "transport" }).to_string())?;
            let got = response.status().as_u16();
            let body = response.bytes().await.map_err(|_| "transport (body)".to_string())?;
            if got != status {
                return Err(got.to_string());
            }
            match expect {
                Expect::Anything => {}
                Expect::Length(n) if body.len() != n => return Err("wrong length".into()),
                Expect::Length(_) => {}
                Expect::Images(n) => {
                    let images = serde_json::from_slice::<Value>(&body)
                        .ok()
                        .and_then(|v| v["images"].as_array().map(Vec::len));
                    if images != Some(n) {
                        return Err("wrong image count".into());
                    }
                }
            }
            Ok(body)
        }
        .await;
        self.record(kind, start.elapsed(), result.as_ref().err().map(String::as_str));
        result.ok()
    }

    fn pick<'a>(&self, targets: &'a [Target]) -> &'a Target {
        let i = self.next.fetch_add(1, Ordering::Relaxed) as usize;
        &targets[i % targets.len()]
    }

    async fn get_target(&self, target: &Target) {
        let kind: &'static str = match target.kind.as_str() {
            "session-list" => "session-list",
            "attempt-list" => "attempt-list",
            _ => "download",
        };
        let request = self.request(reqwest::Method::GET, &target.path, &target.signature);
        self.send(kind, request, 200, Expect::Length(target.len)).await;
    }

    /// Create, upload, list, delete; recorded as a whole under `cycle` too.
    async fn cycle(&self) {
        let start = Instant::now();
        let ok = self.cycle_steps().await;
        self.record("cycle", start.elapsed(), (!ok).then_some("a step failed"));
    }

    async fn cycle_steps(&self) -> bool {
        let Some(created) = self
            .send(
                "create",
                self.post("/v1/sessions", &self.state.create),
                201,
                Expect::Anything,
            )
            .await
        else {
            return false;
        };
        let id = serde_json::from_slice::<Value>(&created)
            .ok()
            .and_then(|v| v["verification"]["id"].as_str().map(String::from));
        let Some(id) = id else {
            self.record("create", Duration::ZERO, Some("no session id"));
            return false;
        };
        let signature = sign(&self.secret, id.as_bytes());
        let mut ok = true;
        for upload in &self.state.uploads {
            let request = self.post(&format!("/v1/sessions/{id}/media"), upload);
            ok &= self.send("upload", request, 201, Expect::Anything).await.is_some();
        }
        let list = self.request(reqwest::Method::GET, &format!("/v1/sessions/{id}/media"), &signature);
        ok &= self
            .send("cycle-list", list, 200, Expect::Images(CYCLE_UPLOADS))
            .await
            .is_some();
        let delete = self.request(reqwest::Method::DELETE, &format!("/v1/sessions/{id}"), &signature);
        ok &= self.send("delete", delete, 200, Expect::Anything).await.is_some();
        ok
    }

    async fn one(&self, class: Class) {
        match class {
            Class::Lists => self.get_target(self.pick(&self.state.lists)).await,
            Class::Downloads => self.get_target(self.pick(&self.state.downloads)).await,
            Class::Cycles => self.cycle().await,
        }
    }
}

/// A line to stdout; a write that fails (a full disk) is said on stderr
/// instead of panicking, so the load goes on.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            eprintln!("soak: writing a report line: {e}");
        }
    }};
}

fn epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

async fn seed(load: &Load, fixtures: &std::path::Path, sessions: usize) -> anyhow::Result<State> {
    let mut bodies = Vec::new();
    for (file, context) in IMAGES {
        let bytes = std::fs::read(fixtures.join(file)).with_context(|| format!("reading {file}"))?;
        let content = base64::engine::general_purpose::STANDARD.encode(bytes);
        let body = json!({"image": {"context": context, "content": content}}).to_string();
        let signature = sign(&load.secret, body.as_bytes());
        bodies.push(Signed { body, signature });
    }
    let body = json!({"verification": {}}).to_string();
    let create = Signed {
        signature: sign(&load.secret, body.as_bytes()),
        body,
    };
    let (mut lists, mut downloads) = (Vec::new(), Vec::new());
    let must = |what: &str, body: Option<Bytes>| -> anyhow::Result<Value> {
        let body = body.with_context(|| format!("seeding: {what} failed (see the counts)"))?;
        Ok(serde_json::from_slice(&body)?)
    };
    for _ in 0..sessions {
        let created = must(
            "create",
            load.send("create", load.post("/v1/sessions", &create), 201, Expect::Anything)
                .await,
        )?;
        let id = created["verification"]["id"]
            .as_str()
            .context("no session id")?
            .to_string();
        let signature = sign(&load.secret, id.as_bytes());
        for upload in &bodies {
            let path = format!("/v1/sessions/{id}/media");
            let image = must(
                "upload",
                load.send("upload", load.post(&path, upload), 201, Expect::Anything)
                    .await,
            )?;
            let media = image["image"]["id"].as_str().context("no media id")?.to_string();
            let size = image["image"]["size"].as_u64().context("no size")? as usize;
            let signature = sign(&load.secret, media.as_bytes());
            downloads.push(Target {
                kind: "download".into(),
                path: format!("/v1/media/{media}"),
                signature,
                len: size,
            });
        }
        let submit = json!({"verification": {"status": "submitted"}}).to_string();
        let patch = load
            .request(
                reqwest::Method::PATCH,
                &format!("/v1/sessions/{id}"),
                &sign(&load.secret, submit.as_bytes()),
            )
            .header("Content-Type", "application/json")
            .body(submit);
        must("submit", load.send("submit", patch, 200, Expect::Anything).await)?;
        let attempts = load.request(reqwest::Method::GET, &format!("/v1/sessions/{id}/attempts"), &signature);
        let attempts = must("attempts", load.send("attempts", attempts, 200, Expect::Anything).await)?;
        let attempt = attempts["verifications"][0]["id"]
            .as_str()
            .context("no attempt")?
            .to_string();
        for (kind, path, signature) in [
            ("session-list", format!("/v1/sessions/{id}/media"), signature.clone()),
            (
                "attempt-list",
                format!("/v1/attempts/{attempt}/media"),
                sign(&load.secret, attempt.as_bytes()),
            ),
        ] {
            let request = load.request(reqwest::Method::GET, &path, &signature);
            let body = load.send("seed-list", request, 200, Expect::Images(IMAGES.len())).await;
            let len = body.context("seeding: a list failed")?.len();
            lists.push(Target {
                kind: kind.into(),
                path,
                signature,
                len,
            });
        }
    }
    bodies.truncate(CYCLE_UPLOADS);
    Ok(State {
        lists,
        downloads,
        create,
        uploads: bodies,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(512)
        .tcp_nodelay(true)
        .build()?;
    let read_state = |path: &PathBuf| -> anyhow::Result<State> { Ok(serde_json::from_slice(&std::fs::read(path)?)?) };
    let empty = State {
        lists: vec![],
        downloads: vec![],
        create: Signed {
            body: String::new(),
            signature: String::new(),
        },
        uploads: vec![],
    };
    let state = match &cli.command {
        Command::Seed { .. } => empty,
        Command::Peak { state, .. } | Command::Run { state, .. } => read_state(state)?,
    };
    let load = Arc::new(Load {
        client,
        url: cli.url.trim_end_matches('/').to_string(),
        api_key: cli.api_key,
        secret: cli.secret,
        state,
        next: AtomicU64::new(0),
        stats: Mutex::new(Stats::default()),
    });
    match cli.command {
        Command::Seed {
            fixtures,
            sessions,
            out,
        } => {
            let state = seed(&load, &fixtures, sessions).await?;
            std::fs::write(&out, serde_json::to_vec(&state)?)?;
            eprintln!(
                "soak: seeded {} sessions: {} list and {} download targets",
                sessions,
                state.lists.len(),
                state.downloads.len()
            );
        }
        Command::Peak {
            class,
            secs,
            concurrency,
            ..
        } => {
            let start = Instant::now();
            let deadline = start + Duration::from_secs(secs);
            let tasks: Vec<_> = (0..concurrency)
                .map(|_| {
                    let load = load.clone();
                    tokio::spawn(async move {
                        while Instant::now() < deadline {
                            load.one(class).await;
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await?;
            }
            let elapsed = start.elapsed().as_secs_f64();
            let stats = load.take_stats();
            let unit = if class == Class::Cycles { "cycle" } else { "" };
            let done: u64 = stats
                .kinds
                .iter()
                .filter(|(k, _)| unit.is_empty() || **k == unit)
                .map(|(_, s)| s.ok)
                .sum();
            let failed: u64 = stats.kinds.values().flat_map(|s| s.errors.values()).sum();
            out!(
                "{}",
                json!({"rate": done as f64 / elapsed, "secs": elapsed, "failed": failed, "kinds": stats.to_json()})
            );
        }
        Command::Run {
            lists_rate,
            downloads_rate,
            cycles_rate,
            secs,
            interval,
            in_flight,
            ..
        } => {
            let start = Instant::now();
            let dropped: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
            let mut dispatchers = Vec::new();
            for (i, (class, rate)) in [
                (Class::Lists, lists_rate),
                (Class::Downloads, downloads_rate),
                (Class::Cycles, cycles_rate),
            ]
            .into_iter()
            .enumerate()
            {
                if rate <= 0.0 {
                    continue;
                }
                let (load, dropped) = (load.clone(), dropped.clone());
                dispatchers.push(tokio::spawn(async move {
                    let permits = Arc::new(Semaphore::new(in_flight));
                    let mut ticks = tokio::time::interval(Duration::from_millis(2));
                    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                    let mut issued = 0u64;
                    loop {
                        ticks.tick().await;
                        let elapsed = start.elapsed();
                        if elapsed.as_secs() >= secs {
                            break;
                        }
                        let due = (elapsed.as_secs_f64() * rate) as u64;
                        while issued < due {
                            issued += 1;
                            let Ok(permit) = permits.clone().try_acquire_owned() else {
                                dropped[i].fetch_add(1, Ordering::Relaxed);
                                continue;
                            };
                            let load = load.clone();
                            tokio::spawn(async move {
                                load.one(class).await;
                                drop(permit);
                            });
                        }
                    }
                    // Let what is in flight finish before the last report.
                    let _ = permits.acquire_many(in_flight as u32).await;
                }));
            }
            let report = |t: f64, stats: &Stats, dropped: &[AtomicU64; 3]| {
                let dropped: Vec<u64> = dropped.iter().map(|d| d.swap(0, Ordering::Relaxed)).collect();
                out!(
                    "{}",
                    json!({"t": t, "epoch": epoch(), "kinds": stats.to_json(),
                           "dropped": {"lists": dropped[0], "downloads": dropped[1], "cycles": dropped[2]}})
                );
            };
            let mut ticks = tokio::time::interval(Duration::from_secs(interval));
            ticks.tick().await;
            while start.elapsed().as_secs() < secs {
                ticks.tick().await;
                report(start.elapsed().as_secs_f64(), &load.take_stats(), &dropped);
            }
            for d in dispatchers {
                d.await?;
            }
            let rest = load.take_stats();
            if !rest.kinds.is_empty() {
                report(start.elapsed().as_secs_f64(), &rest, &dropped);
            }
        }
    }
    let left = load.take_stats();
    let failed: u64 = left.kinds.values().flat_map(|s| s.errors.values()).sum();
    if failed > 0 {
        bail!("{failed} requests failed: {}", left.to_json());
    }
    Ok(())
}
