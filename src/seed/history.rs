//! One report's history, generated the way the API would make it: a random
//! but plausible sequence of moves, each allowed by `lifecycle` for the
//! person who would make it and applied with `reports::effects`, so the seed
//! can only write states the API can reach. Pure: no database, no clock.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rand::RngExt;
use rand::rngs::StdRng;
use serde_json::json;
use uuid::Uuid;

use super::data::Texts;
use crate::calendar::WorkCalendar;
use crate::domain::{EventKind, Month, Priority, Role};
use crate::entities::reports;
use crate::reports::deadlines::ack_deadline;
use crate::reports::effects::{self, StaffInput};
use crate::reports::lifecycle::{AUTO_CLOSE_DAYS, Action, Status, transition};
use crate::reports::store::NewEvent;

/// Where and when the history happens.
pub struct Setting<'a> {
    pub cal: &'a WorkCalendar,
    pub tz: Tz,
    /// Nothing happens after this.
    pub now: DateTime<Utc>,
    pub ack_hours: i32,
    pub sla_hours: i32,
}

/// Who acts on the report.
#[derive(Debug, Clone, Copy)]
pub struct People {
    pub reporter: Uuid,
    /// A coordinator whose subtree holds the report's unit: triage.
    pub coordinator: Uuid,
    /// An officer of the report's unit: the work. Without one, the
    /// coordinator does it.
    pub officer: Option<Uuid>,
}

/// A report this one may turn out to duplicate: same category, in the
/// coordinator's scope, never itself a duplicate.
#[derive(Debug, Clone)]
pub struct Original {
    pub id: Uuid,
    pub code: String,
    pub created_at: DateTime<Utc>,
}

/// One `report_events` row.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: EventKind,
    pub actor: Option<Uuid>,
    pub from: Option<Status>,
    pub to: Option<Status>,
    pub message: Option<String>,
    pub data: Option<serde_json::Value>,
    pub at: DateTime<Utc>,
}

impl From<Event> for NewEvent {
    fn from(e: Event) -> NewEvent {
        NewEvent {
            kind: e.kind,
            actor: e.actor,
            from: e.from,
            to: e.to,
            public_message: e.message,
            internal_note: None,
            data: e.data,
        }
    }
}

#[derive(Debug, Clone)]
pub struct History {
    /// The report as the last move left it.
    pub report: reports::Model,
    /// Oldest first, starting with `created`.
    pub events: Vec<Event>,
}

/// Share of triaged reports marked duplicate, and rejected (percent).
const DUPLICATE_PCT: u32 = 4;
const REJECT_PCT: u32 = 6;
/// Reports forgotten after assignment: the overdue backlog.
const STUCK_PCT: u32 = 5;
const URGENT_PCT: u32 = 5;
const RATED_PCT: u32 = 60;
/// Of the poorly rated, how many the reporter reopens.
const REOPENED_PCT: u32 = 50;
/// Resolutions after a reopen, at most.
const ROUNDS: usize = 2;

/// The report as filed: `filed` carries what the citizen wrote and where it
/// was routed; the lifecycle fields are set here as filing sets them.
fn file(mut r: reports::Model, s: &Setting) -> reports::Model {
    let at = r.created_at;
    r.status = Status::Submitted;
    r.priority = Priority::Normal;
    r.assignee_id = None;
    r.ack_due_at = ack_deadline(s.cal, at, s.ack_hours);
    r.due_at = None;
    r.received_month = Month::of(at, s.tz).yyyymm();
    r.handled_at = None;
    r.handled_month = None;
    r.resolved_at = None;
    r.closed_at = None;
    r.rating = None;
    r.rating_comment = None;
    r.rated_at = None;
    r.duplicate_of = None;
    r.updated_at = at;
    r.version = 0;
    r
}

struct Run<'a> {
    s: &'a Setting<'a>,
    people: People,
    texts: &'a Texts,
    r: reports::Model,
    events: Vec<Event>,
}

impl Run<'_> {
    /// `action` by `actor` in `role` at `at`, if the lifecycle allows it and
    /// it is not in the future. Returns whether it happened.
    fn staff(
        &mut self,
        action: Action,
        (actor, role): (Uuid, Role),
        at: DateTime<Utc>,
        input: StaffInput,
        message: Option<&str>,
        data: Option<serde_json::Value>,
    ) -> bool {
        if at > self.s.now {
            return false;
        }
        let from = self.r.status;
        // The seed's actors are picked in scope; an illegal move is dropped,
        // never written.
        let Ok(to) = transition(from, action, role, true) else {
            return false;
        };
        let input = StaffInput { actor, ..input };
        effects::staff_action(&mut self.r, action, to, &input, self.s.cal, at, self.s.tz);
        self.events.push(Event {
            kind: action.event_kind(),
            actor: Some(actor),
            from: Some(from),
            to: Some(to),
            message: message.map(str::to_owned),
            data,
            at,
        });
        true
    }

    /// The officer's work, or the coordinator's where the unit has nobody.
    fn worker(&self) -> (Uuid, Role) {
        match self.people.officer {
            Some(o) => (o, Role::Officer),
            None => (self.people.coordinator, Role::Coordinator),
        }
    }

    fn rate(&mut self, score: i16, at: DateTime<Utc>) -> bool {
        if at > self.s.now {
            return false;
        }
        let from = self.r.status;
        let Ok(next) = effects::rate(&mut self.r, score, None, at) else {
            return false;
        };
        let reporter = Some(self.people.reporter);
        self.events.push(Event {
            kind: EventKind::Rated,
            actor: reporter,
            from: None,
            to: None,
            message: None,
            data: Some(json!({ "score": score })),
            at,
        });
        if let Some(to) = next {
            self.events.push(Event {
                kind: EventKind::Closed,
                actor: reporter,
                from: Some(from),
                to: Some(to),
                message: None,
                data: None,
                at,
            });
        }
        true
    }

    fn citizen_reopen(&mut self, at: DateTime<Utc>) -> bool {
        if at > self.s.now
            || effects::citizen_reopen(&mut self.r, self.s.cal, at, self.s.sla_hours).is_err()
        {
            return false;
        }
        self.events.push(Event {
            kind: EventKind::Reopened,
            actor: Some(self.people.reporter),
            from: Some(Status::Resolved),
            to: Some(Status::InProgress),
            message: Some(self.texts.reopened.clone()),
            data: None,
            at,
        });
        true
    }

    fn auto_close(&mut self, at: DateTime<Utc>) -> bool {
        if at > self.s.now || effects::auto_close(&mut self.r, at).is_err() {
            return false;
        }
        self.events.push(Event {
            kind: EventKind::Closed,
            actor: None,
            from: Some(Status::Resolved),
            to: Some(Status::Closed),
            message: None,
            data: None,
            at,
        });
        true
    }
}

fn minutes(m: f64) -> Duration {
    Duration::minutes(m as i64)
}

/// `hours` of working time after `from` (rounded to whole hours).
fn work(cal: &WorkCalendar, from: DateTime<Utc>, hours: f64) -> DateTime<Utc> {
    let h = hours.max(0.0).round();
    cal.add_working_hours(from, h as u32)
        .unwrap_or(from + minutes(h * 60.0))
}

/// A plausible history for `filed` (created at its `created_at`), cut at
/// `s.now`.
pub fn generate(
    rng: &mut StdRng,
    s: &Setting,
    people: People,
    original: Option<&Original>,
    texts: &Texts,
    filed: reports::Model,
) -> History {
    let r = file(filed, s);
    let created = r.created_at;
    let mut run = Run {
        s,
        people,
        texts,
        events: vec![Event {
            kind: EventKind::Created,
            actor: Some(people.reporter),
            from: None,
            to: Some(Status::Submitted),
            message: None,
            data: None,
            at: created,
        }],
        r,
    };
    play(rng, &mut run, original);
    History {
        report: run.r,
        events: run.events,
    }
}

fn play(rng: &mut StdRng, run: &mut Run, original: Option<&Original>) {
    let s = run.s;
    let triage = (run.people.coordinator, Role::Coordinator);
    let triage_at = work(
        s.cal,
        run.r.created_at,
        f64::from(s.ack_hours) * rng.random_range(0.1..1.3),
    );
    let roll: u32 = rng.random_range(0..100);
    if roll < DUPLICATE_PCT
        && let Some(o) = original.filter(|o| o.created_at < triage_at)
    {
        let input = StaffInput {
            duplicate_of: Some(o.id),
            ..StaffInput::default()
        };
        let data = json!({ "duplicate_of": o.id.to_string(), "duplicate_of_code": o.code });
        let message = run.texts.duplicate.clone();
        let action = Action::MarkDuplicate;
        run.staff(action, triage, triage_at, input, Some(&message), Some(data));
        return;
    }
    if roll < DUPLICATE_PCT + REJECT_PCT {
        let message = run.texts.rejected.clone();
        let action = Action::Reject;
        let input = StaffInput::default();
        run.staff(action, triage, triage_at, input, Some(&message), None);
        return;
    }
    let urgent = rng.random_range(0..100) < URGENT_PCT;
    let accept = StaffInput {
        assignee_id: run.people.officer,
        priority: urgent.then_some(Priority::Urgent),
        sla_hours: s.sla_hours,
        ..StaffInput::default()
    };
    let data = run
        .people
        .officer
        .map(|o| json!({ "assignee_id": o.to_string() }));
    if !run.staff(Action::Accept, triage, triage_at, accept, None, data) {
        return;
    }
    let stuck = rng.random_range(0..100) < STUCK_PCT;
    let worker = run.worker();
    let start_at = triage_at + minutes(rng.random_range(30.0..24.0 * 60.0));
    if stuck && rng.random_range(0..2) == 0 {
        return;
    }
    if !run.staff(
        Action::Start,
        worker,
        start_at,
        StaffInput::default(),
        None,
        None,
    ) || stuck
    {
        return;
    }
    let mut at = start_at;
    for _ in 0..ROUNDS {
        // Most are handled within the deadline; some run late.
        let resolve_at = work(
            s.cal,
            at,
            f64::from(s.sla_hours) * rng.random_range(0.1..1.4),
        );
        let message = run.texts.resolved.clone();
        let input = StaffInput::default();
        if !run.staff(
            Action::Resolve,
            worker,
            resolve_at,
            input,
            Some(&message),
            None,
        ) {
            return;
        }
        if rng.random_range(0..100) < RATED_PCT {
            let score: i16 = [5, 5, 5, 4, 4, 4, 3, 2, 1][rng.random_range(0..9)];
            let rated_at = resolve_at + minutes(rng.random_range(60.0..96.0 * 60.0));
            if run.rate(score, rated_at) && run.r.status == Status::Resolved {
                let reopen_at = rated_at + minutes(rng.random_range(60.0..48.0 * 60.0));
                if rng.random_range(0..100) < REOPENED_PCT && run.citizen_reopen(reopen_at) {
                    at = reopen_at;
                    continue;
                }
            }
        }
        // The daily job closes what is still resolved a week later.
        let close_at = resolve_at
            + Duration::days(AUTO_CLOSE_DAYS)
            + minutes(rng.random_range(0.0..24.0 * 60.0));
        run.auto_close(close_at);
        return;
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use rand::SeedableRng;

    use super::*;
    use crate::reports::deadlines::handling_deadline;
    use crate::reports::lifecycle::{after_rating, citizen_may_reopen};
    use crate::seed::data::City;

    fn blank(created: DateTime<Utc>) -> reports::Model {
        reports::Model {
            status: Status::Closed,
            unit_id: Some(Uuid::now_v7()),
            received_month: 0,
            version: 7,
            ..crate::reports::fixtures::report(created)
        }
    }

    /// Replays the events against the lifecycle rules, and checks the report
    /// the history ends with against them.
    fn check(h: &History, s: &Setting, people: &People, original: Option<&Original>) {
        let r = &h.report;
        let ev = &h.events;
        assert_eq!(ev[0].kind, EventKind::Created);
        assert_eq!(ev[0].at, r.created_at);
        assert_eq!(r.ack_due_at, ack_deadline(s.cal, r.created_at, s.ack_hours));
        let mut status = Status::Submitted;
        let mut due_at = None;
        let mut handled_at = None;
        let mut resolved_at = None;
        let mut closed_at = None;
        let mut rating = None;
        let mut changes = 0;
        let mut started = false;
        let mut t = r.created_at;
        let mut i = 1;
        while i < ev.len() {
            let e = &ev[i];
            assert!(
                e.at >= t && e.at <= s.now,
                "events in order, none in the future"
            );
            t = e.at;
            // A rating alone is no new version; the close that may come with
            // it is (counted below as its own event).
            if e.kind != EventKind::Rated {
                changes += 1;
            }
            match (e.kind, e.actor) {
                (EventKind::Rated, Some(a)) if a == people.reporter => {
                    let score = e.data.as_ref().and_then(|d| d["score"].as_i64());
                    let score = score.and_then(|s| i16::try_from(s).ok()).expect("score");
                    let next = after_rating(status, rating.is_some(), score).expect("ratable");
                    rating = Some(score);
                    if let Some(to) = next {
                        let c = &ev[i + 1];
                        assert_eq!((c.kind, c.at, c.actor), (EventKind::Closed, e.at, e.actor));
                        assert_eq!((c.from, c.to), (Some(status), Some(to)));
                        status = to;
                        closed_at = Some(e.at);
                        changes += 1;
                        i += 1;
                    }
                }
                (EventKind::Reopened, Some(a)) if a == people.reporter => {
                    assert!(citizen_may_reopen(status, rating, resolved_at, e.at));
                    assert_eq!(e.from, Some(status));
                    status = Status::InProgress;
                    assert_eq!(e.to, Some(status));
                    (handled_at, resolved_at, closed_at, rating) = (None, None, None, None);
                    let urgent = r.priority == Priority::Urgent;
                    due_at = Some(handling_deadline(s.cal, e.at, s.sla_hours, urgent));
                }
                (EventKind::Closed, None) => {
                    // The automatic close: what a coordinator's close would do,
                    // a week after resolution.
                    let resolved = resolved_at.expect("resolved");
                    assert!(e.at >= resolved + Duration::days(AUTO_CLOSE_DAYS));
                    let to = transition(status, Action::Close, Role::Coordinator, true);
                    assert_eq!((e.from, e.to.map(Ok)), (Some(status), Some(to)));
                    status = Status::Closed;
                    closed_at = Some(e.at);
                }
                (kind, Some(actor)) => {
                    let action = Action::ALL
                        .into_iter()
                        .find(|a| a.event_kind() == kind)
                        .expect("a staff action");
                    let role = if actor == people.coordinator {
                        Role::Coordinator
                    } else {
                        assert_eq!(Some(actor), people.officer);
                        Role::Officer
                    };
                    let to = transition(status, action, role, true).expect("a legal move");
                    assert_eq!((e.from, e.to), (Some(status), Some(to)));
                    match action {
                        Action::Accept => {
                            assert!(due_at.is_none());
                            let urgent = r.priority == Priority::Urgent;
                            due_at = Some(handling_deadline(s.cal, e.at, s.sla_hours, urgent));
                        }
                        Action::Resolve => {
                            handled_at = handled_at.or(Some(e.at));
                            resolved_at = Some(e.at);
                        }
                        Action::Reject => handled_at = handled_at.or(Some(e.at)),
                        Action::MarkDuplicate => {
                            let o = original.expect("an original");
                            assert_eq!(r.duplicate_of, Some(o.id));
                            assert!(o.created_at < e.at);
                        }
                        Action::Start => started = true,
                        other => panic!("the seed does not {other:?}"),
                    }
                    status = to;
                }
                other => panic!("unexpected event {other:?}"),
            }
            i += 1;
        }
        assert_eq!(r.status, status, "the report is where its events lead");
        assert_eq!(r.due_at, due_at);
        assert_eq!(
            r.assignee_id.is_some(),
            due_at.is_some() && (people.officer.is_some() || started),
            "assigned on acceptance, or to whoever starts it"
        );
        assert_eq!(r.handled_at, handled_at);
        assert_eq!(r.handled_at.is_some(), status.is_handled());
        assert_eq!(
            r.handled_month,
            handled_at.map(|t| Month::of(t, s.tz).yyyymm())
        );
        assert_eq!(r.resolved_at, resolved_at);
        assert_eq!(
            r.resolved_at.is_some(),
            matches!(status, Status::Resolved | Status::Closed)
        );
        assert_eq!(r.closed_at, closed_at);
        assert_eq!(r.closed_at.is_some(), status == Status::Closed);
        assert_eq!(r.rating, rating);
        assert_eq!(r.rated_at.is_some(), rating.is_some());
        assert_eq!(r.duplicate_of.is_some(), status == Status::Duplicate);
        assert_eq!(r.received_month, Month::of(r.created_at, s.tz).yyyymm());
        assert_eq!(r.updated_at, t);
        assert_eq!(r.version, changes, "one version per change");
    }

    #[test]
    fn histories_are_legal_paths() {
        let city = City::hanoi().expect("city");
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let cal = WorkCalendar::standard(tz);
        let now = Utc
            .with_ymd_and_hms(2025, 11, 20, 3, 0, 0)
            .single()
            .expect("now");
        let mut seen = std::collections::HashSet::new();
        let mut reopened = 0;
        for seed in 0..40 {
            let mut rng = StdRng::seed_from_u64(seed);
            for n in 0..250 {
                let c = &city.categories[n % city.categories.len()];
                let s = Setting {
                    cal: &cal,
                    tz,
                    now,
                    ack_hours: c.ack_hours,
                    sla_hours: c.sla_hours,
                };
                let people = People {
                    reporter: Uuid::now_v7(),
                    coordinator: Uuid::now_v7(),
                    officer: (n % 7 != 0).then(Uuid::now_v7),
                };
                let created = crate::clock::truncate(
                    now - minutes(rng.random_range(1.0..200.0 * 24.0 * 60.0)),
                );
                let original = (n % 3 != 0).then(|| Original {
                    id: Uuid::now_v7(),
                    code: "PA-ORIGINAL".into(),
                    created_at: created - Duration::hours(n as i64 % 5 - 2),
                });
                let h = generate(
                    &mut rng,
                    &s,
                    people,
                    original.as_ref(),
                    &city.texts,
                    blank(created),
                );
                check(&h, &s, &people, original.as_ref());
                seen.insert(h.report.status);
                if h.events.iter().any(|e| e.kind == EventKind::Reopened) {
                    reopened += 1;
                }
            }
        }
        for s in Status::ALL {
            assert!(seen.contains(s), "no history ends {s:?}");
        }
        assert!(reopened > 0, "no history has a reopening");
    }
}
