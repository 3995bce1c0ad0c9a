//! Command-line and environment configuration. Every flag is also readable
//! from `KYCMEDIA_<FLAG>`, so a container or unit file needs no arguments.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use clap::Args;

use crate::{
    blobs::Blobs,
    store::{self, Store},
};

/// Where metadata lives.
#[derive(Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://PATH` (one server), or
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (any number of servers).
    #[arg(long, env = "KYCMEDIA_DATABASE", default_value = "sqlite://./data/kycmedia.db")]
    pub database: String,
    /// Most connections this process opens to PostgreSQL.
    #[arg(long, env = "KYCMEDIA_DATABASE_MAX_CONNECTIONS", default_value_t = 16)]
    pub database_max_connections: u32,
}

impl DatabaseArgs {
    /// Opens the database and runs its migrations.
    pub async fn connect(&self) -> anyhow::Result<Arc<dyn Store>> {
        store::connect(&self.database, self.database_max_connections)
            .await
            .with_context(|| format!("opening database {}", store::redacted(&self.database)))
    }
}

/// Where media bytes live.
#[derive(Args, Debug, Clone)]
pub struct StorageArgs {
    /// Storage URL: `file://PATH`, or `s3://BUCKET/PREFIX` with region and
    /// credentials from the standard `AWS_*` environment variables.
    #[arg(long, env = "KYCMEDIA_STORAGE", default_value = "file://./data/media")]
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

/// Limits on what one request may cost.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Largest accepted request body, in bytes; larger ones get 413.
    #[arg(long, env = "KYCMEDIA_MAX_BODY_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Longest a request may take, in seconds, body upload included.
    #[arg(long, env = "KYCMEDIA_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Most memory one image decode may allocate, in bytes (decompression bombs).
    #[arg(long, env = "KYCMEDIA_DECODE_MAX_ALLOC_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub decode_max_alloc_bytes: u64,
    /// Most pixels an uploaded image may declare.
    #[arg(long, env = "KYCMEDIA_MAX_PIXELS", default_value_t = 100_000_000)]
    pub max_pixels: u64,
}

impl LimitArgs {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn media(&self) -> kycmedia_media::Limits {
        kycmedia_media::Limits {
            max_pixels: self.max_pixels,
            max_alloc: self.decode_max_alloc_bytes,
        }
    }
}

/// `kycmedia serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, env = "KYCMEDIA_LISTEN", default_value = "127.0.0.1:8080")]
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
    #[arg(long, env = "KYCMEDIA_SWEEP_GRACE_SECS", default_value_t = 3600)]
    pub sweep_grace_secs: u64,
    /// Memory for rendered media lists, in MiB; 0 turns the cache off. Only
    /// a server alone on a SQLite database caches: on PostgreSQL another
    /// server's writes would go unseen.
    #[arg(long, env = "KYCMEDIA_MEDIA_LIST_CACHE_MIB", default_value_t = 16)]
    pub media_list_cache_mib: usize,
}
