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
        EventKind::Comment => Audience::Reporter,
        _ => Audience::ReporterAndFollowers,
    }
}

/// The line an inbox (or a phone) shows for an event on report `code`.
pub fn title(kind: EventKind, code: &str, l: Locale) -> String {
    let (vi, en) = match kind {
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
        assert_eq!(
            title(EventKind::Resolved, "PA-7K3M9Q", Locale::Vi),
            "Phản ánh PA-7K3M9Q đã được xử lý xong."
        );
    }
}
