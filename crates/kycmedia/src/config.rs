//! Settings shared by several commands. Every setting is a flag, also read
//! from `KYCMEDIA_<NAME>` and from the configuration file (`config_file`),
//! in that order of precedence; its built-in default is written once, in
//! [`defaults`], and shown by `--help`.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use clap::Args;
use secrecy::SecretString;

use crate::{
    blobs::Blobs,
    keys::KeyRing,
    store::{self, RowCopy, Store},
};

/// Every built-in default, in one place: the flags below, the demo, the
/// example configuration file and the README take them from here.
pub mod defaults {
    pub const LISTEN: &str = "127.0.0.1:8080";
    pub const DATABASE: &str = "sqlite://./data/kycmedia.db";
    pub const DATABASE_MAX_CONNECTIONS: u32 = 16;
    pub const STORAGE: &str = "file://./data/media";
    pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
    pub const REQUEST_TIMEOUT_SECS: u64 = 30;
    /// A client that has not sent a whole request head by then is cut off
    /// (slow or silent connections, and idle keep-alive ones).
    pub const HEADER_READ_TIMEOUT_SECS: u64 = 10;
    /// A connection on which no byte has moved either way for this long is
    /// closed, after any response in flight.
    pub const IDLE_TIMEOUT_SECS: u64 = 60;
    /// Open connections served at once; the rest are answered 503 and closed.
    pub const MAX_CONNECTIONS: usize = 4096;
    /// Request body bytes all requests together may hold while they are read
    /// and verified; past it a request waits a moment, then gets 503.
    pub const MAX_BODY_BYTES_IN_FLIGHT: usize = 256 * 1024 * 1024;
    /// Requests a second one integration may make (its bucket holds as many).
    pub const INTEGRATION_REQUESTS_PER_SECOND: u32 = 100;
    /// API requests a second one client address may make, whatever its key.
    pub const ADDRESS_REQUESTS_PER_SECOND: u32 = 200;
    /// The provider's documented limit on `DELETE /v1/sessions/{id}`:
    /// 5 sessions an hour and 10 a day, per integration.
    pub const SESSION_DELETES_PER_HOUR: u32 = 5;
    pub const SESSION_DELETES_PER_DAY: u32 = 10;
    /// Analyses one integration may run at once; 0: a quarter of the slots.
    pub const ANALYSES_PER_INTEGRATION: usize = 0;
    pub const DECODE_MAX_ALLOC_BYTES: u64 = kycmedia_media::Limits::DEFAULT.max_alloc;
    pub const MAX_PIXELS: u64 = kycmedia_media::Limits::DEFAULT.max_pixels;
    pub const SWEEP_GRACE_SECS: u64 = 3600;
    pub const MEDIA_LIST_CACHE_MIB: usize = 16;
    /// migrate-db: rows per page and transaction, and connections per side.
    pub const MIGRATE_BATCH_SIZE: i64 = 1000;
    pub const MIGRATE_MAX_CONNECTIONS: u32 = 4;
    /// migrate-store: objects copied at once.
    pub const MIGRATE_CONCURRENCY: usize = 8;
    /// `kycmedia api`: seconds a call may take.
    pub const API_TIMEOUT_SECS: u64 = 60;
    /// `kycmedia webhooks listen`.
    pub const WEBHOOK_LISTEN: &str = "127.0.0.1:8090";
    /// How long a session may wait for its submit before it ends by time
    /// (`expired`, or `abandoned` once something was uploaded), as on the provider.
    pub const CONSOLE_IDLE_TIMEOUT: &str = "30m";
    pub const CONSOLE_SESSION_LIFETIME: &str = "12h";
    pub const SESSION_LIFETIME: &str = "7d";
    /// The provider's webhook retries: about hourly, for up to a week.
    pub const WEBHOOK_RETRY_SCHEDULE: &str = "1h*168";
}

/// Parses a secret from the command line or the environment into a type
/// whose `Debug` never shows it, so that no `{:?}` of a parsed command line
/// prints a shared secret.
pub fn secret(text: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(text))
}

/// Where metadata lives.
#[derive(Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://PATH` (one server), or
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (any number of servers).
    #[arg(long, env = "KYCMEDIA_DATABASE", default_value = defaults::DATABASE)]
    pub database: String,
    /// Most connections this process opens to PostgreSQL.
    #[arg(long, env = "KYCMEDIA_DATABASE_MAX_CONNECTIONS", default_value_t = defaults::DATABASE_MAX_CONNECTIONS)]
    pub database_max_connections: u32,
    #[command(flatten)]
    pub keys: KeyArgs,
}

impl DatabaseArgs {
    /// Opens the database and runs its migrations.
    pub async fn connect(&self) -> anyhow::Result<Arc<dyn Store>> {
        self.connect_with(self.keys.ring()?).await
    }

    /// The same, with the key ring already read.
    pub async fn connect_with(&self, keys: Option<Arc<KeyRing>>) -> anyhow::Result<Arc<dyn Store>> {
        store::connect(&self.database, self.database_max_connections, keys)
            .await
            .with_context(|| format!("opening database {}", store::redacted(&self.database)))
    }

    /// Opens the database and runs its migrations, for `migrate-db`'s copy.
    pub async fn connect_for_copy(&self) -> anyhow::Result<Arc<dyn RowCopy>> {
        store::connect_for_copy(&self.database, self.database_max_connections)
            .await
            .with_context(|| format!("opening database {}", store::redacted(&self.database)))
    }
}

/// The master key that media and shared secrets are sealed under (`keys`).
#[derive(Args, Debug, Clone, Default)]
pub struct KeyArgs {
    /// File holding the master key (`kycmedia keys generate > FILE`, chmod
    /// 600), kept apart from the data: the first key seals, any further
    /// ones (older keys, during `keys rotate`) only open.
    #[arg(long, env = "KYCMEDIA_MASTER_KEY_FILE")]
    pub master_key_file: Option<std::path::PathBuf>,
    /// Store new media and shared secrets unencrypted, when no master key
    /// is given; anyone with the disk, bucket or database then reads them.
    #[arg(long, env = "KYCMEDIA_INSECURE_PLAINTEXT", conflicts_with = "master_key_file")]
    pub insecure_plaintext: bool,
}

impl KeyArgs {
    /// The key ring, or `None` with `--insecure-plaintext`; neither is an
    /// error that says how to make a key.
    pub fn ring(&self) -> anyhow::Result<Option<Arc<KeyRing>>> {
        match &self.master_key_file {
            Some(path) => Ok(Some(Arc::new(KeyRing::load(path)?))),
            None if self.insecure_plaintext => Ok(None),
            None => anyhow::bail!(
                "no master key: media and shared secrets are encrypted at rest under one. Make one with \
                 `kycmedia keys generate > /etc/kycmedia/master.key && chmod 600 /etc/kycmedia/master.key`, \
                 keep it apart from the data, and give it with --master-key-file (KYCMEDIA_MASTER_KEY_FILE); \
                 or give --insecure-plaintext to store them unencrypted"
            ),
        }
    }
}

/// Where media bytes live.
#[derive(Args, Debug, Clone)]
pub struct StorageArgs {
    /// Storage URL: `file://PATH`, or `s3://BUCKET/PREFIX` with region and
    /// credentials from the standard `AWS_*` environment variables.
    #[arg(long, env = "KYCMEDIA_STORAGE", default_value = defaults::STORAGE)]
    pub storage: String,
    /// Endpoint of an S3-compatible service (MinIO, Ceph, moto…), e.g.
    /// `http://127.0.0.1:9000`; AWS itself when unset.
    #[arg(long, env = "KYCMEDIA_STORAGE_ENDPOINT")]
    pub storage_endpoint: Option<String>,
    /// S3 settings by `object_store` name, over the environment's: for a
    /// program that embeds the server (the tests) and cannot set variables.
    #[arg(skip)]
    pub storage_options: Vec<(String, String)>,
}

impl StorageArgs {
    pub fn open(&self) -> anyhow::Result<Blobs> {
        Blobs::open(&self.storage, self.storage_endpoint.as_deref(), &self.storage_options)
            .with_context(|| format!("opening storage {}", self.storage))
    }
}

/// What decoding one untrusted image may cost.
#[derive(Args, Debug, Clone)]
pub struct DecodeArgs {
    /// Most memory one image decode may allocate, in bytes (decompression bombs).
    #[arg(long, env = "KYCMEDIA_DECODE_MAX_ALLOC_BYTES", default_value_t = defaults::DECODE_MAX_ALLOC_BYTES)]
    pub decode_max_alloc_bytes: u64,
    /// Most pixels an uploaded image may declare.
    #[arg(long, env = "KYCMEDIA_MAX_PIXELS", default_value_t = defaults::MAX_PIXELS)]
    pub max_pixels: u64,
}

impl DecodeArgs {
    pub fn media(&self) -> kycmedia_media::Limits {
        kycmedia_media::Limits {
            max_pixels: self.max_pixels,
            max_alloc: self.decode_max_alloc_bytes,
        }
    }
}

/// Limits on what one request may cost.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Largest accepted request body, in bytes; larger ones get 413.
    #[arg(long, env = "KYCMEDIA_MAX_BODY_BYTES", default_value_t = defaults::MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Longest a request may take, in seconds, body upload included; then 408.
    #[arg(long, env = "KYCMEDIA_REQUEST_TIMEOUT_SECS", default_value_t = defaults::REQUEST_TIMEOUT_SECS)]
    pub request_timeout_secs: u64,
    #[command(flatten)]
    pub decode: DecodeArgs,
    #[command(flatten)]
    pub connections: ConnectionArgs,
    #[command(flatten)]
    pub tenants: TenantArgs,
}

/// What one connection may cost, and how many are served at once.
#[derive(Args, Debug, Clone)]
pub struct ConnectionArgs {
    /// Seconds a client has to send a request's whole head (request line and
    /// headers), counted from when the server starts waiting for it: on a
    /// new connection and between requests on a kept-alive one; then the
    /// connection is closed.
    #[arg(long, env = "KYCMEDIA_HEADER_READ_TIMEOUT_SECS", default_value_t = defaults::HEADER_READ_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_secs: u64,
    /// Seconds a connection may go without a byte moving either way; then it
    /// is closed once its response in flight, if any, is sent, and cut off
    /// after as long again.
    #[arg(long, env = "KYCMEDIA_IDLE_TIMEOUT_SECS", default_value_t = defaults::IDLE_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_secs: u64,
    /// Most connections served at once (and never more than the open-files
    /// limit leaves room for); beyond it a new connection is answered 503
    /// with `Retry-After` and closed.
    #[arg(long, env = "KYCMEDIA_MAX_CONNECTIONS", default_value_t = defaults::MAX_CONNECTIONS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_connections: usize,
}

impl Default for ConnectionArgs {
    fn default() -> Self {
        ConnectionArgs {
            header_read_timeout_secs: defaults::HEADER_READ_TIMEOUT_SECS,
            idle_timeout_secs: defaults::IDLE_TIMEOUT_SECS,
            max_connections: defaults::MAX_CONNECTIONS,
        }
    }
}

/// What one tenant, one address and all of them together may hold: rates
/// answered with 429 and `Retry-After`, and a bound on body bytes in memory.
/// A rate of 0 turns that limit off.
#[derive(Args, Debug, Clone)]
pub struct TenantArgs {
    /// Request body bytes all requests together may hold while they are read
    /// and their signature checked; past it a request waits a moment for
    /// room, then gets 503 with `Retry-After`. 0: no bound.
    #[arg(long, env = "KYCMEDIA_MAX_BODY_BYTES_IN_FLIGHT", default_value_t = defaults::MAX_BODY_BYTES_IN_FLIGHT)]
    pub max_body_bytes_in_flight: usize,
    /// API requests a second one integration may make, in a bucket of as
    /// many; over it, 429.
    #[arg(long, env = "KYCMEDIA_INTEGRATION_REQUESTS_PER_SECOND", default_value_t = defaults::INTEGRATION_REQUESTS_PER_SECOND)]
    pub integration_requests_per_second: u32,
    /// API requests a second one client address may make, whatever API key
    /// it sends, in a bucket of as many; over it, 429.
    #[arg(long, env = "KYCMEDIA_ADDRESS_REQUESTS_PER_SECOND", default_value_t = defaults::ADDRESS_REQUESTS_PER_SECOND)]
    pub address_requests_per_second: u32,
    /// Sessions one integration may delete an hour (the provider's limit).
    #[arg(long, env = "KYCMEDIA_SESSION_DELETES_PER_HOUR", default_value_t = defaults::SESSION_DELETES_PER_HOUR)]
    pub session_deletes_per_hour: u32,
    /// Sessions one integration may delete a day (the provider's limit).
    #[arg(long, env = "KYCMEDIA_SESSION_DELETES_PER_DAY", default_value_t = defaults::SESSION_DELETES_PER_DAY)]
    pub session_deletes_per_day: u32,
    /// Analyses one integration may run at once, of the server's slots (two
    /// per core); 0: a quarter of them (half the cores, at least one), so
    /// that another tenant always finds a slot and the reads a core.
    #[arg(long, env = "KYCMEDIA_ANALYSES_PER_INTEGRATION", default_value_t = defaults::ANALYSES_PER_INTEGRATION)]
    pub analyses_per_integration: usize,
}

impl Default for TenantArgs {
    fn default() -> Self {
        TenantArgs {
            max_body_bytes_in_flight: defaults::MAX_BODY_BYTES_IN_FLIGHT,
            integration_requests_per_second: defaults::INTEGRATION_REQUESTS_PER_SECOND,
            address_requests_per_second: defaults::ADDRESS_REQUESTS_PER_SECOND,
            session_deletes_per_hour: defaults::SESSION_DELETES_PER_HOUR,
            session_deletes_per_day: defaults::SESSION_DELETES_PER_DAY,
            analyses_per_integration: defaults::ANALYSES_PER_INTEGRATION,
        }
    }
}

impl LimitArgs {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn media(&self) -> kycmedia_media::Limits {
        self.decode.media()
    }
}

/// How webhooks are delivered.
#[derive(Args, Debug, Clone)]
pub struct WebhookArgs {
    /// Deliver webhooks to `http://` URLs too, not only `https://` (a
    /// receiver on this machine or in a test).
    #[arg(long, env = "KYCMEDIA_WEBHOOK_ALLOW_HTTP")]
    pub webhook_allow_http: bool,
    /// Deliver webhooks to loopback, private and link-local addresses too;
    /// checked on the address connected to, whatever DNS answered.
    #[arg(long, env = "KYCMEDIA_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
    /// Waits between a webhook's delivery attempts, e.g. `5s,1m,10m,1h`;
    /// `1h*168` repeats one 168 times. After the last the delivery has failed.
    #[arg(long, env = "KYCMEDIA_WEBHOOK_RETRY_SCHEDULE", default_value = defaults::WEBHOOK_RETRY_SCHEDULE,
          value_parser = RetrySchedule::parse)]
    pub webhook_retry_schedule: RetrySchedule,
}

impl Default for WebhookArgs {
    fn default() -> Self {
        WebhookArgs {
            webhook_allow_http: false,
            webhook_allow_private: false,
            webhook_retry_schedule: RetrySchedule::parse(defaults::WEBHOOK_RETRY_SCHEDULE)
                .unwrap_or(RetrySchedule(Vec::new())),
        }
    }
}

/// The waits between delivery attempts, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(pub Vec<Duration>);

impl RetrySchedule {
    /// Parses `5s,1m,10m,1h` (units s, m, h, d), each optionally `*N`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut waits = Vec::new();
        for item in text.split(',').map(str::trim) {
            let (wait, times) = match item.split_once('*') {
                Some((wait, times)) => (
                    wait,
                    times.parse::<usize>().map_err(|_| format!("bad repeat in {item:?}"))?,
                ),
                None => (item, 1),
            };
            if times == 0 || times > 10_000 {
                return Err(format!("repeat {times} in {item:?} is outside 1..=10000"));
            }
            waits.extend(std::iter::repeat_n(parse_duration(wait)?, times));
        }
        Ok(RetrySchedule(waits))
    }
}

/// Parses one duration: a whole number and a unit, `s`, `m`, `h` or `d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text.len().saturating_sub(1);
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("bad duration {text:?}: use e.g. 5s, 1m, 10m, 1h, 7d"))?;
    let seconds = match unit {
        "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        "d" => number * 86_400,
        _ => return Err(format!("bad unit in {text:?}: use s, m, h or d")),
    };
    Ok(Duration::from_secs(seconds))
}

/// `kycmedia serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, env = "KYCMEDIA_LISTEN", default_value = defaults::LISTEN)]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Base URL clients reach this server at, used in media `url`s and session
    /// links [default: http://<listen>].
    #[arg(long, env = "KYCMEDIA_PUBLIC_URL")]
    pub public_url: Option<String>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Stored bytes without a metadata row are erased by the sweep once they
    /// are this many seconds old (longer than any upload can take).
    #[arg(long, env = "KYCMEDIA_SWEEP_GRACE_SECS", default_value_t = defaults::SWEEP_GRACE_SECS)]
    pub sweep_grace_secs: u64,
    /// Memory for rendered media lists, in MiB; 0 turns the cache off. Only
    /// a server alone on a SQLite database caches: on PostgreSQL another
    /// server's writes would go unseen.
    #[arg(long, env = "KYCMEDIA_MEDIA_LIST_CACHE_MIB", default_value_t = defaults::MEDIA_LIST_CACHE_MIB)]
    pub media_list_cache_mib: usize,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
    /// How long a session may go unsubmitted: then it is `expired` if nothing
    /// was uploaded and `abandoned` if something was, with a decision and its
    /// webhook. E.g. `7d`, `12h`.
    #[arg(long, env = "KYCMEDIA_SESSION_LIFETIME", default_value = defaults::SESSION_LIFETIME, value_parser = parse_duration)]
    pub session_lifetime: Duration,
    /// Web origins (`https://shop.example`), comma-separated, whose pages may
    /// create sessions from the browser (`@veriff/js-sdk`) and show the
    /// capture page in a frame (`@veriff/incontext-sdk`). None by default.
    #[arg(long, env = "KYCMEDIA_ALLOWED_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub allowed_origins: Vec<String>,
    /// A review console session ends after this long without a request
    /// (`/console`). E.g. `30m`.
    #[arg(long, env = "KYCMEDIA_CONSOLE_IDLE_TIMEOUT", default_value = defaults::CONSOLE_IDLE_TIMEOUT, value_parser = parse_duration)]
    pub console_idle_timeout: Duration,
    /// A review console session ends this long after its login, however
    /// busy. E.g. `12h`.
    #[arg(long, env = "KYCMEDIA_CONSOLE_SESSION_LIFETIME", default_value = defaults::CONSOLE_SESSION_LIFETIME, value_parser = parse_duration)]
    pub console_session_lifetime: Duration,
    /// Bearer token `GET /metrics` requires (`Authorization: Bearer …`).
    /// Unset, only a client on this machine that came through no proxy
    /// (no `X-Forwarded-For` or `Forwarded`) may read the metrics.
    #[arg(long, env = "KYCMEDIA_METRICS_TOKEN", value_parser = secret)]
    pub metrics_token: Option<SecretString>,
}

/// An origin as browsers send it: `scheme://host[:port]`, nothing after.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim())
        .map_err(|e| format!("{text:?} is not an origin such as https://shop.example: {e}"))?;
    if !matches!(url.scheme(), "http" | "https")
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(format!(
            "{text:?} is not an origin: scheme, host and port only, e.g. https://shop.example"
        ));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_schedule_reads_units_and_repeats() {
        assert_eq!(
            RetrySchedule::parse("5s,1m,10m*2,1h,1d").unwrap().0,
            [5, 60, 600, 600, 3600, 86_400].map(Duration::from_secs)
        );
        assert_eq!(
            RetrySchedule::parse(defaults::WEBHOOK_RETRY_SCHEDULE).unwrap().0.len(),
            168
        );
        for bad in ["", "5", "5x", "m", "1h*0", "1h*x", "-1s"] {
            assert!(RetrySchedule::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_allowed_origin_is_scheme_host_and_port_as_browsers_send_it() {
        assert_eq!(parse_origin("https://Shop.Example").unwrap(), "https://shop.example");
        assert_eq!(parse_origin("http://127.0.0.1:8080/").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(
            parse_origin("https://shop.example:443").unwrap(),
            "https://shop.example"
        );
        for bad in [
            "",
            "shop.example",
            "https://shop.example/page",
            "ftp://shop.example",
            "https://a.b/?q",
            "*",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad:?}");
        }
    }
}
