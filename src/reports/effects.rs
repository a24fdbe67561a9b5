//! What each lifecycle move does to a report's fields: one pure function per
//! move (a staff action, the citizen's rating and reopening, the automatic
//! close). `lifecycle` decides whether a move is allowed and the status it
//! leads to; these functions write that status and the timestamps, deadlines
//! and ratings that go with it, and count the change in `version`.
//!
//! The services apply them inside their transactions (around them: the status
//! check, the event, the rollup, the notifications); the demo seed applies the
//! same functions to build its histories, so both write the same states.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::{ActiveValue::Set, IntoActiveModel};
use uuid::Uuid;

use super::deadlines::handling_deadline;
use super::lifecycle::{
    AUTO_CLOSE_DAYS, Action, NotRatable, Status, after_rating, citizen_may_reopen,
};
use crate::calendar::WorkCalendar;
use crate::domain::{Month, Priority};
use crate::entities::reports;

/// What a staff action needs besides the report, already checked by the
/// caller (the unit is in scope, the assignee belongs to it, the original is
/// a report the caller may see, the new deadline is later).
#[derive(Debug, Clone, Default)]
pub struct StaffInput {
    /// Who acts: `start` gives an unassigned report to them.
    pub actor: Uuid,
    /// accept/assign: the unit to handle it.
    pub unit_id: Option<Uuid>,
    /// accept/assign: an officer of that unit.
    pub assignee_id: Option<Uuid>,
    /// accept/assign: a new priority.
    pub priority: Option<Priority>,
    /// accept/assign: the category's handling hours, for the first deadline.
    pub sla_hours: i32,
    /// mark_duplicate: the original.
    pub duplicate_of: Option<Uuid>,
    /// recategorize: the new category and where routing sent it.
    pub recategorized: Option<Recategorized>,
    /// extend: the new deadline.
    pub due_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy)]
pub struct Recategorized {
    pub category_id: Uuid,
    /// The unit routing picked for the new category (`None`: the root queue).
    pub unit_id: Option<Uuid>,
    /// The public point under the new category's sensitivity.
    pub public_lat: f64,
    pub public_lng: f64,
}

/// A citizen move or the automatic close that is not allowed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAllowed;

/// A change staff act on: a new version (api.md, Conventions).
fn changed(r: &mut reports::Model, now: DateTime<Utc>) {
    r.updated_at = now;
    r.version += 1;
}

fn handled(r: &mut reports::Model, now: DateTime<Utc>, tz: Tz) {
    // The first entry into a handled status counts; reopening clears it.
    if r.handled_at.is_none() {
        r.handled_at = Some(now);
        r.handled_month = Some(Month::of(now, tz).yyyymm());
    }
}

/// Handling starts over: the next resolution is what counts, and is rated.
fn unhandled(r: &mut reports::Model) {
    r.handled_at = None;
    r.handled_month = None;
    r.resolved_at = None;
    r.closed_at = None;
    r.rating = None;
    r.rating_comment = None;
    r.rated_at = None;
}

/// A staff `action` that `lifecycle::transition` allowed, leading to `to`.
pub fn staff_action(
    r: &mut reports::Model,
    action: Action,
    to: Status,
    input: &StaffInput,
    cal: &WorkCalendar,
    now: DateTime<Utc>,
    tz: Tz,
) {
    match action {
        Action::Accept | Action::Assign => {
            let before = r.unit_id;
            if let Some(u) = input.unit_id {
                r.unit_id = Some(u);
            }
            if let Some(a) = input.assignee_id {
                r.assignee_id = Some(a);
            } else if r.unit_id != before {
                // A new unit picks its own officer.
                r.assignee_id = None;
            }
            if let Some(p) = input.priority {
                r.priority = p;
            }
            if r.due_at.is_none() {
                let urgent = r.priority == Priority::Urgent;
                r.due_at = Some(handling_deadline(cal, now, input.sla_hours, urgent));
            }
        }
        Action::Start => {
            if r.assignee_id.is_none() {
                r.assignee_id = Some(input.actor);
            }
        }
        Action::Resolve => {
            r.resolved_at = Some(now);
            handled(r, now, tz);
        }
        Action::Reject => handled(r, now, tz),
        Action::MarkDuplicate => r.duplicate_of = input.duplicate_of,
        Action::Recategorize => {
            if let Some(c) = input.recategorized {
                r.category_id = c.category_id;
                r.public_lat = c.public_lat;
                r.public_lng = c.public_lng;
                if c.unit_id != r.unit_id {
                    r.unit_id = c.unit_id;
                    r.assignee_id = None;
                }
            }
        }
        Action::Reopen => unhandled(r),
        Action::Close => r.closed_at = Some(now),
        Action::Extend => {
            if let Some(due) = input.due_at {
                r.due_at = Some(due);
            }
        }
    }
    r.status = to;
    changed(r, now);
}

/// The reporter rates the answer; `Ok(Some(Closed))` when the rating closed
/// the report (a second event, `closed`, goes with it).
pub fn rate(
    r: &mut reports::Model,
    score: i16,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<Status>, NotRatable> {
    let next = after_rating(r.status, r.rating.is_some(), score)?;
    r.rating = Some(score);
    r.rating_comment = comment;
    r.rated_at = Some(now);
    if let Some(Status::Closed) = next {
        r.status = Status::Closed;
        r.closed_at = Some(now);
        changed(r, now);
    } else {
        // A rating that leaves the status alone is not a change staff act
        // on: no new version (the write is still guarded, see
        // `store::update_if_unchanged`).
        r.updated_at = now;
    }
    Ok(next)
}

/// The reporter reopens a poorly rated report within the window: back to
/// `in_progress`.
pub fn citizen_reopen(r: &mut reports::Model, now: DateTime<Utc>) -> Result<(), NotAllowed> {
    if !citizen_may_reopen(r.status, r.rating, r.resolved_at, now) {
        return Err(NotAllowed);
    }
    unhandled(r);
    r.status = Status::InProgress;
    changed(r, now);
    Ok(())
}

/// Whether a report is due for the automatic close at `now`.
pub fn auto_close_due(r: &reports::Model, now: DateTime<Utc>) -> bool {
    r.status == Status::Resolved
        && r.resolved_at
            .is_some_and(|t| t <= now - Duration::days(AUTO_CLOSE_DAYS))
}

/// A resolved report nobody rated well or reopened closes by itself.
pub fn auto_close(r: &mut reports::Model, now: DateTime<Utc>) -> Result<(), NotAllowed> {
    if !auto_close_due(r, now) {
        return Err(NotAllowed);
    }
    r.status = Status::Closed;
    r.closed_at = Some(now);
    changed(r, now);
    Ok(())
}

/// The update that takes `before` to `after`: every field the moves above
/// may change is `Set` where it differs, the rest stays unchanged.
pub fn as_update(before: &reports::Model, after: &reports::Model) -> reports::ActiveModel {
    let mut m = before.clone().into_active_model();
    macro_rules! set_changed {
        ($($field:ident),+ $(,)?) => {
            $(if before.$field != after.$field {
                m.$field = Set(after.$field.clone());
            })+
        };
    }
    set_changed!(
        status,
        unit_id,
        assignee_id,
        category_id,
        public_lat,
        public_lng,
        priority,
        due_at,
        handled_at,
        handled_month,
        resolved_at,
        closed_at,
        rating,
        rating_comment,
        rated_at,
        duplicate_of,
        updated_at,
        version,
    );
    m
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use sea_orm::ActiveValue;

    use super::*;

    fn report(at: DateTime<Utc>) -> reports::Model {
        crate::reports::fixtures::report(at)
    }

    #[test]
    fn a_life_from_acceptance_to_reopening() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let cal = WorkCalendar::standard(tz);
        let t = Utc
            .with_ymd_and_hms(2025, 11, 3, 2, 0, 0)
            .single()
            .expect("t");
        let officer = Uuid::now_v7();
        let mut r = report(t);
        let accept = StaffInput {
            assignee_id: Some(officer),
            priority: Some(Priority::Urgent),
            sla_hours: 40,
            ..StaffInput::default()
        };
        staff_action(
            &mut r,
            Action::Accept,
            Status::Assigned,
            &accept,
            &cal,
            t,
            tz,
        );
        let due = handling_deadline(&cal, t, 40, true);
        assert_eq!(
            (r.status, r.due_at, r.assignee_id),
            (Status::Assigned, Some(due), Some(officer))
        );
        // A second assignment keeps the first deadline.
        let later = t + Duration::hours(1);
        staff_action(
            &mut r,
            Action::Assign,
            Status::Assigned,
            &accept,
            &cal,
            later,
            tz,
        );
        assert_eq!(r.due_at, Some(due));
        let done = t + Duration::hours(3);
        staff_action(
            &mut r,
            Action::Resolve,
            Status::Resolved,
            &StaffInput::default(),
            &cal,
            done,
            tz,
        );
        assert_eq!((r.handled_at, r.resolved_at), (Some(done), Some(done)));
        assert_eq!(r.handled_month, Some(202511));
        let before = r.clone();
        assert_eq!(rate(&mut r, 1, Some("chưa".into()), done), Ok(None));
        assert_eq!(rate(&mut r, 1, None, done), Err(NotRatable));
        citizen_reopen(&mut r, done + Duration::days(1)).expect("reopenable");
        assert_eq!(r.status, Status::InProgress);
        assert_eq!((r.handled_at, r.resolved_at, r.rating), (None, None, None));
        assert_eq!(r.version, 4, "one version per change staff act on");
        assert!(auto_close(&mut r, done + Duration::days(30)).is_err());

        let m = as_update(&before, &r);
        assert_eq!(m.status, ActiveValue::Set(Status::InProgress));
        assert_eq!(m.handled_at, ActiveValue::Set(None));
        assert_eq!(m.version, ActiveValue::Set(4));
        assert!(matches!(m.due_at, ActiveValue::Unchanged(_)));
        assert!(matches!(m.title, ActiveValue::Unchanged(_)));
    }

    #[test]
    fn auto_close_waits_a_week() {
        let t = Utc
            .with_ymd_and_hms(2025, 11, 3, 2, 0, 0)
            .single()
            .expect("t");
        let mut r = report(t);
        r.status = Status::Resolved;
        r.resolved_at = Some(t);
        assert_eq!(auto_close(&mut r, t + Duration::days(6)), Err(NotAllowed));
        let at = t + Duration::days(AUTO_CLOSE_DAYS);
        assert_eq!(auto_close(&mut r, at), Ok(()));
        assert_eq!(
            (r.status, r.closed_at, r.version),
            (Status::Closed, Some(at), 1)
        );
    }
}
