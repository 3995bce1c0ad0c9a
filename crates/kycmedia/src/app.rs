//! Building and running the server: `Application::build` binds first (port 0
//! allowed) so that callers, tests included, learn the real address before
//! anything is served.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::{
    blobs::Blobs,
    config::{DatabaseArgs, LimitArgs, ServeConfig, StorageArgs},
    http::{self, auth::IntegrationCache},
    media_cache::MediaListCache,
    store::{self, Store},
    sweep,
};

/// What every request handler and command shares.
pub struct Core {
    pub store: Arc<dyn Store>,
    pub blobs: Blobs,
    /// Without a trailing slash.
    pub public_url: String,
    pub limits: LimitArgs,
    pub integrations: IntegrationCache,
    /// Rendered media lists; only on a server that owns its database (see `media_cache`).
    pub media_lists: Option<MediaListCache>,
    /// Held for the server's lifetime: the database's serve lock.
    _serve_lock: Option<std::fs::File>,
    /// Concurrent analyses allowed: each may hold a decoded image, so their
    /// number, not the number of clients, bounds memory and CPU.
    pub analysis_slots: tokio::sync::Semaphore,
}

impl Core {
    /// Opens the database and the media storage a configuration names.
    /// `serve_lock` is the database's serve lock when this process holds it,
    /// which lets it cache media lists in up to `list_cache_bytes`.
    pub async fn open(
        database: &DatabaseArgs,
        storage: &StorageArgs,
        public_url: String,
        limits: LimitArgs,
        serve_lock: Option<std::fs::File>,
        list_cache_bytes: usize,
    ) -> anyhow::Result<Arc<Self>> {
        let store = database.connect().await?;
        let blobs = storage.open()?;
        blobs
            .check()
            .await
            .with_context(|| format!("storage {} does not answer", storage.storage))?;
        Ok(Arc::new(Core {
            store,
            blobs,
            public_url: public_url.trim_end_matches('/').to_owned(),
            limits,
            integrations: IntegrationCache::new(Duration::from_millis(500)),
            media_lists: serve_lock
                .as_ref()
                .filter(|_| list_cache_bytes > 0)
                .map(|_| MediaListCache::new(list_cache_bytes)),
            _serve_lock: serve_lock,
            analysis_slots: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
            ),
        }))
    }

    /// Drops the cached lists of a session whose media just changed.
    pub fn media_changed(&self, session_id: &str) {
        if let Some(cache) = &self.media_lists {
            cache.invalidate_session(session_id);
        }
    }

    /// `<public base URL>/v1/media/<id>`.
    pub fn media_url(&self, media_id: &str) -> String {
        format!("{}/v1/media/{media_id}", self.public_url)
    }
}

pub struct Application {
    listener: TcpListener,
    core: Arc<Core>,
    sweep_grace: Duration,
}

impl Application {
    pub async fn build(config: &ServeConfig) -> anyhow::Result<Self> {
        // Installed before the first request, so no request goes uncounted.
        crate::telemetry::metrics_handle();
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let addr = listener.local_addr()?;
        let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        let serve_lock = store::serve_lock(&config.database.database)?;
        let core = Core::open(
            &config.database,
            &config.storage,
            public_url,
            config.limits.clone(),
            serve_lock,
            config.media_list_cache_mib.saturating_mul(1024 * 1024),
        )
        .await?;
        Ok(Application {
            listener,
            core,
            sweep_grace: Duration::from_secs(config.sweep_grace_secs),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn core(&self) -> Arc<Core> {
        self.core.clone()
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let sweeper = tokio::spawn(sweep::every_hour(self.core.clone(), self.sweep_grace));
        let upkeep = tokio::spawn(crate::telemetry::metrics_upkeep());
        let store_metrics = tokio::spawn(crate::telemetry::collect_store_metrics(self.core.store.clone()));
        let router = http::router(self.core.clone());
        tracing::info!(addr = %self.local_addr(), public_url = %self.core.public_url, "serving");
        let served = axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown)
            .await;
        sweeper.abort();
        upkeep.abort();
        store_metrics.abort();
        served.context("serving HTTP")
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: draining in-flight requests");
}

/// Milliseconds since the Unix epoch, the unit every stored time uses.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// A fresh random UUID v4 as text: ids, API keys, secrets.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
