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
