//! Delivering the outbox (`store::outbox` writes it): each server leases
//! the webhooks that are due, a session's in order, POSTs each signed with
//! its integration's newest secret, and records every attempt. A webhook is
//! sent at least once: a server that dies mid-delivery leaves its lease to
//! run out, and another server (or itself, restarted) sends it again.
//!
//! Receivers are untrusted: only `https://` unless allowed, no loopback,
//! private or link-local address unless allowed (checked on the addresses
//! the connection may use, so DNS cannot point around it), 10 s per
//! attempt, no redirect followed, at most 64 KiB of an answer read. Each
//! delivery runs on its own task, so a receiver that hangs holds up only
//! its own webhooks.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use kycmedia_proto::{
    signing::{AUTH_CLIENT_HEADER, Scheme, sign},
    webhook::{WEBHOOK_ID_HEADER, WebhookState},
};
use secrecy::ExposeSecret;
use tokio::sync::Semaphore;

use crate::{
    config::WebhookArgs,
    ids::{IntegrationId, WebhookAttemptId, now_ms},
    store::{Credentials, ENQUEUED, Store, Webhook, WebhookAttempt},
};

/// How long one attempt may take, connection included.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claimed webhook stays this server's: longer than an attempt,
/// and short, because it is how long a dead server's deliveries wait.
const LEASE: Duration = Duration::from_secs(15);
/// How often the outbox is asked for due webhooks.
const POLL: Duration = Duration::from_millis(100);
/// Deliveries in flight at once on one server.
const IN_FLIGHT: usize = 64;
/// While more is due than fits in flight, the fewest free slots worth a claim.
const CLAIM_BATCH: usize = IN_FLIGHT / 4;
/// The most of an answer that is read, and the most of it that is kept.
const READ_LIMIT: usize = 64 * 1024;
const KEEP_LIMIT: usize = 1024;
/// The longest wait a receiver's `Retry-After` may ask for: a day, so that
/// a receiver cannot park its webhooks beyond any schedule's reach.
const RETRY_AFTER_LIMIT: Duration = Duration::from_secs(24 * 3600);

/// Delivers webhooks until the task is dropped.
pub async fn deliver_forever(store: Arc<dyn Store>, settings: WebhookArgs) {
    let deliverer = match Deliverer::new(store, settings) {
        Ok(deliverer) => Arc::new(deliverer),
        Err(e) => {
            tracing::error!(error = %e, "webhook delivery cannot start");
            return;
        }
    };
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    loop {
        let free = slots.available_permits();
        let mut claimed = 0;
        if free > 0 {
            let now = now_ms();
            let lease_until = now + LEASE.as_millis() as i64;
            match deliverer.store.claim_webhooks(now, lease_until, free as i64).await {
                Ok(due) => {
                    claimed = due.len();
                    let senders = deliverer.senders(&due).await;
                    for webhook in due {
                        let Ok(permit) = slots.clone().acquire_owned().await else {
                            return;
                        };
                        let deliverer = deliverer.clone();
                        let sender = senders.get(&webhook.integration_id).cloned();
                        tokio::spawn(async move {
                            deliverer.deliver(webhook, sender).await;
                            drop(permit);
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "reading the webhook outbox"),
            }
        }
        if free > 0 && claimed == free {
            // More may be due: claim again once a quarter of the slots are
            // free, so that each claim (a scan of what is due) is shared by
            // several deliveries rather than paid for each.
            if let Ok(permits) = slots.acquire_many(CLAIM_BATCH as u32).await {
                drop(permits);
            }
            continue;
        }
        // Nothing more due: wait for a commit in this process that enqueued
        // one, or for the next poll (another server's writes, retries).
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = ENQUEUED.notified() => {}
        }
    }
}

struct Deliverer {
    store: Arc<dyn Store>,
    client: reqwest::Client,
    settings: WebhookArgs,
}

/// Who signs a batch's webhooks: each integration's credentials, read once
/// per batch rather than once per webhook, or why they could not be.
type Sender = Arc<Result<Credentials, String>>;

/// The result of one attempt, before it is recorded.
struct Outcome {
    http_status: Option<u16>,
    /// The first KiB of the answer, or the error.
    text: String,
    retry_after: Option<Duration>,
}

impl Deliverer {
    fn new(store: Arc<dyn Store>, settings: WebhookArgs) -> reqwest::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("kycmedia/", env!("CARGO_PKG_VERSION"), " webhooks"))
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: settings.webhook_allow_private,
            }))
            .build()?;
        Ok(Deliverer {
            store,
            client,
            settings,
        })
    }

    /// The credentials of every integration with a webhook in `due`.
    async fn senders(&self, due: &[Webhook]) -> HashMap<IntegrationId, Sender> {
        let mut senders = HashMap::new();
        for webhook in due {
            if senders.contains_key(&webhook.integration_id) {
                continue;
            }
            let credentials = match self.store.integration(&webhook.integration_id).await {
                Ok(Some(credentials)) => Ok(credentials),
                Ok(None) => Err("the integration no longer exists".to_owned()),
                Err(e) => Err(format!("reading the integration: {e}")),
            };
            senders.insert(webhook.integration_id.clone(), Arc::new(credentials));
        }
        senders
    }

    async fn deliver(&self, webhook: Webhook, sender: Option<Sender>) {
        let started = Instant::now();
        let at = now_ms();
        let outcome = self.attempt(&webhook, sender.as_deref()).await;
        let latency_ms = started.elapsed().as_millis() as i64;
        let (state, next_attempt_at) = self.next(&webhook, &outcome, at);
        let attempt = WebhookAttempt {
            id: WebhookAttemptId::random(),
            webhook_id: webhook.id.clone(),
            at,
            http_status: outcome.http_status.map(i64::from),
            latency_ms,
            outcome: outcome.text,
        };
        tracing::info!(
            webhook = %webhook.id, kind = %webhook.kind, status = ?outcome.http_status,
            latency_ms, state = %state, "webhook delivery attempt"
        );
        crate::telemetry::record_webhook_delivery(state);
        if let Err(e) = self.store.finish_webhook(&attempt, state, next_attempt_at).await {
            // The lease runs out and the webhook is sent again: at least once.
            tracing::warn!(webhook = %webhook.id, error = %e, "recording a webhook delivery");
        }
    }

    /// Where the webhook stands after `outcome`: delivered on a 2xx, gone on
    /// 410, otherwise pending until the schedule's waits are used up.
    fn next(&self, webhook: &Webhook, outcome: &Outcome, at: i64) -> (WebhookState, i64) {
        match outcome.http_status {
            Some(status) if (200..300).contains(&status) => return (WebhookState::Delivered, at),
            Some(410) => return (WebhookState::Gone, at),
            _ => {}
        }
        let schedule = &self.settings.webhook_retry_schedule.0;
        match schedule.get(webhook.attempts as usize) {
            None => (WebhookState::Failed, at),
            Some(wait) => {
                let wait = outcome.retry_after.map_or(*wait, |asked| asked.max(*wait));
                (WebhookState::Pending, at + wait.as_millis() as i64)
            }
        }
    }

    async fn attempt(&self, webhook: &Webhook, sender: Option<&Result<Credentials, String>>) -> Outcome {
        let failed = |text: String| Outcome {
            http_status: None,
            text,
            retry_after: None,
        };
        if let Err(refused) = self.check_url(&webhook.url) {
            return failed(refused);
        }
        let credentials = match sender {
            Some(Ok(credentials)) => credentials,
            Some(Err(why)) => return failed(why.clone()),
            None => return failed("the integration was not read".to_owned()),
        };
        let Some(secret) = credentials.secrets.first() else {
            return failed("the integration has no shared secret".to_owned());
        };
        let secret = secret.expose_secret().as_bytes();
        let body = webhook.body.as_bytes();
        let request = self
            .client
            .post(&webhook.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(AUTH_CLIENT_HEADER, &credentials.integration.api_key)
            .header(Scheme::Hmac.header(), sign(Scheme::Hmac, secret, body))
            .header(Scheme::Legacy.header(), sign(Scheme::Legacy, secret, body))
            .header(WEBHOOK_ID_HEADER, webhook.id.as_str())
            .body(webhook.body.clone());
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(e) => return failed(describe(&e)),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, SystemTime::now()));
        let mut kept = Vec::new();
        let mut read = 0;
        while read < READ_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    read += chunk.len();
                    let room = KEEP_LIMIT.saturating_sub(kept.len());
                    kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) | Err(_) => break,
            }
        }
        Outcome {
            http_status: Some(status),
            text: String::from_utf8_lossy(&kept).into_owned(),
            retry_after,
        }
    }

    /// The URL's scheme, and its host when it is an address.
    fn check_url(&self, url: &str) -> Result<(), String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        match parsed.scheme() {
            "https" => {}
            "http" if self.settings.webhook_allow_http => {}
            "http" => {
                return Err("http:// webhook URLs are refused; serve --webhook-allow-http allows them".to_owned());
            }
            other => return Err(format!("{other}:// is not a webhook URL")),
        }
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        match literal {
            Some(ip) if !self.settings.webhook_allow_private && !is_public(ip) => Err(private_refused(ip)),
            _ => Ok(()),
        }
    }
}

/// The wait a `Retry-After` value asks for: seconds, or an HTTP date
/// (RFC 9110 §10.2.3), at most [`RETRY_AFTER_LIMIT`]; `None` when it is
/// neither.
fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(now)
            .unwrap_or(Duration::ZERO),
    };
    Some(wait.min(RETRY_AFTER_LIMIT))
}

/// Resolves names as the system does, then drops the addresses a webhook
/// may not reach: the connection can only use what is left.
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = all
                .iter()
                .copied()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            match (allowed.is_empty(), all.first()) {
                (true, Some(first)) => Err(private_refused(first.ip()).into()),
                _ => Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

fn private_refused(ip: IpAddr) -> String {
    format!("{ip} is a loopback, private or link-local address; serve --webhook-allow-private allows it")
}

/// Whether a webhook may go to `ip` without `--webhook-allow-private`.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// An error and its causes, on one line.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_as_seconds_or_as_a_date_and_capped_at_a_day() {
        let now = httpdate::parse_http_date("Tue, 01 Dec 2026 12:00:00 GMT").unwrap();
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            retry_after("Tue, 01 Dec 2026 12:05:00 GMT", now),
            Some(Duration::from_secs(300))
        );
        assert_eq!(retry_after("Tue, 01 Dec 2026 11:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(retry_after("99999999", now), Some(RETRY_AFTER_LIMIT));
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-5", now), None);
    }

    #[test]
    fn loopback_private_link_local_and_shared_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
