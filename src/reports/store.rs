//! The write primitives every report transaction shares. A change of a report
//! is written with [`write_change`] only: the report (if still at the version
//! it was read at), its events and the statistics rollup go together, so there
//! is no transition without its event and no figure that misses a change.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait,
    QueryFilter, Statement,
};
use uuid::Uuid;

use crate::domain::{EventKind, Status};
use crate::entities::{report_events, reports};
use crate::error::{AppError, AppResult};
use crate::messages::Msg;

/// A timeline event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EventKind,
    pub actor: Option<Uuid>,
    pub from: Option<Status>,
    pub to: Option<Status>,
    pub public_message: Option<String>,
    pub internal_note: Option<String>,
    pub data: Option<serde_json::Value>,
}

impl NewEvent {
    /// An event that does not move the status (a comment, a note, a rating).
    pub fn new(kind: EventKind, actor: Option<Uuid>) -> Self {
        NewEvent {
            kind,
            actor,
            from: None,
            to: None,
            public_message: None,
            internal_note: None,
            data: None,
        }
    }

    /// An event that moves the status from `from` to `to`.
    pub fn transition(kind: EventKind, actor: Option<Uuid>, from: Status, to: Status) -> Self {
        NewEvent {
            from: Some(from),
            to: Some(to),
            ..NewEvent::new(kind, actor)
        }
    }

    pub fn public_message(mut self, m: Option<String>) -> Self {
        self.public_message = m;
        self
    }

    pub fn internal_note(mut self, n: Option<String>) -> Self {
        self.internal_note = n;
        self
    }

    /// Extra facts (the new unit, the old deadline, …); an empty map is none.
    pub fn data(mut self, d: serde_json::Map<String, serde_json::Value>) -> Self {
        self.data = (!d.is_empty()).then_some(serde_json::Value::Object(d));
        self
    }
}

/// The PostgreSQL channel every appended event is announced on: a wake-up
/// for the live streams of every instance, never the event itself (the table
/// stays the source of truth).
pub const EVENTS_CHANNEL: &str = "report_events";

/// The row of one event of a report's timeline (which is never updated):
/// what `append_event` inserts, and what bulk writers (the seed) insert many
/// of at once.
pub fn event_row(report_id: Uuid, e: NewEvent, at: DateTime<Utc>) -> report_events::ActiveModel {
    report_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        report_id: Set(report_id),
        actor_id: Set(e.actor),
        kind: Set(e.kind),
        from_status: Set(e.from),
        to_status: Set(e.to),
        public_message: Set(e.public_message),
        internal_note: Set(e.internal_note),
        data: Set(e.data),
        created_at: Set(at),
    }
}

/// Appends one event to a report's timeline, and wakes the live streams.
pub async fn append_event<C: ConnectionTrait>(
    db: &C,
    report_id: Uuid,
    e: NewEvent,
    at: DateTime<Utc>,
) -> AppResult<report_events::Model> {
    let event = event_row(report_id, e, at).insert(db).await?;
    announce(db, &event).await?;
    Ok(event)
}

/// `NOTIFY` on PostgreSQL: delivered when the caller's transaction commits
/// and never if it rolls back, so a stream that wakes finds the row. SQLite
/// streams poll instead.
async fn announce<C: ConnectionTrait>(db: &C, e: &report_events::Model) -> AppResult<()> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [EVENTS_CHANNEL.into(), e.id.to_string().into()],
        ))
        .await?;
    }
    Ok(())
}

/// Writes `m` (made by `effects::as_update`, which carries the new version)
/// only if the report is still as `before` was read: the same `version`, and
/// the same rating (a rating that leaves the status alone is no new version,
/// but it moves the statistics). A change committed in between makes this a
/// 409, so two transactions never both apply their rollup delta from the same
/// "before". (A timestamp would not do: two changes in the same microsecond
/// share one.)
pub async fn update_if_unchanged<C: ConnectionTrait>(
    db: &C,
    before: &reports::Model,
    m: reports::ActiveModel,
) -> AppResult<reports::Model> {
    let same_rating = match before.rating {
        Some(r) => reports::Column::Rating.eq(r),
        None => reports::Column::Rating.is_null(),
    };
    let res = reports::Entity::update_many()
        .set(m)
        .filter(reports::Column::Id.eq(before.id))
        .filter(reports::Column::Version.eq(before.version))
        .filter(same_rating)
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        // Say which version it is at now when that is what moved (a rating
        // alone moves no version: the plain conflict).
        let now_at = reports::Entity::find_by_id(before.id).one(db).await?;
        return Err(match now_at {
            None => AppError::NotFound,
            Some(r) if r.version != before.version => stale(r.version),
            Some(_) => AppError::Conflict(Msg::Conflict),
        });
    }
    reports::Entity::find_by_id(before.id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The 409 for a write decided on an older version of a report than the
/// one it is at (`current`): the problem carries `current_version`.
pub fn stale(current: i32) -> AppError {
    AppError::Conflict(Msg::ReportChanged {
        current_version: current,
    })
}

/// One change of a report with all that goes with it: the conditional
/// update, the events in order, and the rollup delta (inside the caller's
/// transaction). Returns the report as written and the events.
pub async fn write_change<C: ConnectionTrait>(
    db: &C,
    tz: Tz,
    before: &reports::Model,
    m: reports::ActiveModel,
    events: Vec<NewEvent>,
    at: DateTime<Utc>,
) -> AppResult<(reports::Model, Vec<report_events::Model>)> {
    let after = update_if_unchanged(db, before, m).await?;
    let mut written = Vec::with_capacity(events.len());
    for e in events {
        written.push(append_event(db, after.id, e, at).await?);
    }
    crate::stats::rollup::apply_change(db, Some(before), Some(&after), tz).await?;
    Ok((after, written))
}

/// The report as it is inside the transaction; 409 if its status is no
/// longer the one the caller decided on.
pub async fn reread<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    expected: Status,
) -> AppResult<reports::Model> {
    let r = reports::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if r.status != expected {
        return Err(AppError::Conflict(Msg::Conflict));
    }
    Ok(r)
}
