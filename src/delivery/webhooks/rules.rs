//! Webhook rules: the event types, which endpoint hears which event, what a
//! target URL must look like, when a failing endpoint is given up. Pure.

use chrono::{DateTime, Duration, Utc};
use url::Url;

use crate::domain::EventKind;

/// An endpoint that failed every attempt for this long is set inactive.
pub const GIVE_UP_AFTER_DAYS: i64 = 5;

/// `report.<kind>` of an event kind.
pub fn event_type(kind: EventKind) -> String {
    format!("report.{}", kind.as_str())
}

/// Every event type a webhook may subscribe to: every kind but internal
/// notes (those reach the staff stream only).
pub fn webhook_event_types() -> Vec<String> {
    EventKind::ALL
        .iter()
        .filter(|k| !k.is_internal())
        .map(|k| event_type(*k))
        .collect()
}

/// Whether `t` names a subscribable type (or `*`, all of them).
pub fn is_known_event_type(t: &str) -> bool {
    t == "*" || webhook_event_types().iter().any(|k| k == t)
}

/// Whether an endpoint subscribed to `events` hears of `kind`.
pub fn subscribed(events: &[String], kind: EventKind) -> bool {
    if kind.is_internal() {
        return false;
    }
    let t = event_type(kind);
    events.iter().any(|e| e == "*" || *e == t)
}

/// A target URL: absolute, `http` or `https`, with a host. (Where the host
/// points is checked separately, at registration and at every delivery.)
pub fn parse_target(raw: &str) -> Option<Url> {
    let url = Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    // Credentials in the URL would be sent to wherever it points.
    if !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    Some(url)
}

/// After a failed attempt: when the endpoint started failing (kept, or now),
/// and whether it has failed long enough to be set inactive.
pub fn after_failure(
    failing_since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, bool) {
    let since = failing_since.unwrap_or(now);
    (since, now - since >= Duration::days(GIVE_UP_AFTER_DAYS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_but_notes_is_a_webhook_event() {
        let types = webhook_event_types();
        assert_eq!(types.len(), EventKind::ALL.len() - 1);
        assert!(types.contains(&"report.created".to_owned()));
        assert!(types.contains(&"report.marked_duplicate".to_owned()));
        assert!(!types.contains(&"report.note".to_owned()));
        assert!(is_known_event_type("*"));
        assert!(is_known_event_type("report.resolved"));
        assert!(!is_known_event_type("report.note"));
        assert!(!is_known_event_type("report.exploded"));
        assert!(!is_known_event_type("resolved"));
    }

    #[test]
    fn subscriptions_match_by_type_or_star() {
        let all = vec!["*".to_owned()];
        let some = vec!["report.created".to_owned(), "report.resolved".to_owned()];
        for &k in EventKind::ALL {
            assert_eq!(subscribed(&all, k), !k.is_internal(), "{k:?}");
        }
        assert!(subscribed(&some, EventKind::Created));
        assert!(!subscribed(&some, EventKind::Assigned));
        assert!(!subscribed(&[], EventKind::Created));
    }

    #[test]
    fn targets_are_absolute_http_urls() {
        assert!(parse_target("https://hooks.example.com/in").is_some());
        assert!(parse_target("http://localhost:8080/x").is_some());
        for bad in [
            "ftp://example.com/x",
            "/relative/path",
            "example.com/x",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://user:pw@example.com/",
            "",
        ] {
            assert!(parse_target(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn five_days_of_failure_gives_up() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(after_failure(None, t0), (t0, false));
        let later = t0 + Duration::days(4);
        assert_eq!(after_failure(Some(t0), later), (t0, false));
        let five = t0 + Duration::days(5);
        assert_eq!(after_failure(Some(t0), five), (t0, true));
    }
}
