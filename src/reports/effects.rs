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
    /// accept/assign: the unit to handle it; reopen: where routing sends a
    /// report that has no unit.
    pub unit_id: Option<Uuid>,
    /// accept/assign: an officer of that unit.
    pub assignee_id: Option<Uuid>,
    /// accept/assign: a new priority.
    pub priority: Option<Priority>,
    /// accept/assign/reopen: the category's handling hours (recategorize:
    /// the new category's), for a fresh handling deadline.
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

/// A fresh handling deadline from `now`, the one the first assignment gives:
/// the category's `sla_hours` of working time, a quarter for urgent reports.
pub fn fresh_deadline(
    r: &mut reports::Model,
    cal: &WorkCalendar,
    now: DateTime<Utc>,
    sla_hours: i32,
) {
    let urgent = r.priority == Priority::Urgent;
    r.due_at = Some(handling_deadline(cal, now, sla_hours, urgent));
}

/// The first assignment gives the handling deadline; later ones keep it.
pub fn first_deadline(
    r: &mut reports::Model,
    cal: &WorkCalendar,
    now: DateTime<Utc>,
    sla_hours: i32,
) {
    if r.due_at.is_none() {
        fresh_deadline(r, cal, now, sla_hours);
    }
}

/// A new priority. A report that has a handling deadline gets it again from
/// now under the new priority (urgent shortens it, normal lengthens it); one
/// without keeps none until its first assignment. The same priority again
/// changes nothing.
pub fn reprioritize(
    r: &mut reports::Model,
    priority: Priority,
    cal: &WorkCalendar,
    now: DateTime<Utc>,
    sla_hours: i32,
) {
    if r.priority == priority {
        return;
    }
    r.priority = priority;
    if r.due_at.is_some() {
        fresh_deadline(r, cal, now, sla_hours);
    }
}

/// A new category, routed again: a new unit picks its own officer, and a
/// report that has a handling deadline gets one from now under the new
/// category's hours (`sla_hours`); one without keeps none.
pub fn recategorize(
    r: &mut reports::Model,
    c: &Recategorized,
    cal: &WorkCalendar,
    now: DateTime<Utc>,
    sla_hours: i32,
) {
    r.category_id = c.category_id;
    r.public_lat = c.public_lat;
    r.public_lng = c.public_lng;
    if c.unit_id != r.unit_id {
        r.unit_id = c.unit_id;
        r.assignee_id = None;
    }
    if r.due_at.is_some() {
        fresh_deadline(r, cal, now, sla_hours);
    }
}

/// Reopening (a coordinator's, or the citizen's): handling starts over, so
/// the report is no longer handled (nor on time), a report without a unit
/// goes where routing sends it (`routed`), and it gets a fresh handling
/// deadline from now, so it can become overdue again. The status (`assigned`
/// after a rejection, `in_progress` after a resolution) is the caller's.
pub fn reopen(
    r: &mut reports::Model,
    routed: Option<Uuid>,
    cal: &WorkCalendar,
    now: DateTime<Utc>,
    sla_hours: i32,
) {
    unhandled(r);
    if r.unit_id.is_none() && routed.is_some() {
        r.unit_id = routed;
        r.assignee_id = None;
    }
    fresh_deadline(r, cal, now, sla_hours);
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
                reprioritize(r, p, cal, now, input.sla_hours);
            }
            first_deadline(r, cal, now, input.sla_hours);
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
                recategorize(r, &c, cal, now, input.sla_hours);
            }
        }
        Action::Reopen => reopen(r, input.unit_id, cal, now, input.sla_hours),
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
/// `in_progress`, with a fresh deadline of the category's `sla_hours`
/// (see [`reopen`]).
pub fn citizen_reopen(
    r: &mut reports::Model,
    cal: &WorkCalendar,
    now: DateTime<Utc>,
    sla_hours: i32,
) -> Result<(), NotAllowed> {
    if !citizen_may_reopen(r.status, r.rating, r.resolved_at, now) {
        return Err(NotAllowed);
    }
    reopen(r, None, cal, now, sla_hours);
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
        let reopened = done + Duration::days(1);
        citizen_reopen(&mut r, &cal, reopened, 40).expect("reopenable");
        assert_eq!(r.status, Status::InProgress);
        assert_eq!((r.handled_at, r.resolved_at, r.rating), (None, None, None));
        let new_due = handling_deadline(&cal, reopened, 40, true);
        assert_eq!(
            r.due_at,
            Some(new_due),
            "a fresh deadline from the reopening"
        );
        assert_eq!(r.version, 4, "one version per change staff act on");
        assert!(auto_close(&mut r, done + Duration::days(30)).is_err());

        let m = as_update(&before, &r);
        assert_eq!(m.status, ActiveValue::Set(Status::InProgress));
        assert_eq!(m.handled_at, ActiveValue::Set(None));
        assert_eq!(m.version, ActiveValue::Set(4));
        assert_eq!(m.due_at, ActiveValue::Set(Some(new_due)));
        assert!(matches!(m.title, ActiveValue::Unchanged(_)));
    }

    fn setting() -> (Tz, WorkCalendar, DateTime<Utc>) {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let t = Utc
            .with_ymd_and_hms(2025, 11, 3, 2, 0, 0)
            .single()
            .expect("t");
        (tz, WorkCalendar::standard(tz), t)
    }

    /// Applies `action` as a coordinator would, to the status the lifecycle
    /// table gives.
    fn act(
        r: &mut reports::Model,
        action: Action,
        input: &StaffInput,
        cal: &WorkCalendar,
        at: DateTime<Utc>,
    ) {
        let to = crate::reports::lifecycle::transition(
            r.status,
            action,
            crate::domain::Role::Coordinator,
            true,
        )
        .expect("a legal move");
        staff_action(r, action, to, input, cal, at, chrono_tz::Asia::Ho_Chi_Minh);
    }

    fn sla(hours: i32) -> StaffInput {
        StaffInput {
            sla_hours: hours,
            ..StaffInput::default()
        }
    }

    #[test]
    fn reopening_a_rejection_assigns_it_again_with_a_fresh_deadline() {
        let (tz, cal, t) = setting();
        let unit = Uuid::now_v7();
        let routed = Uuid::now_v7();
        // Rejected before anyone accepted it, and left without a unit.
        let mut r = report(t);
        r.unit_id = None;
        act(&mut r, Action::Reject, &sla(40), &cal, t);
        assert_eq!((r.status, r.due_at), (Status::Rejected, None));
        assert_eq!(r.handled_month, Some(Month::of(t, tz).yyyymm()));
        let at = t + Duration::days(2);
        let input = StaffInput {
            unit_id: Some(routed),
            ..sla(40)
        };
        act(&mut r, Action::Reopen, &input, &cal, at);
        assert_eq!(r.status, Status::Assigned);
        assert_eq!(r.unit_id, Some(routed), "routed again");
        assert_eq!(r.due_at, Some(handling_deadline(&cal, at, 40, false)));
        assert!(r.due_at.is_some_and(|d| d > at));
        assert_eq!((r.handled_at, r.handled_month), (None, None));
        assert_eq!(r.version, 2);

        // Rejected after acceptance: its unit and officer stay, routing is
        // not asked, and the old deadline is replaced.
        let officer = Uuid::now_v7();
        let mut r = report(t);
        r.unit_id = Some(unit);
        let accept = StaffInput {
            assignee_id: Some(officer),
            priority: Some(Priority::Urgent),
            ..sla(40)
        };
        act(&mut r, Action::Accept, &accept, &cal, t);
        act(
            &mut r,
            Action::Reject,
            &sla(40),
            &cal,
            t + Duration::hours(1),
        );
        let at = t + Duration::days(30);
        act(&mut r, Action::Reopen, &input, &cal, at);
        assert_eq!(
            (r.status, r.unit_id, r.assignee_id),
            (Status::Assigned, Some(unit), Some(officer))
        );
        assert_eq!(
            r.due_at,
            Some(handling_deadline(&cal, at, 40, true)),
            "still urgent: a quarter of the hours"
        );

        // Routing that found nothing leaves it where it was.
        let mut r = report(t);
        r.unit_id = None;
        act(&mut r, Action::Reject, &sla(40), &cal, t);
        act(&mut r, Action::Reopen, &sla(40), &cal, at);
        assert_eq!((r.status, r.unit_id), (Status::Assigned, None));
        assert_eq!(r.due_at, Some(handling_deadline(&cal, at, 40, false)));
    }

    #[test]
    fn reopening_handled_work_puts_it_in_progress_with_a_fresh_deadline() {
        let (_, cal, t) = setting();
        for close in [false, true] {
            let mut r = report(t);
            r.unit_id = Some(Uuid::now_v7());
            act(&mut r, Action::Accept, &sla(16), &cal, t);
            act(&mut r, Action::Start, &sla(16), &cal, t);
            act(
                &mut r,
                Action::Resolve,
                &sla(16),
                &cal,
                t + Duration::hours(2),
            );
            if close {
                act(&mut r, Action::Close, &sla(16), &cal, t + Duration::days(8));
            }
            let unit = r.unit_id;
            let at = t + Duration::days(10);
            // The unit is kept: `unit_id` only routes a report without one.
            let input = StaffInput {
                unit_id: Some(Uuid::now_v7()),
                ..sla(16)
            };
            act(&mut r, Action::Reopen, &input, &cal, at);
            assert_eq!((r.status, r.unit_id), (Status::InProgress, unit));
            assert_eq!(r.due_at, Some(handling_deadline(&cal, at, 16, false)));
            assert_eq!(
                (r.handled_at, r.resolved_at, r.closed_at),
                (None, None, None)
            );
        }
    }

    #[test]
    fn a_citizen_reopens_only_what_they_may() {
        let (_, cal, t) = setting();
        let mut r = report(t);
        act(&mut r, Action::Accept, &sla(40), &cal, t);
        act(&mut r, Action::Resolve, &sla(40), &cal, t);
        let before = r.clone();
        // Not rated yet: nothing moves, not even the deadline.
        assert_eq!(
            citizen_reopen(&mut r, &cal, t + Duration::hours(1), 40),
            Err(NotAllowed)
        );
        assert_eq!(r, before);
    }

    #[test]
    fn a_new_priority_gives_a_new_deadline_only_to_reports_that_have_one() {
        let (_, cal, t) = setting();
        // Not yet assigned: no deadline to recompute.
        let mut r = report(t);
        reprioritize(&mut r, Priority::Urgent, &cal, t, 40);
        assert_eq!((r.priority, r.due_at), (Priority::Urgent, None));

        let mut r = report(t);
        act(&mut r, Action::Accept, &sla(40), &cal, t);
        let first = handling_deadline(&cal, t, 40, false);
        assert_eq!(r.due_at, Some(first));
        // Same priority again: the deadline stays.
        let later = t + Duration::hours(3);
        let normal = StaffInput {
            priority: Some(Priority::Normal),
            ..sla(40)
        };
        act(&mut r, Action::Assign, &normal, &cal, later);
        assert_eq!(r.due_at, Some(first));
        // Urgent: a quarter of the hours from the change, sooner.
        let urgent = StaffInput {
            priority: Some(Priority::Urgent),
            ..sla(40)
        };
        act(&mut r, Action::Assign, &urgent, &cal, later);
        let short = handling_deadline(&cal, later, 40, true);
        assert_eq!(r.due_at, Some(short));
        assert!(short < first);
        // Back to normal: the full hours from that change.
        let last = later + Duration::hours(1);
        reprioritize(&mut r, Priority::Normal, &cal, last, 40);
        assert_eq!(r.due_at, Some(handling_deadline(&cal, last, 40, false)));
    }

    #[test]
    fn recategorizing_recomputes_a_deadline_under_the_new_category() {
        let (_, cal, t) = setting();
        let new_unit = Uuid::now_v7();
        let c = Recategorized {
            category_id: Uuid::now_v7(),
            unit_id: Some(new_unit),
            public_lat: 21.0,
            public_lng: 105.8,
        };
        let input = StaffInput {
            recategorized: Some(c),
            ..sla(16)
        };
        // Submitted: routed again, still no deadline.
        let mut r = report(t);
        act(&mut r, Action::Recategorize, &input, &cal, t);
        assert_eq!(
            (r.status, r.category_id, r.unit_id, r.due_at),
            (Status::Submitted, c.category_id, Some(new_unit), None)
        );
        // Assigned: the new category's hours from the change; a new unit
        // picks its own officer.
        let mut r = report(t);
        let accept = StaffInput {
            assignee_id: Some(Uuid::now_v7()),
            ..sla(40)
        };
        act(&mut r, Action::Accept, &accept, &cal, t);
        let at = t + Duration::hours(2);
        act(&mut r, Action::Recategorize, &input, &cal, at);
        assert_eq!(r.status, Status::Assigned);
        assert_eq!(r.due_at, Some(handling_deadline(&cal, at, 16, false)));
        assert_eq!((r.unit_id, r.assignee_id), (Some(new_unit), None));
        // Urgent reports keep their quarter.
        r.priority = Priority::Urgent;
        act(&mut r, Action::Recategorize, &input, &cal, at);
        assert_eq!(r.due_at, Some(handling_deadline(&cal, at, 16, true)));
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
