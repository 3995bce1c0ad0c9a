//! What a database looks like to this binary, read without changing it, for
//! `kycmedia doctor`: no migration is run and a missing SQLite file is
//! reported, not created.

use std::{fmt, os::unix::fs::PermissionsExt, path::PathBuf, str::FromStr, time::Duration};

use sqlx::{
    Pool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqlitePoolOptions},
};

use super::{Result, StoreError, driver::Driver, postgres, redacted, sql, sqlite};

/// How long a connection may take before the database counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A database as `doctor` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The URL with its password redacted.
    pub url: String,
    /// SQLite's database file; `None` for PostgreSQL and in-memory databases.
    pub file: Option<DatabaseFile>,
    pub reachability: Reachability,
    /// What the database has applied against what this binary embeds;
    /// `None` unless it is reachable.
    pub migrations: Option<Migrations>,
}

/// Whether a connection could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reachability {
    Reachable,
    /// The SQLite file does not exist (and was not created).
    MissingFile,
    /// Connecting failed: the driver's message, with the URL's password redacted.
    Unreachable(String),
}

/// A SQLite database file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseFile {
    pub path: PathBuf,
    /// Its permission bits (`0o600`); `None` when the file does not exist.
    pub mode: Option<u32>,
}

/// A migration as its file is named: `0003_covering_indexes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationName {
    pub version: i64,
    pub description: String,
}

impl fmt::Display for MigrationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}_{}", self.version, self.description.replace(' ', "_"))
    }
}

/// The migrations this binary embeds compared with those the database records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Migrations {
    /// Every migration this binary embeds, in order.
    pub embedded: Vec<MigrationName>,
    /// Embedded ones the database applied from the same text.
    pub applied: Vec<MigrationName>,
    /// Embedded ones not applied yet: `serve` applies them when it starts.
    pub pending: Vec<MigrationName>,
    /// Applied from a text other than this binary's (the checksums differ):
    /// `serve` refuses to start.
    pub changed: Vec<MigrationName>,
    /// Versions recorded as failed part-way: `serve` refuses to start.
    pub failed: Vec<i64>,
    /// Versions applied that this binary does not know, written by a newer
    /// kycmedia: `serve` refuses to start.
    pub unknown: Vec<i64>,
}

impl Migrations {
    /// Nothing pending and nothing `serve` would refuse.
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && self.changed.is_empty() && self.failed.is_empty() && self.unknown.is_empty()
    }

    /// One line for an operator: "3 of 3 migrations applied", "1 of 3
    /// migrations applied, 2 pending: 0002_analysis, 0003_covering_indexes",
    /// "…; the database has migration 0007 this binary does not know (a
    /// newer kycmedia wrote it)".
    pub fn summary(&self) -> String {
        let names = |list: &[MigrationName]| list.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        let versions = |list: &[i64]| list.iter().map(|v| format!("{v:04}")).collect::<Vec<_>>().join(", ");
        let plural = |n: usize| if n == 1 { "migration" } else { "migrations" };
        let mut parts = vec![format!(
            "{} of {} migrations applied",
            self.applied.len(),
            self.embedded.len()
        )];
        if !self.pending.is_empty() {
            parts[0].push_str(&format!(", {} pending: {}", self.pending.len(), names(&self.pending)));
        }
        if !self.changed.is_empty() {
            parts.push(format!(
                "{} {} applied from a different text than this binary's",
                plural(self.changed.len()),
                names(&self.changed)
            ));
        }
        if !self.failed.is_empty() {
            parts.push(format!(
                "{} {} failed part-way and must be repaired by hand",
                plural(self.failed.len()),
                versions(&self.failed)
            ));
        }
        if !self.unknown.is_empty() {
            let it = if self.unknown.len() == 1 { "it" } else { "them" };
            parts.push(format!(
                "the database has {} {} this binary does not know (a newer kycmedia wrote {it})",
                plural(self.unknown.len()),
                versions(&self.unknown)
            ));
        }
        parts.join("; ")
    }
}

/// Connects to the database a URL names without migrating it or creating
/// it, and reports what it finds. Only an unsupported URL is an error;
/// an unreachable database is a finding. `max_connections` caps a
/// PostgreSQL pool, as for `connect`.
pub async fn inspect(url: &str, max_connections: u32) -> Result<Inspection> {
    let mut inspection = Inspection {
        url: redacted(url),
        file: None,
        reachability: Reachability::Reachable,
        migrations: None,
    };
    if url.starts_with("sqlite:") {
        inspect_sqlite(url, &mut inspection).await?;
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        inspect_postgres(url, max_connections, &mut inspection).await?;
    } else {
        return Err(StoreError::UnsupportedUrl(redacted(url)));
    }
    Ok(inspection)
}

async fn inspect_sqlite(url: &str, inspection: &mut Inspection) -> Result<()> {
    let unreachable = |e: &dyn fmt::Display| Reachability::Unreachable(scrubbed(url, &e.to_string()));
    let (options, path) = match (SqliteConnectOptions::from_str(url), sqlite::database_file(url)) {
        (Ok(options), Ok(path)) => (options, path),
        (Err(e), _) | (_, Err(StoreError::Database(e))) => {
            inspection.reachability = unreachable(&e);
            return Ok(());
        }
        (_, Err(e)) => return Err(e),
    };
    if let Some(path) = path {
        let mode = match std::fs::metadata(&path) {
            Ok(meta) => Some(meta.permissions().mode() & 0o7777),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                inspection.reachability = unreachable(&e);
                None
            }
        };
        let missing = mode.is_none();
        inspection.file = Some(DatabaseFile { path, mode });
        if missing {
            if inspection.reachability == Reachability::Reachable {
                inspection.reachability = Reachability::MissingFile;
            }
            return Ok(());
        }
    }
    let options = options.create_if_missing(false).busy_timeout(CONNECT_TIMEOUT);
    let pool = match SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_with(options)
        .await
    {
        Ok(pool) => pool,
        Err(e) => {
            inspection.reachability = unreachable(&e);
            return Ok(());
        }
    };
    let migrations = migrations(&pool, &sqlite::MIGRATOR).await;
    pool.close().await;
    inspection.migrations = Some(migrations?);
    Ok(())
}

async fn inspect_postgres(url: &str, max_connections: u32, inspection: &mut Inspection) -> Result<()> {
    let unreachable = |e: sqlx::Error| Reachability::Unreachable(scrubbed(url, &e.to_string()));
    let options = match PgConnectOptions::from_str(url) {
        Ok(options) => options.application_name("kycmedia doctor"),
        Err(e) => {
            inspection.reachability = unreachable(e);
            return Ok(());
        }
    };
    let pool = match PgPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_with(options)
        .await
    {
        Ok(pool) => pool,
        Err(e) => {
            inspection.reachability = unreachable(e);
            return Ok(());
        }
    };
    let migrations = migrations(&pool, &postgres::MIGRATOR).await;
    pool.close().await;
    inspection.migrations = Some(migrations?);
    Ok(())
}

/// Compares sqlx's migration table, read only, with `migrator`.
async fn migrations<DB: Driver>(pool: &Pool<DB>, migrator: &Migrator) -> Result<Migrations> {
    let (tables,): (i64,) = sqlx::query_as(DB::MIGRATIONS_TABLE).fetch_one(pool).await?;
    let recorded: Vec<(i64, Vec<u8>, bool)> = if tables == 0 {
        Vec::new()
    } else {
        sqlx::query_as(sql::APPLIED_MIGRATIONS).fetch_all(pool).await?
    };
    let mut report = Migrations::default();
    let embedded: Vec<_> = migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .collect();
    for migration in &embedded {
        let name = MigrationName {
            version: migration.version,
            description: migration.description.to_string(),
        };
        report.embedded.push(name.clone());
        match recorded.iter().find(|(version, ..)| *version == migration.version) {
            None => report.pending.push(name),
            Some((_, _, false)) => report.failed.push(name.version),
            Some((_, checksum, true)) if *checksum == *migration.checksum => report.applied.push(name),
            Some(_) => report.changed.push(name),
        }
    }
    for (version, _, success) in &recorded {
        if !embedded.iter().any(|m| m.version == *version) {
            if *success {
                report.unknown.push(*version);
            } else {
                report.failed.push(*version);
            }
        }
    }
    Ok(report)
}

/// A driver's message with the URL, and its password, replaced by the
/// redacted URL, in case the driver quoted either.
fn scrubbed(url: &str, message: &str) -> String {
    let mut text = message.replace(url, &redacted(url));
    if let Ok(parsed) = url::Url::parse(url)
        && let Some(password) = parsed.password().filter(|p| !p.is_empty())
    {
        text = text.replace(password, "***");
        if let Ok(decoded) = percent_decoded(password) {
            text = text.replace(&decoded, "***");
        }
    }
    text
}

/// Percent-decoding, for a password the URL carries encoded.
fn percent_decoded(text: &str) -> std::result::Result<String, std::string::FromUtf8Error> {
    let bytes: Vec<u8> = url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())
        .unwrap_or_default();
    String::from_utf8(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(version: i64, description: &str) -> MigrationName {
        MigrationName {
            version,
            description: description.to_owned(),
        }
    }

    #[test]
    fn a_summary_names_pending_and_unknown_migrations_as_their_files_are_named() {
        let all = vec![name(1, "initial"), name(2, "analysis"), name(3, "covering indexes")];
        let current = Migrations {
            embedded: all.clone(),
            applied: all.clone(),
            ..Migrations::default()
        };
        assert_eq!(current.summary(), "3 of 3 migrations applied");
        assert!(current.is_current());
        let behind = Migrations {
            embedded: all.clone(),
            applied: all[..1].to_vec(),
            pending: all[1..].to_vec(),
            ..Migrations::default()
        };
        assert_eq!(
            behind.summary(),
            "1 of 3 migrations applied, 2 pending: 0002_analysis, 0003_covering_indexes"
        );
        let ahead = Migrations {
            embedded: all.clone(),
            applied: all,
            unknown: vec![7],
            ..Migrations::default()
        };
        assert_eq!(
            ahead.summary(),
            "3 of 3 migrations applied; the database has migration 0007 this binary does not know \
             (a newer kycmedia wrote it)"
        );
        assert!(!ahead.is_current());
    }

    #[test]
    fn a_password_is_scrubbed_from_a_driver_message() {
        let url = "postgres://kyc:s%3Dcret@db.example/kyc";
        let text = scrubbed(url, &format!("cannot reach {url}; password s=cret"));
        assert!(!text.contains("s%3Dcret") && !text.contains("s=cret"), "{text}");
    }
}
