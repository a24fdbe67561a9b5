//! Closed sets, mapped to their text columns. Reading a value outside the
//! set is an error, and so writing one is impossible: the database keeps its
//! CHECK constraints as the second line.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Declares a closed set with each value spelled once: the column value, the
/// JSON value and `as_str`/`parse` all come from the same literal.
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        pub enum $ty:ident { $($(#[$vmeta:meta])* $variant:ident = $value:tt),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum,
            Serialize, Deserialize, utoipa::ToSchema,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        pub enum $ty {
            $($(#[$vmeta])* #[sea_orm(string_value = $value)] #[serde(rename = $value)] $variant),+
        }

        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The value stored in the column and used in the API.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $value),+ }
            }

            /// The variant stored as `s`, or `None`.
            pub fn parse(s: &str) -> Option<$ty> {
                match s { $($value => Some($ty::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

closed_set! {
    /// A report's status (`domain.md`, Lifecycle).
    pub enum Status {
        Submitted = "submitted",
        Assigned = "assigned",
        InProgress = "in_progress",
        Resolved = "resolved",
        Closed = "closed",
        Rejected = "rejected",
        Duplicate = "duplicate",
    }
}

impl Status {
    /// The statuses counted as open (Open311 `open`).
    pub const OPEN: [Status; 3] = [Status::Submitted, Status::Assigned, Status::InProgress];

    /// Open311 `open`: not yet handled.
    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }

    /// Counted as handled by the statistics.
    pub fn is_handled(self) -> bool {
        matches!(self, Status::Resolved | Status::Closed | Status::Rejected)
    }
}

closed_set! {
    /// The four roles of `domain.md`.
    pub enum Role {
        Citizen = "citizen",
        Officer = "officer",
        Coordinator = "coordinator",
        Admin = "admin",
    }
}

impl Role {
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Citizen)
    }
}

closed_set! {
    /// A report's priority: urgent reports get a shorter handling deadline.
    #[derive(Default)]
    pub enum Priority {
        #[default]
        Normal = "normal",
        Urgent = "urgent",
    }
}

closed_set! {
    // The language of a person's notifications and of an answer.
    #[derive(Default)]
    pub enum Locale {
        #[default]
        Vi = "vi",
        En = "en",
    }
}

closed_set! {
    /// The kind of a timeline event (`report_events.kind`).
    pub enum EventKind {
        Created = "created",
        Accepted = "accepted",
        Assigned = "assigned",
        Started = "started",
        Resolved = "resolved",
        Rejected = "rejected",
        MarkedDuplicate = "marked_duplicate",
        Reopened = "reopened",
        Closed = "closed",
        Extended = "extended",
        Recategorized = "recategorized",
        Comment = "comment",
        Note = "note",
        Rated = "rated",
        DeadlineNear = "deadline_near",
        Escalated = "escalated",
    }
}

impl EventKind {
    /// Staff-only: never shown to citizens or the public.
    pub fn is_internal(self) -> bool {
        matches!(self, EventKind::Note)
    }

    /// Reminders the system sends staff (a deadline near, an overdue report
    /// escalated): on the staff side only, never in a citizen's or the
    /// public's timeline.
    pub fn is_staff_reminder(self) -> bool {
        matches!(self, EventKind::DeadlineNear | EventKind::Escalated)
    }
}

closed_set! {
    /// The kind of an organisational unit; the tree does not hard-code levels.
    pub enum UnitKind {
        City = "city",
        Department = "department",
        District = "district",
        Ward = "ward",
        Commune = "commune",
        Other = "other",
    }
}

closed_set! {
    /// The kind of device a push token belongs to.
    pub enum Platform {
        Android = "android",
        Ios = "ios",
        Web = "web",
    }
}

closed_set! {
    /// Where an outbox row stands in its delivery.
    #[derive(Default)]
    pub enum DeliveryStatus {
        #[default]
        Pending = "pending",
        Delivered = "delivered",
        Failed = "failed",
    }
}

closed_set! {
    /// How statistics are grouped (`stats_snapshots.group_by`, the API's
    /// `group_by`): the whole filter, or by unit (each with its subtree),
    /// category or area.
    #[derive(Default)]
    pub enum GroupBy {
        #[default]
        None = "none",
        Unit = "unit",
        Category = "category",
        Area = "area",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip<T: ActiveEnum<Value = String> + Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        as_str: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
    ) {
        for v in all {
            assert_eq!(as_str(*v), v.to_value(), "{v:?}");
            assert_eq!(parse(as_str(*v)), Some(*v));
            assert_eq!(
                serde_json::to_value(as_str(*v)).ok(),
                serde_json::to_value(v.to_value()).ok()
            );
        }
        assert_eq!(parse("no-such-value"), None);
    }

    #[test]
    fn every_closed_set_roundtrips() {
        roundtrip(Status::ALL, Status::as_str, Status::parse);
        roundtrip(Role::ALL, Role::as_str, Role::parse);
        roundtrip(Priority::ALL, Priority::as_str, Priority::parse);
        roundtrip(Locale::ALL, Locale::as_str, Locale::parse);
        roundtrip(EventKind::ALL, EventKind::as_str, EventKind::parse);
        roundtrip(UnitKind::ALL, UnitKind::as_str, UnitKind::parse);
        roundtrip(
            DeliveryStatus::ALL,
            DeliveryStatus::as_str,
            DeliveryStatus::parse,
        );
        roundtrip(GroupBy::ALL, GroupBy::as_str, GroupBy::parse);
        assert_eq!(Status::InProgress.as_str(), "in_progress");
        assert_eq!(EventKind::MarkedDuplicate.as_str(), "marked_duplicate");
    }

    #[test]
    fn serde_names_match_the_columns() {
        for s in Status::ALL {
            assert_eq!(serde_json::to_value(s).ok(), Some(s.as_str().into()));
        }
        for r in Role::ALL {
            assert_eq!(serde_json::to_value(r).ok(), Some(r.as_str().into()));
        }
        for k in EventKind::ALL {
            assert_eq!(serde_json::to_value(k).ok(), Some(k.as_str().into()));
        }
        for l in Locale::ALL {
            assert_eq!(serde_json::to_value(l).ok(), Some(l.as_str().into()));
        }
    }
}
