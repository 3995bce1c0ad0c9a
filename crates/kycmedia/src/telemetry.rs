//! Logging and metrics set-up. Logs go to stderr so that stdout stays
//! machine-readable for the commands that print JSON.
//!
//! Every metric family is described (Prometheus `# HELP`) once, when the
//! recorder is installed; docs/operations.md lists them for operators.
//! Labels take values from small fixed sets only: never a tenant, a session
//! or anything a client chose.

use std::{
    io::IsTerminal,
    sync::{Arc, OnceLock},
    time::Duration,
};

use kycmedia_proto::Context;
use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::store::{Store, StoreError};

const HTTP_REQUESTS: &str = "http_requests_total";
const HTTP_DURATION: &str = "http_request_duration_seconds";
const UPLOADS: &str = "kycmedia_uploads_total";
const ANALYSIS_DURATION: &str = "kycmedia_analysis_duration_seconds";
const STORED_OBJECTS: &str = "kycmedia_stored_objects";
const STORED_BYTES: &str = "kycmedia_stored_bytes";
const POOL_CONNECTIONS: &str = "kycmedia_db_pool_connections";
const POOL_MAX: &str = "kycmedia_db_pool_max_connections";
const BUILD_INFO: &str = "kycmedia_build_info";
const WEBHOOK_DELIVERIES: &str = "kycmedia_webhook_deliveries_total";
const WEBHOOKS_PENDING: &str = "kycmedia_webhooks_pending";
const WEBHOOK_OLDEST_PENDING: &str = "kycmedia_webhook_oldest_pending_seconds";

/// The `outcome` values of `kycmedia_webhook_deliveries_total`: the state a
/// delivery attempt left its webhook in, `pending` being a retry to come.
pub const WEBHOOK_OUTCOMES: [&str; 4] = ["delivered", "pending", "failed", "gone"];

/// How often `collect_store_metrics` counts the media table.
const STORE_METRICS_EVERY: Duration = Duration::from_secs(15);

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines, coloured on a terminal.
    #[default]
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// Installs the stderr logger; `RUST_LOG` overrides the default `info`.
pub fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
    // A second call (tests build several servers) keeps the first logger.
    let _ = installed;
}

/// The process-wide Prometheus recorder, installed on first use, with every
/// family described.
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(HTTP_DURATION.to_owned()),
                &[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ],
            )
            // An image's analysis takes ~5–100 ms on one core, a retried
            // barcode or a large photo up to a few seconds.
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(ANALYSIS_DURATION.to_owned()),
                    &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
                )
            })
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let handle = match builder.install_recorder() {
            Ok(handle) => handle,
            // Another recorder is installed: render an empty registry of our own.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        };
        describe();
        handle
    })
}

/// Describes every family, and starts the ones whose absence would read as
/// "nothing happened" at zero, so that a dashboard's rate is defined from
/// the first scrape.
fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by method, route template and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time from a request's arrival to its response head, by method, route template and status."
    );
    describe_counter!(
        UPLOADS,
        "Media uploads by outcome: stored, rejected (the request was invalid), conflict (the session no \
         longer takes media), failed (a fault of the server or its storage)."
    );
    describe_histogram!(
        ANALYSIS_DURATION,
        Unit::Seconds,
        "Time spent analysing one upload's bytes (accuracy and quality), by context family."
    );
    describe_gauge!(STORED_OBJECTS, "Media rows in the database, over all tenants.");
    describe_gauge!(
        STORED_BYTES,
        Unit::Bytes,
        "Sum of the stored media's sizes, over all tenants."
    );
    describe_gauge!(POOL_CONNECTIONS, "Open database connections, by state (idle, in_use).");
    describe_gauge!(POOL_MAX, "The most database connections the pool opens.");
    describe_gauge!(BUILD_INFO, "Always 1; the labels say which kycmedia build is running.");
    describe_counter!(
        WEBHOOK_DELIVERIES,
        "Webhook delivery attempts by the state they left the webhook in: delivered (2xx), pending (to be \
         retried), failed (the retry schedule is used up), gone (the receiver answered 410)."
    );
    describe_gauge!(
        WEBHOOKS_PENDING,
        "Webhooks not delivered yet and still to be tried, over all tenants."
    );
    describe_gauge!(
        WEBHOOK_OLDEST_PENDING,
        Unit::Seconds,
        "Age of the oldest webhook still to be delivered; 0 when none is."
    );
    for outcome in WEBHOOK_OUTCOMES {
        metrics::counter!(WEBHOOK_DELIVERIES, "outcome" => outcome).increment(0);
    }
    for outcome in UploadOutcome::ALL {
        metrics::counter!(UPLOADS, "outcome" => outcome.as_str()).increment(0);
    }
    for family in kycmedia_media::FAMILY_LABELS {
        // Registering the handle is what creates the (empty) series.
        let _ = metrics::histogram!(ANALYSIS_DURATION, "family" => family);
    }
    metrics::gauge!(
        BUILD_INFO,
        "version" => crate::build_info::VERSION,
        "commit" => crate::build_info::COMMIT,
    )
    .set(1.0);
}

/// How an upload ended, for `kycmedia_uploads_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadOutcome {
    /// Stored, answered 201.
    Stored,
    /// The request was refused as invalid (4xx other than 409).
    Rejected,
    /// The session no longer takes media (409).
    Conflict,
    /// The server or its storage failed (5xx).
    Failed,
}

impl UploadOutcome {
    const ALL: [UploadOutcome; 4] = [
        UploadOutcome::Stored,
        UploadOutcome::Rejected,
        UploadOutcome::Conflict,
        UploadOutcome::Failed,
    ];

    /// The `outcome` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            UploadOutcome::Stored => "stored",
            UploadOutcome::Rejected => "rejected",
            UploadOutcome::Conflict => "conflict",
            UploadOutcome::Failed => "failed",
        }
    }
}

/// Counts one webhook delivery attempt by the state it left (`WEBHOOK_OUTCOMES`).
pub fn record_webhook_delivery(state: kycmedia_proto::webhook::WebhookState) {
    metrics::counter!(WEBHOOK_DELIVERIES, "outcome" => state.as_str()).increment(1);
}

/// Counts one upload.
pub fn record_upload(outcome: UploadOutcome) {
    metrics::counter!(UPLOADS, "outcome" => outcome.as_str()).increment(1);
}

/// Records how long one analysis took, labelled with the ranking family
/// that judged it (`kycmedia_media::family_label`, a fixed set).
pub fn record_analysis(context: Context, elapsed: Duration) {
    let family = kycmedia_media::family_label(context);
    metrics::histogram!(ANALYSIS_DURATION, "family" => family).record(elapsed.as_secs_f64());
}

/// Refreshes the store gauges once: the pool's (which ask the database
/// nothing) always, the media totals when their query succeeds.
pub async fn refresh_store_metrics(store: &dyn Store) -> Result<(), StoreError> {
    let pool = store.pool_stats();
    metrics::gauge!(POOL_CONNECTIONS, "state" => "idle").set(f64::from(pool.idle));
    metrics::gauge!(POOL_CONNECTIONS, "state" => "in_use").set(f64::from(pool.in_use()));
    metrics::gauge!(POOL_MAX).set(f64::from(pool.max));
    let totals = store.totals().await?;
    metrics::gauge!(STORED_OBJECTS).set(totals.objects as f64);
    metrics::gauge!(STORED_BYTES).set(totals.bytes as f64);
    let (pending, oldest) = store.webhook_backlog().await?;
    metrics::gauge!(WEBHOOKS_PENDING).set(pending as f64);
    let age = oldest.map_or(0.0, |created| (crate::ids::now_ms() - created).max(0) as f64 / 1000.0);
    metrics::gauge!(WEBHOOK_OLDEST_PENDING).set(age);
    Ok(())
}

/// Refreshes the store gauges now and every 15 s, for as long as it runs
/// (spawn it; abort it on shutdown). A failed count is logged and retried
/// at the next tick. Each tick reads every media row's size once (SQLite
/// from a covering index, PostgreSQL by scanning the table).
pub async fn collect_store_metrics(store: Arc<dyn Store>) {
    let mut tick = tokio::time::interval(STORE_METRICS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = refresh_store_metrics(store.as_ref()).await {
            tracing::warn!(error = %e, "store metrics not refreshed");
        }
    }
}

/// Folds recorded histogram samples into their buckets every few seconds.
/// The recorder keeps every raw sample until upkeep runs, so without this a
/// busy server's memory grows with its request count.
pub async fn metrics_upkeep() {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tick.tick().await;
        metrics_handle().run_upkeep();
    }
}
