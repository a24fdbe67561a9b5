//! The report lifecycle: one pure function decides every staff action
//! (status × action × role × scope → new status or a named error), and the
//! citizen's own moves (rate, reopen) are decided here too.
//!
//! ```text
//!             accept/route           start            resolve
//! submitted ───────────────▶ assigned ─────▶ in_progress ─────▶ resolved ──(rate / 7 days)──▶ closed
//!     │                         │  ▲              │                 │
//!     │ reject                  │  └──reassign────┘                 │ reopen (coordinator, or the
//!     ▼                         ▼                                   ▼  citizen within 7 days, rating ≤ 2)
//!  rejected               rejected / duplicate                  in_progress
//!     │
//!     └──reopen (coordinator)──▶ assigned
//! ```

use chrono::{DateTime, Duration, Utc};

pub use crate::domain::Status;
use crate::domain::{EventKind, Role};

/// What staff can do to a report (`POST /staff/reports/{id}/actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Accept,
    Assign,
    Start,
    Resolve,
    Reject,
    MarkDuplicate,
    Recategorize,
    Reopen,
    Close,
    Extend,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::Accept,
        Action::Assign,
        Action::Start,
        Action::Resolve,
        Action::Reject,
        Action::MarkDuplicate,
        Action::Recategorize,
        Action::Reopen,
        Action::Close,
        Action::Extend,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Assign => "assign",
            Action::Start => "start",
            Action::Resolve => "resolve",
            Action::Reject => "reject",
            Action::MarkDuplicate => "mark_duplicate",
            Action::Recategorize => "recategorize",
            Action::Reopen => "reopen",
            Action::Close => "close",
            Action::Extend => "extend",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The event kind the action appends.
    pub fn event_kind(self) -> EventKind {
        match self {
            Action::Accept => EventKind::Accepted,
            Action::Assign => EventKind::Assigned,
            Action::Start => EventKind::Started,
            Action::Resolve => EventKind::Resolved,
            Action::Reject => EventKind::Rejected,
            Action::MarkDuplicate => EventKind::MarkedDuplicate,
            Action::Recategorize => EventKind::Recategorized,
            Action::Reopen => EventKind::Reopened,
            Action::Close => EventKind::Closed,
            Action::Extend => EventKind::Extended,
        }
    }

    /// Triage actions belong to coordinators (and admins); officers work the
    /// reports they were given.
    fn roles(self) -> &'static [Role] {
        const ALL_STAFF: &[Role] = &[Role::Officer, Role::Coordinator, Role::Admin];
        const TRIAGE: &[Role] = &[Role::Coordinator, Role::Admin];
        match self {
            Action::Start | Action::Resolve => ALL_STAFF,
            _ => TRIAGE,
        }
    }

    /// The statuses the action may start from.
    fn from(self) -> &'static [Status] {
        use Status::*;
        match self {
            Action::Accept => &[Submitted],
            Action::Assign => &[Submitted, Assigned, InProgress],
            Action::Start => &[Assigned],
            Action::Resolve => &[Assigned, InProgress],
            Action::Reject => &[Submitted, Assigned, InProgress],
            Action::MarkDuplicate => &[Submitted, Assigned, InProgress],
            Action::Recategorize => &[Submitted, Assigned, InProgress],
            Action::Reopen => &[Resolved, Closed, Rejected],
            Action::Close => &[Resolved],
            Action::Extend => &[Assigned, InProgress],
        }
    }

    /// `resolve` and `reject` answer the citizen in public.
    pub fn needs_public_message(self) -> bool {
        matches!(self, Action::Resolve | Action::Reject)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionError {
    /// Not the caller's report: answered as 404 so ids cannot be probed.
    OutOfScope,
    /// The caller's role may not do this (403).
    RoleNotAllowed,
    /// Not from this status (409).
    InvalidFromStatus,
}

/// The whole lifecycle table. `Ok` is the status after the action.
pub fn transition(
    status: Status,
    action: Action,
    role: Role,
    in_scope: bool,
) -> Result<Status, TransitionError> {
    if !in_scope || role == Role::Citizen {
        return Err(TransitionError::OutOfScope);
    }
    if !action.roles().contains(&role) {
        return Err(TransitionError::RoleNotAllowed);
    }
    if !action.from().contains(&status) {
        return Err(TransitionError::InvalidFromStatus);
    }
    Ok(match action {
        Action::Accept | Action::Assign => Status::Assigned,
        Action::Start => Status::InProgress,
        // A coordinator's second look at a rejection hands it out again;
        // handled work that was not good enough goes back to the unit.
        Action::Reopen if status == Status::Rejected => Status::Assigned,
        Action::Reopen => Status::InProgress,
        Action::Resolve => Status::Resolved,
        Action::Reject => Status::Rejected,
        Action::MarkDuplicate => Status::Duplicate,
        Action::Close => Status::Closed,
        Action::Recategorize | Action::Extend => status,
    })
}

/// The actions `role` may send now on a report in `status` in their scope:
/// what a console offers (`allowed_actions`), from the same table.
pub fn allowed_actions(status: Status, role: Role) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| transition(status, *a, role, true).is_ok())
        .collect()
}

/// How long after resolution the citizen may reopen a poorly rated report,
/// and after which a resolved report closes by itself.
pub const CITIZEN_REOPEN_WINDOW_DAYS: i64 = 7;
pub const AUTO_CLOSE_DAYS: i64 = 7;
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
    use Status::*;

    #[test]
    fn statuses_and_actions_roundtrip() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(Action::parse("delete"), None);
    }

    /// The expected table, written out by hand: (action, from) → to, for a
    /// coordinator in scope. Everything not listed is InvalidFromStatus.
    fn expected(action: Action, from: Status) -> Option<Status> {
        use Action::*;
        match (action, from) {
            (Accept, Submitted) => Some(Assigned),
            (Assign, Submitted | Assigned | InProgress) => Some(Assigned),
            (Start, Assigned) => Some(InProgress),
            (Resolve, Assigned | InProgress) => Some(Resolved),
            (Reject, Submitted | Assigned | InProgress) => Some(Rejected),
            (MarkDuplicate, Submitted | Assigned | InProgress) => Some(Duplicate),
            (Recategorize, s @ (Submitted | Assigned | InProgress)) => Some(s),
            (Reopen, Rejected) => Some(Assigned),
            (Reopen, Resolved | Closed) => Some(InProgress),
            (Close, Resolved) => Some(Closed),
            (Extend, s @ (Assigned | InProgress)) => Some(s),
            _ => None,
        }
    }

    #[test]
    fn the_whole_table() {
        let mut checked = 0;
        for &status in Status::ALL {
            for action in Action::ALL {
                for &role in Role::ALL {
                    for in_scope in [true, false] {
                        let got = transition(status, action, role, in_scope);
                        let want = if !in_scope || role == Role::Citizen {
                            Err(TransitionError::OutOfScope)
                        } else if role == Role::Officer
                            && !matches!(action, Action::Start | Action::Resolve)
                        {
                            Err(TransitionError::RoleNotAllowed)
                        } else {
                            expected(action, status).ok_or(TransitionError::InvalidFromStatus)
                        };
                        assert_eq!(
                            got, want,
                            "{status:?} {action:?} {role:?} in_scope={in_scope}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 7 * 10 * 4 * 2);
    }

    /// What a console is offered is exactly what the table accepts, for
    /// every status and role, in `Action::ALL`'s order.
    #[test]
    fn allowed_actions_are_the_table() {
        for &status in Status::ALL {
            for &role in Role::ALL {
                let offered = allowed_actions(status, role);
                let accepted: Vec<Action> = Action::ALL
                    .into_iter()
                    .filter(|a| transition(status, *a, role, true).is_ok())
                    .collect();
                assert_eq!(offered, accepted, "{status:?} {role:?}");
                if role == Role::Citizen || matches!(status, Duplicate) {
                    assert!(offered.is_empty(), "{status:?} {role:?}");
                }
            }
        }
        use Action::*;
        assert_eq!(
            allowed_actions(Submitted, Role::Coordinator),
            [Accept, Assign, Reject, MarkDuplicate, Recategorize]
        );
        assert_eq!(allowed_actions(Assigned, Role::Officer), [Start, Resolve]);
        assert_eq!(allowed_actions(InProgress, Role::Officer), [Resolve]);
        assert_eq!(allowed_actions(Resolved, Role::Admin), [Reopen, Close]);
        assert_eq!(allowed_actions(Resolved, Role::Officer), []);
    }

    #[test]
    fn terminal_states_only_reopen() {
        for role in [Role::Coordinator, Role::Admin] {
            for action in Action::ALL {
                let r = transition(Duplicate, action, role, true);
                assert_eq!(r, Err(TransitionError::InvalidFromStatus), "{action:?}");
            }
        }
    }

    #[test]
    fn rating_rules() {
        for &s in Status::ALL {
            for score in 1..=5 {
                let r = after_rating(s, false, score);
                if s == Resolved {
                    assert_eq!(r, Ok((score >= 3).then_some(Closed)));
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
        assert!(ok(Resolved, Some(1), t + Duration::days(7)));
        assert!(ok(Resolved, Some(2), t));
        assert!(!ok(Resolved, Some(3), t));
        assert!(!ok(Resolved, None, t));
        assert!(!ok(
            Resolved,
            Some(1),
            t + Duration::days(7) + Duration::seconds(1)
        ));
        assert!(!ok(Closed, Some(1), t));
        assert!(!citizen_may_reopen(Resolved, Some(1), None, t));
    }
}
