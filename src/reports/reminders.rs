//! Deadline reminders: the assignee and the unit's coordinators hear when an
//! acknowledgement or handling deadline is near (in working hours), and an
//! overdue report is escalated to the coordinators of the unit above, once.
//! Each is a staff-only event on the report (so it reaches inboxes, phones
//! and open consoles like any other) and a row in `report_reminders`, whose
//! key makes it go out once however many instances look.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use super::store::{NewEvent, append_event};
use crate::calendar::WorkCalendar;
use crate::context::Ctx;
use crate::db::begin_write;
use crate::domain::{EventKind, Status};
use crate::entities::{report_reminders, reports};
use crate::error::AppResult;

/// At most this many reminders of each kind per run; the next run goes on.
const BATCH: u64 = 200;

/// A reminder about to go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    /// The acknowledgement deadline is near.
    AckDue,
    /// The handling deadline is near.
    Due,
    /// The handling deadline passed: escalate.
    Overdue,
}

impl Reminder {
    fn key(self) -> &'static str {
        match self {
            Reminder::AckDue => "ack_due",
            Reminder::Due => "due",
            Reminder::Overdue => "overdue",
        }
    }

    fn event(self, deadline: DateTime<Utc>) -> NewEvent {
        let at = deadline.to_rfc3339();
        match self {
            Reminder::AckDue => NewEvent::new(EventKind::DeadlineNear, None)
                .data(json_map(json!({"deadline": "ack_due_at", "at": at}))),
            Reminder::Due => NewEvent::new(EventKind::DeadlineNear, None)
                .data(json_map(json!({"deadline": "due_at", "at": at}))),
            Reminder::Overdue => {
                NewEvent::new(EventKind::Escalated, None).data(json_map(json!({"due_at": at})))
            }
        }
    }
}

fn json_map(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// Which reminder a report is due, if any, at `now` with warnings
/// `horizon` ahead (the instant `warn_hours` working hours from now).
pub fn due_reminder(
    r: &reports::Model,
    now: DateTime<Utc>,
    horizon: DateTime<Utc>,
) -> Option<(Reminder, DateTime<Utc>)> {
    match r.status {
        Status::Submitted if r.ack_due_at > now && r.ack_due_at <= horizon => {
            Some((Reminder::AckDue, r.ack_due_at))
        }
        Status::Assigned | Status::InProgress => match r.due_at {
            Some(d) if d <= now => Some((Reminder::Overdue, d)),
            Some(d) if d <= horizon => Some((Reminder::Due, d)),
            _ => None,
        },
        _ => None,
    }
}

/// Sends the reminders due now; returns how many went out.
pub async fn run(ctx: Ctx<'_>, calendar: &WorkCalendar, warn_hours: u32) -> AppResult<usize> {
    let now = ctx.now;
    let horizon = calendar
        .add_working_hours(now, warn_hours)
        .unwrap_or(now + Duration::hours(i64::from(warn_hours)));
    let open = [Status::Assigned, Status::InProgress];
    let mut candidates = reports::Entity::find()
        .filter(reports::Column::Status.eq(Status::Submitted))
        .filter(reports::Column::AckDueAt.gt(now))
        .filter(reports::Column::AckDueAt.lte(horizon))
        .order_by_asc(reports::Column::AckDueAt)
        .limit(BATCH)
        .all(ctx.db)
        .await?;
    candidates.extend(
        reports::Entity::find()
            .filter(reports::Column::Status.is_in(open))
            .filter(reports::Column::DueAt.lte(horizon))
            .order_by_asc(reports::Column::DueAt)
            .limit(BATCH)
            .all(ctx.db)
            .await?,
    );
    let mut sent = 0;
    for candidate in candidates {
        let Some((reminder, deadline)) = due_reminder(&candidate, now, horizon) else {
            continue;
        };
        if send(ctx, &candidate, reminder, deadline).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Records the reminder and, if it was not sent before (by this or another
/// instance), appends its event and notifies, in one transaction.
async fn send(
    ctx: Ctx<'_>,
    candidate: &reports::Model,
    reminder: Reminder,
    deadline: DateTime<Utc>,
) -> AppResult<bool> {
    let txn = begin_write(ctx.db).await?;
    // Re-read inside the transaction: it may have moved on meanwhile.
    let Some(r) = reports::Entity::find_by_id(candidate.id).one(&txn).await? else {
        txn.rollback().await?;
        return Ok(false);
    };
    if due_reminder(&r, ctx.now, ctx.now.max(deadline)).map(|(k, _)| k) != Some(reminder) {
        txn.rollback().await?;
        return Ok(false);
    }
    let inserted = report_reminders::Entity::insert(report_reminders::ActiveModel {
        report_id: Set(r.id),
        kind: Set(reminder.key().to_owned()),
        deadline: Set(deadline),
        created_at: Set(ctx.now),
    })
    .on_conflict(
        OnConflict::columns([
            report_reminders::Column::ReportId,
            report_reminders::Column::Kind,
            report_reminders::Column::Deadline,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    let event = append_event(&txn, r.id, reminder.event(deadline), ctx.now).await?;
    crate::notifications::fan_out(&txn, &r, &event, ctx.now).await?;
    txn.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn report(status: Status, ack: DateTime<Utc>, due: Option<DateTime<Utc>>) -> reports::Model {
        reports::Model {
            status,
            ack_due_at: ack,
            due_at: due,
            ..crate::reports::fixtures::report(ack - Duration::hours(8))
        }
    }

    #[test]
    fn which_reminder_is_due() {
        let now = Utc
            .with_ymd_and_hms(2025, 11, 3, 3, 0, 0)
            .single()
            .unwrap_or_default();
        let horizon = now + Duration::hours(4);
        let soon = now + Duration::hours(2);
        let later = now + Duration::hours(20);
        let past = now - Duration::hours(1);
        use Status::*;
        let cases = [
            (
                report(Submitted, soon, None),
                Some((Reminder::AckDue, soon)),
            ),
            (report(Submitted, later, None), None),
            // A missed acknowledgement is no "near" deadline any more.
            (report(Submitted, past, None), None),
            (
                report(Assigned, past, Some(soon)),
                Some((Reminder::Due, soon)),
            ),
            (report(InProgress, past, Some(later)), None),
            (
                report(InProgress, past, Some(past)),
                Some((Reminder::Overdue, past)),
            ),
            (report(Assigned, past, None), None),
            (report(Resolved, soon, Some(past)), None),
            (report(Closed, soon, Some(soon)), None),
            (report(Rejected, soon, Some(past)), None),
            (report(Duplicate, soon, Some(past)), None),
        ];
        for (r, want) in cases {
            assert_eq!(due_reminder(&r, now, horizon), want, "{:?}", r.status);
        }
    }
}
