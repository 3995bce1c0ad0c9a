//! What one tenant, one client address and all of them together may hold,
//! checked before the work is done:
//!
//! - **rates** (`Rates`): token buckets per integration, per address, per
//!   capture link, and the provider's limit on session deletes; the API and
//!   the capture page share them;
//! - **body bytes in memory** (`read_body`): a request reserves its body's
//!   size before reading it, so that many large bodies with a wrong
//!   signature cannot fill the memory; a declared size over the maximum is
//!   refused before a byte is read;
//! - **analysis slots** (`analysis_share`): one integration may run only its
//!   share of the server's analyses at once, so that another tenant's
//!   uploads always find a slot.

use std::{
    collections::HashMap,
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, header::CONTENT_LENGTH},
};
use futures::StreamExt as _;
use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock as _};
use kycmedia_proto::ApiError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::TenantArgs;

/// Requests a minute one capture link may make (photos, submit, page).
const CAPTURE_PER_TOKEN: u32 = 30;
/// Capture-page requests a minute one client address may make, whatever the link.
const CAPTURE_PER_ADDRESS: u32 = 300;
/// Console logins a minute under one name, right or wrong: guessing a
/// reviewer's password gets five tries a minute, from anywhere.
pub const LOGINS_PER_NAME: u32 = 5;
/// Console logins a minute from one address, whatever the name.
const LOGINS_PER_ADDRESS: u32 = 30;
/// How many checks between sweeps of the keys not seen lately, so that the
/// tables stay the size of the current traffic.
const SWEEP_EVERY: u64 = 4096;
/// How long a request waits for room for its body before it gets 503.
const BODY_WAIT: Duration = Duration::from_secs(2);
/// Body bytes are counted in units of this many: a semaphore's permits are
/// taken 2³² − 1 at a time at most.
const UNIT: usize = 1024;
/// A body of unknown length reserves room in steps of at least this much.
const STEP: usize = 256 * 1024;

/// One bucket to take a token from.
#[derive(Debug, Clone, Copy)]
pub enum Bucket<'a> {
    /// A capture link (its session token).
    CaptureLink(&'a str),
    /// A client address on the capture page.
    CaptureAddress(IpAddr),
    /// An integration's API requests (its id).
    Integration(&'a str),
    /// A client address's API requests.
    Address(IpAddr),
    /// An integration's session deletes.
    Delete(&'a str),
    /// Logins to the review console under one name.
    LoginName(&'a str),
    /// Logins to the review console from one address.
    LoginAddress(IpAddr),
}

/// Every rate limit of the server, in one place.
pub struct Rates {
    capture_link: DefaultKeyedRateLimiter<String>,
    capture_address: DefaultKeyedRateLimiter<IpAddr>,
    integration: Option<DefaultKeyedRateLimiter<String>>,
    address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    deletes_hourly: Option<DefaultKeyedRateLimiter<String>>,
    deletes_daily: Option<DefaultKeyedRateLimiter<String>>,
    login_name: DefaultKeyedRateLimiter<String>,
    login_address: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
}

/// `n` a `period`, in a bucket of `n`; `None` for 0 (no limit).
fn quota(n: u32, period: Duration) -> Option<Quota> {
    let n = NonZeroU32::new(n)?;
    Quota::with_period(period / n.get()).map(|q| q.allow_burst(n))
}

fn keyed<K: std::hash::Hash + Eq + Clone>(quota: Option<Quota>) -> Option<DefaultKeyedRateLimiter<K>> {
    quota.map(DefaultKeyedRateLimiter::keyed)
}

/// `n` a minute, never off (the capture page's fixed limits).
fn always<K: std::hash::Hash + Eq + Clone>(n: u32) -> DefaultKeyedRateLimiter<K> {
    DefaultKeyedRateLimiter::keyed(quota(n, MINUTE).unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN)))
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

impl Rates {
    pub fn new(settings: &TenantArgs) -> Self {
        Rates {
            capture_link: always(CAPTURE_PER_TOKEN),
            capture_address: always(CAPTURE_PER_ADDRESS),
            integration: keyed(quota(settings.integration_requests_per_second, Duration::from_secs(1))),
            address: keyed(quota(settings.address_requests_per_second, Duration::from_secs(1))),
            deletes_hourly: keyed(quota(settings.session_deletes_per_hour, HOUR)),
            deletes_daily: keyed(quota(settings.session_deletes_per_day, DAY)),
            login_name: always(LOGINS_PER_NAME),
            login_address: always(LOGINS_PER_ADDRESS),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes a token from each bucket in turn: `Ok` to go ahead, or how
    /// long to wait (a bucket already passed keeps its token spent).
    pub fn check(&self, buckets: &[Bucket<'_>]) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep();
        }
        for bucket in buckets {
            match *bucket {
                Bucket::CaptureLink(token) => take(Some(&self.capture_link), &token.to_owned())?,
                Bucket::CaptureAddress(address) => take(Some(&self.capture_address), &address)?,
                Bucket::Integration(id) => take(self.integration.as_ref(), &id.to_owned())?,
                Bucket::Address(address) => take(self.address.as_ref(), &address)?,
                Bucket::Delete(id) => {
                    take(self.deletes_hourly.as_ref(), &id.to_owned())?;
                    take(self.deletes_daily.as_ref(), &id.to_owned())?;
                }
                Bucket::LoginName(name) => take(Some(&self.login_name), &name.to_owned())?,
                Bucket::LoginAddress(address) => take(Some(&self.login_address), &address)?,
            }
        }
        Ok(())
    }

    fn sweep(&self) {
        self.capture_link.retain_recent();
        self.capture_address.retain_recent();
        self.login_name.retain_recent();
        self.login_address.retain_recent();
        for limiter in [&self.integration, &self.deletes_hourly, &self.deletes_daily]
            .into_iter()
            .flatten()
        {
            limiter.retain_recent();
        }
        if let Some(address) = &self.address {
            address.retain_recent();
        }
    }
}

fn take<K: std::hash::Hash + Eq + Clone>(
    limiter: Option<&DefaultKeyedRateLimiter<K>>,
    key: &K,
) -> Result<(), Duration> {
    match limiter {
        None => Ok(()),
        Some(limiter) => limiter
            .check_key(key)
            .map_err(|wait| wait.wait_time_from(limiter.clock().now())),
    }
}

/// `Retry-After`'s whole seconds for a wait: rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// The client's address: the peer's, unless the peer is a reverse proxy on
/// this machine (the deployment docs/operations.md describes), whose
/// `X-Forwarded-For` names the client it saw last; without that, every
/// client behind the proxy would share one limit.
pub fn client_address(peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    if !peer.is_loopback() {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|last| last.trim().parse().ok())
        .unwrap_or(peer)
}

/// What the server holds for every request at once.
pub struct Admission {
    pub rates: Rates,
    /// Room for body bytes, in `UNIT`s; `None`: no bound.
    bodies: Option<Arc<Semaphore>>,
    body_units: u32,
    /// Analyses one integration may run at once.
    share: usize,
    analyses: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Reads the rest of a refused body and throws it away, a frame at a time
/// (no memory kept), up to `limit` bytes: a client that sends its whole
/// body before it reads the answer then reads the refusal, instead of a
/// connection reset under its upload. Returns `error`.
async fn drained(mut frames: axum::body::BodyDataStream, limit: usize, error: ApiError) -> ApiError {
    let mut seen = 0usize;
    while seen <= limit {
        match frames.next().await {
            Some(Ok(chunk)) => seen += chunk.len(),
            _ => break,
        }
    }
    error
}

/// Room held for a body's bytes, given back when dropped.
#[derive(Default)]
pub struct BodyRoom(Option<OwnedSemaphorePermit>);

impl Admission {
    /// `analysis_slots` is the server's number of analysis slots.
    pub fn new(settings: &TenantArgs, analysis_slots: usize) -> Self {
        let body_units = u32::try_from(settings.max_body_bytes_in_flight.div_ceil(UNIT)).unwrap_or(u32::MAX);
        let share = match settings.analyses_per_integration {
            // Slots are two a core: a quarter of them is half the cores.
            0 => analysis_slots / 4,
            n => n,
        };
        Admission {
            rates: Rates::new(settings),
            bodies: (body_units > 0).then(|| Arc::new(Semaphore::new(body_units as usize))),
            body_units,
            share: share.max(1),
            analyses: Mutex::new(HashMap::new()),
        }
    }

    /// Reads a request body of at most `limit` bytes, holding room for it in
    /// the server's body budget: a declared `Content-Length` over `limit` is
    /// refused before anything is read (413), and a body that finds no room
    /// within a moment gets `Busy` (503).
    pub async fn read_body(
        &self,
        headers: &HeaderMap,
        body: Body,
        limit: usize,
    ) -> Result<(Bytes, BodyRoom), ApiError> {
        let declared = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(ApiError::PayloadTooLarge);
        }
        let declared = declared.map_or(0, |len| len as usize);
        let mut room = BodyRoom(None);
        let mut reserved = 0;
        let mut frames = body.into_data_stream();
        if declared > 0 {
            match self.reserve(&mut room, declared).await {
                Ok(held) => reserved = held,
                Err(busy) => return Err(drained(frames, limit, busy).await),
            }
        }
        let mut read = Vec::with_capacity(declared);
        while let Some(frame) = frames.next().await {
            let chunk = frame.map_err(|_| ApiError::PayloadTooLarge)?;
            let total = read.len() + chunk.len();
            if total > limit {
                return Err(ApiError::PayloadTooLarge);
            }
            if total > reserved {
                let more = (total - reserved).max(STEP).min(limit - reserved);
                match self.reserve(&mut room, more).await {
                    Ok(held) => reserved += held,
                    Err(busy) => {
                        drop(read);
                        return Err(drained(frames, limit, busy).await);
                    }
                }
            }
            read.extend_from_slice(&chunk);
        }
        Ok((Bytes::from(read), room))
    }

    /// Adds room for `bytes` more to `room`; returns how many bytes it holds for.
    async fn reserve(&self, room: &mut BodyRoom, bytes: usize) -> Result<usize, ApiError> {
        let Some(bodies) = &self.bodies else {
            return Ok(bytes);
        };
        let units = u32::try_from(bytes.div_ceil(UNIT))
            .unwrap_or(u32::MAX)
            .min(self.body_units);
        let permit = tokio::time::timeout(BODY_WAIT, bodies.clone().acquire_many_owned(units))
            .await
            .map_err(|_| ApiError::Busy)?
            .map_err(|_| ApiError::Busy)?;
        match &mut room.0 {
            Some(held) => held.merge(permit),
            None => room.0 = Some(permit),
        }
        // A body larger than the whole budget holds all of it.
        Ok(bytes.max(units as usize * UNIT))
    }

    /// Waits for one of the integration's analysis slots; hold it while the
    /// analysis runs, beside one of the server's.
    pub async fn analysis_share(&self, integration: &str) -> Option<OwnedSemaphorePermit> {
        let slots = {
            let mut analyses = self.analyses.lock().ok()?;
            if analyses.len() > 1024 {
                // Forget the integrations with no analysis running.
                analyses.retain(|_, slots| Arc::strong_count(slots) > 1);
            }
            analyses
                .entry(integration.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.share)))
                .clone()
        };
        slots.acquire_owned().await.ok()
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn settings() -> TenantArgs {
        TenantArgs::default()
    }

    #[test]
    fn a_capture_link_gets_its_quota_then_a_wait_while_another_link_goes_on() {
        let rates = Rates::new(&settings());
        let here: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..CAPTURE_PER_TOKEN {
            assert!(
                rates
                    .check(&[Bucket::CaptureAddress(here), Bucket::CaptureLink("a")])
                    .is_ok()
            );
        }
        let wait = rates
            .check(&[Bucket::CaptureAddress(here), Bucket::CaptureLink("a")])
            .unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(2), "{wait:?}");
        assert!(
            rates
                .check(&[Bucket::CaptureAddress(here), Bucket::CaptureLink("b")])
                .is_ok()
        );
    }

    #[test]
    fn an_address_trying_many_capture_links_is_stopped_at_its_own_quota() {
        let rates = Rates::new(&settings());
        let here: IpAddr = "192.0.2.7".parse().unwrap();
        for n in 0..CAPTURE_PER_ADDRESS {
            assert!(
                rates
                    .check(&[Bucket::CaptureAddress(here), Bucket::CaptureLink(&n.to_string())])
                    .is_ok()
            );
        }
        assert!(
            rates
                .check(&[Bucket::CaptureAddress(here), Bucket::CaptureLink("fresh")])
                .is_err()
        );
        let there: IpAddr = "192.0.2.8".parse().unwrap();
        assert!(
            rates
                .check(&[Bucket::CaptureAddress(there), Bucket::CaptureLink("fresh")])
                .is_ok()
        );
    }

    #[test]
    fn deletes_follow_the_providers_five_an_hour_per_integration() {
        let rates = Rates::new(&settings());
        for _ in 0..5 {
            assert!(rates.check(&[Bucket::Delete("a")]).is_ok());
        }
        let wait = rates.check(&[Bucket::Delete("a")]).unwrap_err();
        assert!(wait > Duration::from_secs(60), "{wait:?}");
        assert!(rates.check(&[Bucket::Delete("b")]).is_ok());
    }

    #[test]
    fn a_rate_of_zero_is_no_limit() {
        let rates = Rates::new(&TenantArgs {
            integration_requests_per_second: 0,
            ..settings()
        });
        for _ in 0..10_000 {
            assert!(rates.check(&[Bucket::Integration("a")]).is_ok());
        }
    }

    #[test]
    fn a_proxy_on_this_machine_names_the_client_and_no_one_else_can() {
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", HeaderValue::from_static("10.9.9.9, 203.0.113.5"));
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let remote: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(
            client_address(local, &headers),
            "203.0.113.5".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_address(remote, &headers),
            remote,
            "a remote peer cannot claim an address"
        );
        assert_eq!(client_address(local, &HeaderMap::new()), local);
        headers.insert("x-forwarded-for", HeaderValue::from_static("not an address"));
        assert_eq!(client_address(local, &headers), local);
    }

    #[tokio::test]
    async fn a_declared_body_over_the_limit_is_refused_before_it_is_read() {
        let admission = Admission::new(&settings(), 4);
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("1000"));
        let refused = admission.read_body(&headers, Body::from(vec![0u8; 10]), 100).await;
        assert!(matches!(refused, Err(ApiError::PayloadTooLarge)));
    }

    #[tokio::test]
    async fn a_body_that_finds_no_room_in_the_budget_is_busy_and_room_comes_back_when_dropped() {
        let admission = Admission::new(
            &TenantArgs {
                max_body_bytes_in_flight: 64 * 1024,
                ..settings()
            },
            4,
        );
        let body = |n: usize| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_LENGTH, HeaderValue::from_str(&n.to_string()).unwrap());
            (headers, Body::from(vec![7u8; n]))
        };
        let (headers, first) = body(60 * 1024);
        let (bytes, room) = admission.read_body(&headers, first, 1 << 20).await.unwrap();
        assert_eq!(bytes.len(), 60 * 1024);
        let (headers, second) = body(10 * 1024);
        let busy = admission.read_body(&headers, second, 1 << 20).await;
        assert!(matches!(busy, Err(ApiError::Busy)));
        drop(room);
        let (headers, third) = body(10 * 1024);
        assert!(admission.read_body(&headers, third, 1 << 20).await.is_ok());
    }

    #[tokio::test]
    async fn one_integration_holds_at_most_its_share_of_the_analyses() {
        // Eight slots (four cores): one integration's share is two.
        let admission = Admission::new(&settings(), 8);
        let first = admission.analysis_share("a").await.unwrap();
        let _second = admission.analysis_share("a").await.unwrap();
        let third = tokio::time::timeout(Duration::from_millis(50), admission.analysis_share("a")).await;
        assert!(third.is_err(), "a third analysis of one integration waits");
        assert!(
            admission.analysis_share("b").await.is_some(),
            "another integration does not"
        );
        drop(first);
        assert!(admission.analysis_share("a").await.is_some());
    }
}
