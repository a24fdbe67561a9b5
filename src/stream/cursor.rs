//! What a stream has sent, as a rule with no I/O.
//!
//! Event ids and times are made before their transaction commits, so an
//! event can become visible after a later one was already sent. A stream
//! therefore reads again from a `horizon` some seconds back and skips the ids
//! it has sent since then. The horizon moves up to "the start of the last
//! complete read, minus the window": whatever was not visible then was made
//! after that instant minus the longest transaction, which the window covers.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Cursor {
    horizon: DateTime<Utc>,
    window: Duration,
    /// Sent ids with their times, for those at or after the horizon.
    sent: HashMap<Uuid, DateTime<Utc>>,
}

impl Cursor {
    /// A stream that starts now: reads from `now - window` (the caller first
    /// marks what is already visible as sent, see [`Cursor::mark`]).
    pub fn starting(now: DateTime<Utc>, window: Duration) -> Self {
        Cursor {
            horizon: now - window,
            window,
            sent: HashMap::new(),
        }
    }

    /// A stream resuming after event `id` made at `at`: everything from
    /// `at - window` is sent again except `id` itself (at least once; the
    /// client drops ids it has).
    pub fn resuming(id: Uuid, at: DateTime<Utc>, window: Duration) -> Self {
        let mut c = Cursor {
            horizon: at - window,
            window,
            sent: HashMap::new(),
        };
        c.sent.insert(id, at);
        c
    }

    /// Reads start at this instant (inclusive).
    pub fn horizon(&self) -> DateTime<Utc> {
        self.horizon
    }

    pub fn is_new(&self, id: Uuid) -> bool {
        !self.sent.contains_key(&id)
    }

    /// Records `id` as sent.
    pub fn mark(&mut self, id: Uuid, at: DateTime<Utc>) {
        if at >= self.horizon {
            self.sent.insert(id, at);
        }
    }

    /// After a read that started at `started` and reached the end of the
    /// table: nothing older than `started - window` can still appear.
    pub fn advance(&mut self, started: DateTime<Utc>) {
        let to = started - self.window;
        if to > self.horizon {
            self.horizon = to;
            let h = self.horizon;
            self.sent.retain(|_, at| *at >= h);
        }
    }

    /// How many ids are remembered (bounded by the events in one window).
    pub fn remembered(&self) -> usize {
        self.sent.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap_or_default()
    }

    #[test]
    fn a_resume_reads_from_the_window_before_and_skips_the_last_id() {
        let last = Uuid::now_v7();
        let c = Cursor::resuming(last, t(100), Duration::seconds(30));
        assert_eq!(c.horizon(), t(70));
        assert!(!c.is_new(last));
        assert!(c.is_new(Uuid::now_v7()));
    }

    #[test]
    fn advancing_forgets_only_what_cannot_come_back() {
        let mut c = Cursor::starting(t(0), Duration::seconds(10));
        assert_eq!(c.horizon(), t(-10));
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        c.mark(a, t(1));
        c.mark(b, t(20));
        c.advance(t(25));
        assert_eq!(c.horizon(), t(15));
        assert!(
            c.is_new(a),
            "older than the horizon: forgotten, never read again"
        );
        assert!(!c.is_new(b));
        assert_eq!(c.remembered(), 1);
        // The horizon never moves back.
        c.advance(t(5));
        assert_eq!(c.horizon(), t(15));
    }

    #[test]
    fn ids_before_the_horizon_are_not_remembered() {
        let mut c = Cursor::starting(t(100), Duration::seconds(10));
        c.mark(Uuid::now_v7(), t(50));
        assert_eq!(c.remembered(), 0);
    }
}
