//! Deadlines, counted in the city's working hours (`domain.md`, Lifecycle):
//! the acknowledgement deadline from filing, the handling deadline from the
//! first assignment.

use chrono::{DateTime, Duration, Utc};

use crate::calendar::WorkCalendar;
use crate::messages::Msg;

/// Whether `new` may replace the handling deadline `current`: later than it
/// and than now, and at most `max_ahead` from now (a date years away would
/// make the report never overdue).
pub fn check_extension(
    now: DateTime<Utc>,
    current: Option<DateTime<Utc>>,
    new: DateTime<Utc>,
    max_ahead: Duration,
) -> Result<(), Msg> {
    if current.is_some_and(|d| new <= d) || new <= now {
        return Err(Msg::DueAtMustBeLater);
    }
    if new > now + max_ahead {
        return Err(Msg::DueAtTooFar {
            days: max_ahead.num_days().max(0) as u64,
        });
    }
    Ok(())
}

/// When a report must be accepted or routed: the category's `ack_hours` of
/// working time after filing.
pub fn ack_deadline(cal: &WorkCalendar, filed: DateTime<Utc>, ack_hours: i32) -> DateTime<Utc> {
    cal.add_working_hours(filed, u32::try_from(ack_hours).unwrap_or(0))
        .unwrap_or(filed + Duration::hours(i64::from(ack_hours)))
}

/// The handling deadline from `now`: the category's hours of working time, a
/// quarter of them (at least one) for urgent reports.
pub fn handling_deadline(
    cal: &WorkCalendar,
    now: DateTime<Utc>,
    sla_hours: i32,
    urgent: bool,
) -> DateTime<Utc> {
    let hours = Ord::max(u32::try_from(sla_hours).unwrap_or(1), 1);
    let hours = if urgent {
        Ord::max(hours / 4, 1)
    } else {
        hours
    };
    cal.add_working_hours(now, hours)
        .unwrap_or(now + Duration::hours(i64::from(hours)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handling_deadlines_count_working_hours_and_a_quarter_when_urgent() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let cal = WorkCalendar::standard(tz);
        // Monday 2025-11-03 09:00 local.
        let mon = DateTime::parse_from_rfc3339("2025-11-03T02:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default()
        };
        // 8 h: Monday 09:00–12:00, 13:30–17:30 (7 h), Tuesday 08:00–09:00.
        assert_eq!(
            handling_deadline(&cal, mon, 8, false),
            at("2025-11-04T02:00:00Z")
        );
        // Urgent: a quarter, 2 h → Monday 11:00.
        assert_eq!(
            handling_deadline(&cal, mon, 8, true),
            at("2025-11-03T04:00:00Z")
        );
        // At least one hour, also for nonsense hours.
        for hours in [0, -5, 1, 3] {
            assert_eq!(
                handling_deadline(&cal, mon, hours, true),
                at("2025-11-03T03:00:00Z"),
                "{hours}"
            );
        }
        assert_eq!(
            handling_deadline(&cal, mon, 0, false),
            at("2025-11-03T03:00:00Z")
        );
        // Urgent is never later than normal.
        for hours in [1, 4, 16, 40, 80] {
            assert!(
                handling_deadline(&cal, mon, hours, true)
                    <= handling_deadline(&cal, mon, hours, false)
            );
        }
    }

    #[test]
    fn extensions_are_later_and_within_bounds() {
        let now = DateTime::parse_from_rfc3339("2026-05-04T03:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let year = Duration::days(365);
        let cur = Some(now + Duration::days(2));
        assert_eq!(
            check_extension(now, cur, now + Duration::days(3), year),
            Ok(())
        );
        assert_eq!(
            check_extension(now, None, now + Duration::hours(1), year),
            Ok(())
        );
        assert_eq!(check_extension(now, cur, now + year, year), Ok(()));
        for (new, err) in [
            (now + Duration::days(2), Msg::DueAtMustBeLater),
            (now + Duration::days(1), Msg::DueAtMustBeLater),
            (now, Msg::DueAtMustBeLater),
            (
                now + year + Duration::seconds(1),
                Msg::DueAtTooFar { days: 365 },
            ),
        ] {
            assert_eq!(check_extension(now, cur, new, year), Err(err), "{new}");
        }
        assert_eq!(
            check_extension(now, None, now - Duration::hours(1), year),
            Err(Msg::DueAtMustBeLater)
        );
    }
}
