//! Deadlines, counted in the city's working hours (`domain.md`, Lifecycle):
//! the acknowledgement deadline from filing, the handling deadline from the
//! first assignment.

use chrono::{DateTime, Duration, Utc};

use crate::calendar::WorkCalendar;

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
