//! A real PostgreSQL server and a real S3-compatible server (moto), started
//! once per test binary on free loopback ports, each test then getting a
//! database and a bucket of its own.
//!
//! PostgreSQL comes from Debian's `postgresql` package (`initdb` into a
//! temporary directory), moto from PyPI's `moto[server]`. When a program is
//! missing the tests that need it pass after a loud message on stderr, unless
//! `KYCMEDIA_REQUIRE_SERVICES=1` (set by `.ci/run`) makes that a failure.
//!
//! Each server runs under a small `sh` that holds the read end of a pipe
//! from this process: when the test binary exits, however it exits, the
//! pipe closes, the shell's `read` returns, and it stops the server and
//! removes its directory. Nothing outlives the tests.

use std::{
    io::Write as _,
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

/// The running servers; `None` when their programs are not installed.
pub struct Services {
    pub postgres_port: u16,
    pub s3_endpoint: String,
    /// The guardian shells, kept so that their stdin pipes stay open.
    _guards: Mutex<Vec<Child>>,
}

/// Credentials moto accepts; any would do, but the client must sign.
pub const S3_KEY_ID: &str = "kycmedia-test";
pub const S3_SECRET: &str = "kycmedia-test-secret";

pub fn required() -> bool {
    std::env::var("KYCMEDIA_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// The servers, started on first use; `None` (after a loud message) when a
/// program is missing and services are not required.
pub fn services() -> Option<&'static Services> {
    static SERVICES: OnceLock<Option<Services>> = OnceLock::new();
    SERVICES
        .get_or_init(|| match start() {
            Ok(services) => Some(services),
            Err(why) if !required() => {
                // Written to the stderr handle, not through eprintln!, which
                // the test harness would capture and hide.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n!!! SKIPPED: the PostgreSQL + S3 tests did not run: {why}.\n\
                     !!! Install Debian's `postgresql` and `pip install 'moto[server]'`, or set\n\
                     !!! KYCMEDIA_REQUIRE_SERVICES=1 to make this a failure.\n"
                );
                None
            }
            Err(why) => panic!("KYCMEDIA_REQUIRE_SERVICES=1 but the services cannot start: {why}"),
        })
        .as_ref()
}

fn start() -> Result<Services, String> {
    let pg_bin = postgres_bin_dir().ok_or("PostgreSQL's initdb and postgres are not installed")?;
    let moto = which("moto_server").ok_or("moto_server (pip install 'moto[server]') is not installed")?;
    let mut guards = Vec::new();
    let postgres_port = start_postgres(&pg_bin, &mut guards)?;
    let s3_port = free_port();
    let script = format!(
        "{} -H 127.0.0.1 -p {s3_port} >/dev/null 2>&1 & pid=$!; read _; kill $pid; wait $pid",
        moto.display()
    );
    guards.push(guardian(Command::new("sh").args(["-c", &script]))?);
    wait_for_port(s3_port, "moto_server")?;
    Ok(Services {
        postgres_port,
        s3_endpoint: format!("http://127.0.0.1:{s3_port}"),
        _guards: Mutex::new(guards),
    })
}

/// `initdb` refuses to run as root, so as root the cluster belongs to the
/// `postgres` user the Debian package creates.
fn start_postgres(bin: &Path, guards: &mut Vec<Child>) -> Result<u16, String> {
    let dir = tempfile::Builder::new()
        .prefix("kycmedia-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let as_root = running_as_root();
    if as_root {
        let status = Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(&dir)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("cannot hand the cluster directory to the postgres user".into());
        }
    }
    let command = |program: &str| {
        let program = bin.join(program);
        if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    };
    let data = dir.join("data");
    let out = command("initdb")
        .args([
            "--no-sync",
            "--auth=trust",
            "--username=kycmedia",
            "--encoding=UTF8",
            "-D",
        ])
        .arg(&data)
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let port = free_port();
    // Durability is not under test here; speed is welcome.
    let script = format!(
        "{postgres} -D {data} -p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=500 \
         >{dir}/log 2>&1 & pid=$!; read _; kill -INT $pid; wait $pid; rm -rf {dir}",
        postgres = bin.join("postgres").display(),
        data = data.display(),
        dir = dir.display(),
    );
    let mut shell = if as_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "sh"]);
        c
    } else {
        Command::new("sh")
    };
    guards.push(guardian(shell.args(["-c", &script]))?);
    wait_for_port(port, "postgres")?;
    Ok(port)
}

fn guardian(command: &mut Command) -> Result<Child, String> {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())
}

fn wait_for_port(port: u16, what: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("{what} did not listen on port {port} within 60 s"))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// Where `initdb` and `postgres` are: on the PATH, or where Debian puts
/// them (`/usr/lib/postgresql/<version>/bin`, newest first).
fn postgres_bin_dir() -> Option<PathBuf> {
    if let (Some(initdb), Some(_)) = (which("initdb"), which("postgres")) {
        return std::fs::canonicalize(initdb).ok()?.parent().map(Path::to_path_buf);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("postgres").is_file())
        .collect();
    versions.sort_by_key(|bin| {
        bin.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
    });
    versions.pop()
}

impl Services {
    /// A new, empty database; returns its URL.
    pub async fn database(&self) -> String {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let admin = format!("postgres://kycmedia@127.0.0.1:{}/postgres", self.postgres_port);
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
            .await
            .expect("the test PostgreSQL accepts connections");
        sqlx::Executor::execute(&mut conn, sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("CREATE DATABASE");
        format!("postgres://kycmedia@127.0.0.1:{}/{name}", self.postgres_port)
    }

    /// A new, empty bucket; returns its name.
    pub async fn bucket(&self) -> String {
        let name = format!("t-{}", uuid::Uuid::new_v4().simple());
        let reply = reqwest::Client::new()
            .put(format!("{}/{name}", self.s3_endpoint))
            .send()
            .await
            .expect("moto answers");
        assert!(
            reply.status().is_success(),
            "creating bucket {name}: {}",
            reply.status()
        );
        name
    }

    /// The `object_store` S3 options for the test server.
    pub fn s3_options(&self) -> Vec<(String, String)> {
        vec![
            ("access_key_id".into(), S3_KEY_ID.into()),
            ("secret_access_key".into(), S3_SECRET.into()),
            ("region".into(), "us-east-1".into()),
        ]
    }

    /// The same settings as environment variables, for a child process.
    pub fn s3_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", S3_KEY_ID.into()),
            ("AWS_SECRET_ACCESS_KEY", S3_SECRET.into()),
            ("AWS_REGION", "us-east-1".into()),
        ]
    }
}
