//! How often one link and one address may use the capture page: a person
//! takes a few photos a minute, a script that hammers a link (or tries
//! links) is told to wait, with `429` and `Retry-After`.

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock as _};

/// Requests per minute one session token may make (photos, submit, page).
const PER_TOKEN: u32 = 30;
/// Requests per minute one client address may make, whatever the link.
const PER_ADDRESS: u32 = 300;
/// How many checks between sweeps of the keys not seen lately, so that the
/// tables stay the size of the current traffic.
const SWEEP_EVERY: u64 = 4096;

pub struct Limits {
    per_token: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
}

impl Default for Limits {
    fn default() -> Self {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Limits {
            per_token: DefaultKeyedRateLimiter::keyed(per_minute(PER_TOKEN)),
            per_address: DefaultKeyedRateLimiter::keyed(per_minute(PER_ADDRESS)),
            checks: AtomicU64::new(0),
        }
    }
}

impl Limits {
    /// `Ok` to go ahead, or how long to wait. The address is checked first,
    /// so that trying many links from one place counts against that place.
    pub fn check(&self, address: Option<IpAddr>, token: Option<&str>) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.per_token.retain_recent();
            self.per_address.retain_recent();
        }
        if let Some(address) = address {
            self.per_address
                .check_key(&address)
                .map_err(|wait| wait.wait_time_from(self.per_address.clock().now()))?;
        }
        if let Some(token) = token {
            self.per_token
                .check_key(&token.to_owned())
                .map_err(|wait| wait.wait_time_from(self.per_token.clock().now()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_gets_its_quota_then_a_wait_while_another_token_goes_on() {
        let limits = Limits::default();
        let here: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..PER_TOKEN {
            assert!(limits.check(Some(here), Some("a")).is_ok());
        }
        let wait = limits.check(Some(here), Some("a")).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(2), "{wait:?}");
        assert!(limits.check(Some(here), Some("b")).is_ok());
    }

    #[test]
    fn an_address_trying_many_tokens_is_stopped_at_its_own_quota() {
        let limits = Limits::default();
        let here: IpAddr = "192.0.2.7".parse().unwrap();
        for n in 0..PER_ADDRESS {
            assert!(limits.check(Some(here), Some(&n.to_string())).is_ok());
        }
        assert!(limits.check(Some(here), Some("fresh")).is_err());
        assert!(limits.check(Some("192.0.2.8".parse().unwrap()), Some("fresh")).is_ok());
    }
}
