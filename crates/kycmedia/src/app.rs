//! The process around the server: `Application::build` binds first (port 0
//! allowed) so that callers, tests included, learn the real address before
//! anything is served, then opens the shared state (`state::Core`); `run_until`
//! serves the router and the background tasks until shutdown.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::{
    config::{ServeConfig, WebhookArgs},
    http,
    state::Core,
    store, sweep, webhooks,
};

pub struct Application {
    listener: TcpListener,
    core: Arc<Core>,
    sweep_grace: Duration,
    webhooks: WebhookArgs,
    session_lifetime: Duration,
    allowed_origins: Vec<String>,
    console_idle_timeout: Duration,
    console_session_lifetime: Duration,
    metrics_token: Option<secrecy::SecretString>,
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
            webhooks: config.webhooks.clone(),
            session_lifetime: config.session_lifetime,
            allowed_origins: config.allowed_origins.clone(),
            console_idle_timeout: config.console_idle_timeout,
            console_session_lifetime: config.console_session_lifetime,
            metrics_token: config.metrics_token.clone(),
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
        let deliveries = tokio::spawn(webhooks::deliver_forever(
            self.core.store.clone(),
            self.webhooks.clone(),
        ));
        let expiry = tokio::spawn(crate::expiry::expire_forever(
            self.core.store.clone(),
            self.session_lifetime,
        ));
        let capture = Arc::new(crate::capture::Capture::new(
            self.core.clone(),
            self.allowed_origins.clone(),
            self.session_lifetime,
        ));
        let forgetting = tokio::spawn(crate::reviewers::forget_ended_sessions(
            self.core.store.clone(),
            self.console_idle_timeout,
        ));
        let console = Arc::new(crate::console::Console::new(
            self.core.clone(),
            self.console_idle_timeout,
            self.console_session_lifetime,
        ));
        let router = http::router(self.core.clone(), capture, console, self.metrics_token.clone());
        tracing::info!(addr = %self.local_addr(), public_url = %self.core.public_url, "serving");
        // Each request carries its peer's address, for the per-address limits.
        let served = crate::conn::serve(self.listener, router, &self.core.limits.connections, shutdown).await;
        // The answered requests' audit rows, before the process ends.
        self.core.audit.flush().await;
        sweeper.abort();
        upkeep.abort();
        store_metrics.abort();
        deliveries.abort();
        expiry.abort();
        forgetting.abort();
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
