//! `kycmedia doctor`: checks an installation before it is started, with the
//! very settings `serve` would use, and says in words what is wrong and what
//! to do. It changes nothing but a probe object it writes and erases again:
//! no migration is run and no missing database or directory is created.

use std::{
    fmt,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
};

use bytes::Bytes;
use clap::{ArgMatches, parser::ValueSource};
use futures::TryStreamExt;

use crate::{
    blobs::Blobs,
    config::ServeConfig,
    config_file::{self, ConfigFile},
    store::{self, Reachability},
};

/// `doctor` takes `serve`'s settings, and learns where each came from.
#[derive(clap::Args, Debug, Clone)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub serve: ServeConfig,
    /// Each setting in force: key, value (secrets redacted), source.
    #[arg(skip)]
    pub settings: Vec<Setting>,
}

/// One setting as `doctor` prints it.
#[derive(Debug, Clone)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub source: &'static str,
}

/// Reads each setting's value and source from the parsed `doctor` command.
pub fn settings_in_force(command: &clap::Command, matches: &ArgMatches, file: Option<&ConfigFile>) -> Vec<Setting> {
    let mut settings = Vec::new();
    for arg in command.get_arguments() {
        let (Some(key), id) = (config_file::key_of(arg), arg.get_id().as_str()) else {
            continue;
        };
        if key == "config" {
            continue;
        }
        let value = matches
            .get_raw(id)
            .and_then(|mut values| values.next())
            .map(|v| v.to_string_lossy().into_owned());
        let source = match matches.value_source(id) {
            Some(ValueSource::CommandLine) => "flag",
            Some(ValueSource::EnvVariable) => "environment",
            _ if file.is_some_and(|f| f.values.contains_key(&key)) => "configuration file",
            Some(_) => "default",
            None => "unset",
        };
        let value = match value {
            Some(v) if key == "database" => store::redacted(&v),
            Some(v) => v,
            None => "(none)".to_owned(),
        };
        settings.push(Setting { key, value, source });
    }
    settings
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ok,
    Warn,
    Fail,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Ok => "ok  ",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
        })
    }
}

/// The report, printed line by line as the checks run.
struct Report {
    failed: bool,
}

impl Report {
    fn line(&mut self, verdict: Verdict, topic: &str, text: impl fmt::Display) {
        self.failed |= verdict == Verdict::Fail;
        println!("{verdict}  {topic}: {text}");
    }
}

/// Runs every check, printing one line each; `true` when none failed.
pub async fn run(args: &DoctorArgs, config: Option<&Path>) -> bool {
    let mut report = Report { failed: false };
    let serve = &args.serve;
    println!("kycmedia {}", crate::build_info::LONG_VERSION);
    check_config_file(&mut report, config);
    for setting in &args.settings {
        match setting.source {
            "unset" => println!("      setting {} is unset", setting.key),
            source => println!("      setting {} = {} ({source})", setting.key, setting.value),
        }
    }
    check_database(&mut report, serve).await;
    check_storage(&mut report, serve).await;
    check_listen(&mut report, serve).await;
    !report.failed
}

/// Group or other bits set: readable or writable by other users.
fn shared(mode: u32) -> bool {
    mode & 0o077 != 0
}

fn mode_of(path: &Path) -> Option<u32> {
    std::fs::metadata(path).ok().map(|m| m.permissions().mode() & 0o7777)
}

fn check_config_file(report: &mut Report, config: Option<&Path>) {
    let Some(path) = config else {
        report.line(
            Verdict::Ok,
            "configuration",
            "no file (--config or KYCMEDIA_CONFIG); flags, environment and defaults only",
        );
        return;
    };
    // Group-readable is how a root-owned file reaches the service's group
    // (0640 root:kycmedia); readable by anyone, or writable by others, is not.
    match mode_of(path) {
        Some(mode) if mode & 0o026 != 0 => report.line(
            Verdict::Warn,
            "configuration",
            format_args!(
                "{} is readable or writable by other users (mode {mode:04o}) and may hold a database password: \
                 chmod 640 {}",
                path.display(),
                path.display()
            ),
        ),
        _ => report.line(Verdict::Ok, "configuration", path.display()),
    }
}

async fn check_database(report: &mut Report, serve: &ServeConfig) {
    let url = &serve.database.database;
    let inspection = match store::inspect(url, 1).await {
        Ok(inspection) => inspection,
        Err(e) => return report.line(Verdict::Fail, "database", e),
    };
    if let Some(file) = &inspection.file {
        let path = file.path.display();
        match file.mode {
            Some(mode) if shared(mode) => report.line(
                Verdict::Fail,
                "database file",
                format_args!(
                    "{path} is open to other users (mode {mode:04o}); it holds shared secrets: chmod 600 {path}"
                ),
            ),
            Some(mode) => report.line(Verdict::Ok, "database file", format_args!("{path} (mode {mode:04o})")),
            None => {}
        }
        if let Some(dir) = file.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            check_directory(report, "database directory", dir);
        }
    }
    match &inspection.reachability {
        Reachability::Reachable => {}
        Reachability::MissingFile => {
            return report.line(
                Verdict::Warn,
                "database",
                format_args!("{} does not exist yet; `serve` creates it (mode 0600)", inspection.url),
            );
        }
        Reachability::Unreachable(why) => {
            return report.line(
                Verdict::Fail,
                "database",
                format_args!("cannot connect to {}: {why}", inspection.url),
            );
        }
    }
    let Some(migrations) = &inspection.migrations else {
        return report.line(Verdict::Ok, "database", format_args!("{} answers", inspection.url));
    };
    let verdict = if !migrations.changed.is_empty() || !migrations.failed.is_empty() || !migrations.unknown.is_empty() {
        Verdict::Fail
    } else if !migrations.pending.is_empty() {
        Verdict::Warn
    } else {
        Verdict::Ok
    };
    let mut text = format!("{} answers; {}", inspection.url, migrations.summary());
    if verdict == Verdict::Warn {
        text.push_str(" (`serve` applies them when it starts)");
    }
    report.line(verdict, "database", text);
    // Taking the serve lock for a moment tells whether a server holds it.
    match store::serve_lock(url) {
        Ok(_) => {}
        Err(store::StoreError::Locked(lock)) => report.line(
            Verdict::Warn,
            "database",
            format_args!(
                "a kycmedia server holds {} now; a second `serve` on this file would refuse to start",
                lock.display()
            ),
        ),
        Err(e) => report.line(Verdict::Fail, "database", e),
    }
}

fn check_directory(report: &mut Report, topic: &str, dir: &Path) {
    if dir.exists() && !dir.is_dir() {
        return report.line(
            Verdict::Fail,
            topic,
            format_args!("{} is not a directory", dir.display()),
        );
    }
    match mode_of(dir) {
        None => report.line(
            Verdict::Warn,
            topic,
            format_args!("{} does not exist yet; `serve` creates it (mode 0700)", dir.display()),
        ),
        Some(mode) if shared(mode) => report.line(
            Verdict::Fail,
            topic,
            format_args!(
                "{} is open to other users (mode {mode:04o}): chmod 700 {}",
                dir.display(),
                dir.display()
            ),
        ),
        Some(mode) => report.line(Verdict::Ok, topic, format_args!("{} (mode {mode:04o})", dir.display())),
    }
}

async fn check_storage(report: &mut Report, serve: &ServeConfig) {
    let storage = &serve.storage;
    if let Some(path) = storage.storage.strip_prefix("file://") {
        let dir = PathBuf::from(path);
        check_directory(report, "media directory", &dir);
        if !dir.exists() {
            return;
        }
    }
    let blobs = match storage.open() {
        Ok(blobs) => blobs,
        Err(e) => return report.line(Verdict::Fail, "storage", crate::error::describe(&e)),
    };
    match probe(&blobs).await {
        Ok(()) => report.line(
            Verdict::Ok,
            "storage",
            format_args!("{} takes, returns and erases an object", storage.storage),
        ),
        Err(e) => report.line(
            Verdict::Fail,
            "storage",
            format_args!("{} is not usable: {}", storage.storage, crate::error::describe(&e)),
        ),
    }
}

/// Writes, reads back and erases one small object.
async fn probe(blobs: &Blobs) -> anyhow::Result<()> {
    blobs.check().await?;
    let key = format!("kycmedia-doctor-probe-{}", uuid::Uuid::new_v4());
    let payload = Bytes::from_static(b"kycmedia doctor probe");
    blobs.put(&key, payload.clone()).await?;
    let read: Vec<Bytes> = blobs.get(&key).await?.try_collect().await?;
    blobs.delete(&key).await?;
    anyhow::ensure!(
        read.concat() == payload,
        "the object read back differs from the one written"
    );
    Ok(())
}

async fn check_listen(report: &mut Report, serve: &ServeConfig) {
    match tokio::net::TcpListener::bind(serve.listen).await {
        Ok(_) => report.line(Verdict::Ok, "listen", format_args!("{} is free", serve.listen)),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => report.line(
            Verdict::Warn,
            "listen",
            format_args!("{} is in use (is kycmedia already running?)", serve.listen),
        ),
        Err(e) => report.line(
            Verdict::Fail,
            "listen",
            format_args!("cannot bind {}: {e}", serve.listen),
        ),
    }
    match &serve.public_url {
        None if serve.listen.ip().is_unspecified() => report.line(
            Verdict::Warn,
            "public url",
            format_args!(
                "unset, so media urls would name http://{}: set public_url to the address clients use",
                serve.listen
            ),
        ),
        Some(url) if url.starts_with("http://") && !serve.listen.ip().is_loopback() => report.line(
            Verdict::Warn,
            "public url",
            format_args!("{url} is plain HTTP: terminate TLS in front of kycmedia (docs/operations.md)"),
        ),
        Some(url) => report.line(Verdict::Ok, "public url", url),
        None => report.line(
            Verdict::Ok,
            "public url",
            format_args!("http://{} (from listen)", serve.listen),
        ),
    }
}
