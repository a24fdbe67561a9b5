//! Report statuses. The full transition table (status × action × role) comes
//! with staff triage; what citizens do (rate, reopen) is decided here.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Submitted,
    Assigned,
    InProgress,
    Resolved,
    Closed,
    Rejected,
    Duplicate,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Submitted,
        Status::Assigned,
        Status::InProgress,
        Status::Resolved,
        Status::Closed,
        Status::Rejected,
        Status::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Assigned => "assigned",
            Status::InProgress => "in_progress",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Rejected => "rejected",
            Status::Duplicate => "duplicate",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Open311 `open`: not yet handled.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Submitted | Status::Assigned | Status::InProgress
        )
    }
}

/// How long after resolution the citizen may reopen a poorly rated report.
pub const CITIZEN_REOPEN_WINDOW_DAYS: i64 = 7;
/// Ratings at or below this let the citizen reopen; above it, rating closes.
pub const REOPEN_MAX_RATING: i16 = 2;

/// A rating that is not allowed: the report is not resolved, or is rated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotRatable;

/// What a rating does: `Some(Closed)` when it closes the report.
pub fn after_rating(
    status: Status,
    already_rated: bool,
    score: i16,
) -> Result<Option<Status>, NotRatable> {
    if status != Status::Resolved || already_rated {
        return Err(NotRatable);
    }
    Ok((score > REOPEN_MAX_RATING).then_some(Status::Closed))
}

/// Whether the reporter may reopen now.
pub fn citizen_may_reopen(
    status: Status,
    rating: Option<i16>,
    resolved_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    status == Status::Resolved
        && rating.is_some_and(|r| r <= REOPEN_MAX_RATING)
        && resolved_at.is_some_and(|t| now <= t + Duration::days(CITIZEN_REOPEN_WINDOW_DAYS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_roundtrip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("open"), None);
    }

    #[test]
    fn rating_rules() {
        for s in Status::ALL {
            for score in 1..=5 {
                let r = after_rating(s, false, score);
                if s == Status::Resolved {
                    assert_eq!(r, Ok((score >= 3).then_some(Status::Closed)));
                } else {
                    assert_eq!(r, Err(NotRatable));
                }
                assert_eq!(after_rating(s, true, score), Err(NotRatable));
            }
        }
    }

    #[test]
    fn reopen_window() {
        let t = Utc::now();
        let ok = |status, rating, now| citizen_may_reopen(status, rating, Some(t), now);
        assert!(ok(Status::Resolved, Some(1), t + Duration::days(7)));
        assert!(ok(Status::Resolved, Some(2), t));
        assert!(!ok(Status::Resolved, Some(3), t));
        assert!(!ok(Status::Resolved, None, t));
        assert!(!ok(
            Status::Resolved,
            Some(1),
            t + Duration::days(7) + Duration::seconds(1)
        ));
        assert!(!ok(Status::Closed, Some(1), t));
        assert!(!citizen_may_reopen(Status::Resolved, Some(1), None, t));
    }
}
