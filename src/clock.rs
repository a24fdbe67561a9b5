//! The one source of "now". Tests use a manual clock to move time (token expiry,
//! deadlines, backdated reports); the server uses the system clock.
//!
//! Instants are truncated to microseconds: PostgreSQL keeps microseconds, so a
//! value read back compares equal to the one written on both databases.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, DurationRound, Utc};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    pub fn system() -> Self {
        Clock { manual: None }
    }

    /// A clock that stands still at `at` until moved.
    pub fn manual(at: DateTime<Utc>) -> Self {
        Clock {
            manual: Some(Arc::new(Mutex::new(truncate(at)))),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual {
            Some(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
            None => truncate(Utc::now()),
        }
    }

    /// Moves a manual clock forward (no effect on the system clock).
    pub fn advance(&self, by: Duration) {
        if let Some(t) = &self.manual {
            let mut t = t.lock().unwrap_or_else(|p| p.into_inner());
            *t = truncate(*t + by);
        }
    }

    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(t) = &self.manual {
            *t.lock().unwrap_or_else(|p| p.into_inner()) = truncate(at);
        }
    }
}

pub fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::microseconds(1)).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_and_truncates() {
        let start = DateTime::parse_from_rfc3339("2025-04-04T08:30:00.123456789Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("valid");
        let c = Clock::manual(start);
        assert_eq!(c.now().timestamp_subsec_nanos(), 123_456_000);
        c.advance(Duration::minutes(16));
        assert_eq!((c.now() - truncate(start)).num_minutes(), 16);
    }
}
