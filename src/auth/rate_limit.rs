//! Throttling of the authentication endpoints, per instance (token buckets in
//! memory; `architecture.md` allows rate-limit counters to stay per instance).
//!
//! Login is limited per client address and per account. The per-account bucket
//! refills steadily rather than locking out: a flood against one account makes
//! its owner wait at most one refill interval (15 s by default) between tries,
//! never a long lock-out.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::AuthConfig;
use crate::error::AppError;

pub struct Limiter<K: Hash + Eq + Clone> {
    inner: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    fn new(burst: u32, per_minute: u32) -> Self {
        Self::per(burst, per_minute, Duration::from_secs(60))
    }

    /// `burst` at once, then `count` per `window`.
    pub fn per(burst: u32, count: u32, window: Duration) -> Self {
        let period = window / count.max(1);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        Limiter {
            inner: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one token for `key`, or answers 429 with the seconds to wait.
    pub fn check(&self, key: &K) -> Result<(), AppError> {
        self.inner.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            AppError::TooManyRequests {
                retry_after: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    /// Forgets keys whose bucket is full again.
    pub fn prune(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }
}

#[derive(Clone)]
pub struct AuthLimits {
    pub login_ip: Arc<Limiter<IpAddr>>,
    pub login_account: Arc<Limiter<String>>,
    /// Registration and refresh, per address.
    pub auth_ip: Arc<Limiter<IpAddr>>,
}

impl AuthLimits {
    pub fn new(c: &AuthConfig) -> Self {
        AuthLimits {
            login_ip: Arc::new(Limiter::new(c.login_ip_burst, c.login_ip_per_minute)),
            login_account: Arc::new(Limiter::new(
                c.login_account_burst,
                c.login_account_per_minute,
            )),
            auth_ip: Arc::new(Limiter::new(c.auth_ip_burst, c.auth_ip_per_minute)),
        }
    }

    /// Forgets buckets that are full again, so memory follows recent traffic.
    pub fn prune(&self) {
        self.login_ip.prune();
        self.login_account.prune();
        self.auth_ip.prune();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_429_with_retry_after() {
        let l: Limiter<&str> = Limiter::new(3, 4);
        for _ in 0..3 {
            assert!(l.check(&"a").is_ok());
        }
        match l.check(&"a") {
            Err(AppError::TooManyRequests { retry_after }) => {
                assert!((1..=15).contains(&retry_after), "{retry_after}")
            }
            other => panic!("expected 429, got {other:?}"),
        }
        // Other keys are unaffected.
        assert!(l.check(&"b").is_ok());
    }
}
