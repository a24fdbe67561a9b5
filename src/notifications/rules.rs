//! Who hears of what, and what they read: pure rules, tested alone.

use crate::domain::{EventKind, Locale};
use crate::entities::{report_events, reports};

/// Who besides the reporter hears of an event of this kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Nobody: internal notes, the filing itself, a rating.
    Nobody,
    /// The reporter only (a reply in the conversation).
    Reporter,
    /// The reporter and everyone following the report.
    ReporterAndFollowers,
}

/// The message a notification may carry: what staff wrote with the event.
/// What the reporter wrote (a reopen reason, a rating comment) is between them
/// and the city, never shown to followers (api.md, Conventions).
pub fn shown_message(report: &reports::Model, event: &report_events::Model) -> Option<String> {
    let by_reporter = event.actor_id.is_some() && event.actor_id == report.reporter_id;
    if by_reporter {
        None
    } else {
        event.public_message.clone()
    }
}

/// The reporter hears of everything public that staff or the system did;
/// followers of status changes too. Never the actor (see `fan_out`).
pub fn audience(kind: EventKind) -> Audience {
    match kind {
        EventKind::Note | EventKind::Created | EventKind::Rated => Audience::Nobody,
        k if k.is_staff_reminder() => Audience::Nobody,
        EventKind::Comment => Audience::Reporter,
        _ => Audience::ReporterAndFollowers,
    }
}

/// Which staff hear of an event: work coming to them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StaffAudience {
    /// The coordinators of the unit the report is at now: a new report
    /// routed to their unit, or one moved to it.
    pub unit_coordinators: bool,
    /// The officer the report was just assigned to (or is assigned to, for
    /// a deadline reminder).
    pub assignee: bool,
    /// The coordinators of the unit above the report's: an overdue report
    /// is escalated to them.
    pub parent_coordinators: bool,
}

/// A new report reaches the coordinators of the unit it was routed to (the
/// root's, while unrouted); an acceptance, assignment or recategorization
/// that moves it to a unit (`data.unit_id`) reaches that unit's
/// coordinators; one that names an officer (`data.assignee_id`) reaches the
/// officer. A deadline drawing near reaches the assignee and the unit's
/// coordinators; an overdue report goes up to the parent unit's coordinators.
pub fn staff_audience(kind: EventKind, data: Option<&serde_json::Value>) -> StaffAudience {
    let names = |key: &str| data.is_some_and(|d| d.get(key).is_some_and(|v| !v.is_null()));
    match kind {
        EventKind::Created => StaffAudience {
            unit_coordinators: true,
            ..StaffAudience::default()
        },
        EventKind::Accepted | EventKind::Assigned | EventKind::Recategorized => StaffAudience {
            unit_coordinators: names("unit_id"),
            assignee: kind != EventKind::Recategorized && names("assignee_id"),
            parent_coordinators: false,
        },
        EventKind::DeadlineNear => StaffAudience {
            unit_coordinators: true,
            assignee: true,
            parent_coordinators: false,
        },
        EventKind::Escalated => StaffAudience {
            parent_coordinators: true,
            ..StaffAudience::default()
        },
        _ => StaffAudience::default(),
    }
}

/// The line an inbox (or a phone) shows for an event on report `code`.
pub fn title(kind: EventKind, code: &str, l: Locale) -> String {
    let (vi, en) = match kind {
        EventKind::Created => ("mới được gửi đến", "was filed"),
        EventKind::Accepted | EventKind::Assigned => (
            "đã được tiếp nhận và chuyển xử lý",
            "was accepted and assigned",
        ),
        EventKind::Started => ("đang được xử lý", "is being handled"),
        EventKind::Resolved => ("đã được xử lý xong", "was resolved"),
        EventKind::Rejected => ("đã bị từ chối", "was rejected"),
        EventKind::MarkedDuplicate => (
            "được gộp với một phản ánh trùng",
            "was merged with a duplicate",
        ),
        EventKind::Reopened => ("đã được mở lại", "was reopened"),
        EventKind::Closed => ("đã đóng", "was closed"),
        EventKind::Extended => ("được gia hạn xử lý", "had its deadline extended"),
        EventKind::Recategorized => ("được chuyển lĩnh vực", "was moved to another category"),
        EventKind::Comment => ("có trả lời mới", "has a new reply"),
        EventKind::DeadlineNear => ("sắp đến hạn xử lý", "is due soon"),
        EventKind::Escalated => (
            "đã quá hạn, được báo lên đơn vị cấp trên",
            "is overdue and was escalated to the unit above",
        ),
        _ => ("có cập nhật", "was updated"),
    };
    match l {
        Locale::Vi => format!("Phản ánh {code} {vi}."),
        Locale::En => format!("Report {code} {en}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_an_audience_and_a_title() {
        for &k in EventKind::ALL {
            let a = audience(k);
            if k.is_internal() {
                assert_eq!(a, Audience::Nobody, "{k:?}");
            }
            for l in [Locale::Vi, Locale::En] {
                assert!(title(k, "PA-1", l).contains("PA-1"), "{k:?}");
            }
        }
        assert_eq!(
            audience(EventKind::Resolved),
            Audience::ReporterAndFollowers
        );
        assert_eq!(audience(EventKind::Comment), Audience::Reporter);
        for &k in EventKind::ALL {
            let none = staff_audience(k, None);
            assert_eq!(none.assignee, k == EventKind::DeadlineNear, "{k:?}");
            assert_eq!(
                none.unit_coordinators,
                matches!(k, EventKind::Created | EventKind::DeadlineNear),
                "{k:?}"
            );
            assert_eq!(none.parent_coordinators, k == EventKind::Escalated, "{k:?}");
            if k.is_staff_reminder() {
                assert_eq!(
                    audience(k),
                    Audience::Nobody,
                    "citizens never hear of {k:?}"
                );
            }
        }
        let routed = serde_json::json!({"unit_id": "u", "assignee_id": "a"});
        assert_eq!(
            staff_audience(EventKind::Accepted, Some(&routed)),
            StaffAudience {
                unit_coordinators: true,
                assignee: true,
                parent_coordinators: false
            }
        );
        assert_eq!(
            staff_audience(EventKind::Recategorized, Some(&routed)),
            StaffAudience {
                unit_coordinators: true,
                assignee: false,
                parent_coordinators: false
            }
        );
        let same_unit = serde_json::json!({"assignee_id": "a"});
        assert_eq!(
            staff_audience(EventKind::Assigned, Some(&same_unit)),
            StaffAudience {
                unit_coordinators: false,
                assignee: true,
                parent_coordinators: false
            }
        );
        assert_eq!(
            staff_audience(EventKind::Extended, Some(&routed)),
            StaffAudience::default()
        );
        assert_eq!(
            title(EventKind::Resolved, "PA-7K3M9Q", Locale::Vi),
            "Phản ánh PA-7K3M9Q đã được xử lý xong."
        );
    }
}
