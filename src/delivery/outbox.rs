//! The outbox as a queue: claiming due rows with a lease, settling each
//! attempt (done, again later, failed for good), releasing a claim, and
//! expanding a report event into per-destination jobs.
//!
//! Topics: `report.event` (written with the change, see
//! `notifications::fan_out`) becomes one `webhook` row per subscribed
//! endpoint (its id is the `webhook_deliveries` row's) and one `push` row per
//! person to notify (a `PushJob`). Every topic goes through the same claim,
//! lease and backoff.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, QueryFilter, QuerySelect, Statement, Value,
};
use serde::Deserialize;
use uuid::Uuid;

use super::backoff::next_delay;
use super::push::PushJob;
use crate::db::begin_write;
use crate::domain::DeliveryStatus;
use crate::entities::{outbox, report_events, reports};
use crate::error::{AppError, AppResult};

pub const REPORT_EVENT: &str = "report.event";
pub const PUSH: &str = "push";

/// Claims up to `batch` due rows until `now + lease`: no other worker takes
/// them before the lease runs out (a crashed worker's rows are then sent
/// again, with the same id). The returned rows carry the lease in
/// `locked_until`; settling a row checks it, so a worker whose lease ran out
/// cannot overwrite the next worker's result.
pub async fn claim(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    lease: Duration,
    batch: u64,
) -> AppResult<Vec<outbox::Model>> {
    // A cheap read first: an idle worker takes no write lock.
    let due = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::Status.eq(DeliveryStatus::Pending))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .filter(
            sea_orm::Condition::any()
                .add(outbox::Column::LockedUntil.is_null())
                .add(outbox::Column::LockedUntil.lt(now)),
        )
        .limit(1)
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    if due.is_none() {
        return Ok(vec![]);
    }
    let until = crate::clock::truncate(now + lease);
    match db.get_database_backend() {
        DatabaseBackend::Postgres => claim_postgres(db, now, until, batch).await,
        _ => claim_sqlite(db, now, until, batch).await,
    }
}

/// PostgreSQL: `FOR UPDATE SKIP LOCKED` lets any number of workers claim at
/// once, each taking rows the others did not.
async fn claim_postgres(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    batch: u64,
) -> AppResult<Vec<outbox::Model>> {
    let sql = r#"UPDATE outbox SET locked_until = $1
        WHERE id IN (
            SELECT id FROM outbox
            WHERE status = 'pending' AND next_attempt_at <= $2
              AND (locked_until IS NULL OR locked_until < $2)
            ORDER BY next_attempt_at
            LIMIT $3
            FOR UPDATE SKIP LOCKED)
        RETURNING *"#;
    let stmt = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        sql,
        [
            Value::from(until),
            Value::from(now),
            Value::from(batch as i64),
        ],
    );
    Ok(outbox::Entity::find().from_raw_sql(stmt).all(db).await?)
}

/// SQLite: the same statement inside `BEGIN IMMEDIATE`, so one writer
/// claims at a time (SQLite has no row locks to skip).
async fn claim_sqlite(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    batch: u64,
) -> AppResult<Vec<outbox::Model>> {
    let sql = r#"UPDATE outbox SET locked_until = ?
        WHERE id IN (
            SELECT id FROM outbox
            WHERE status = 'pending' AND next_attempt_at <= ?
              AND (locked_until IS NULL OR locked_until < ?)
            ORDER BY next_attempt_at
            LIMIT ?)
        RETURNING *"#;
    let stmt = Statement::from_sql_and_values(
        DatabaseBackend::Sqlite,
        sql,
        [
            Value::from(until),
            Value::from(now),
            Value::from(now),
            Value::from(batch as i64),
        ],
    );
    let txn = begin_write(db).await?;
    let rows = outbox::Entity::find().from_raw_sql(stmt).all(&txn).await?;
    txn.commit().await?;
    Ok(rows)
}

/// Gives back claimed rows not settled (shutdown): another worker, or this
/// one after a restart, takes them at once instead of after the lease.
pub async fn release(db: &DatabaseConnection, rows: &[outbox::Model]) -> AppResult<u64> {
    let mut released = 0;
    for r in rows {
        let Some(lease) = r.locked_until else {
            continue;
        };
        released += outbox::Entity::update_many()
            .col_expr(
                outbox::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(outbox::Column::Id.eq(r.id))
            .filter(outbox::Column::LockedUntil.eq(lease))
            .filter(outbox::Column::Status.eq(DeliveryStatus::Pending))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(released)
}

/// What an attempt came to, for the queue.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    Done,
    /// Failed; try again after the next delay of the schedule (if any left).
    /// `unit` is the jitter's random number in [0, 1).
    Retry {
        error: String,
        unit: f64,
    },
    /// Failed for good.
    Failed(String),
}

/// Where a row stands after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    pub status: DeliveryStatus,
    pub next_attempt_at: DateTime<Utc>,
    /// This was a failure with a retry scheduled.
    pub retrying: bool,
}

/// The row's state after an attempt (a pure decision).
pub fn settle_to(
    row: &outbox::Model,
    fate: &Fate,
    schedule: &[f64],
    now: DateTime<Utc>,
) -> Settled {
    let attempts = u32::try_from(row.attempts).unwrap_or(0).saturating_add(1);
    match fate {
        Fate::Done => Settled {
            status: DeliveryStatus::Delivered,
            next_attempt_at: now,
            retrying: false,
        },
        Fate::Retry { unit, .. } => match next_delay(schedule, attempts, *unit) {
            Some(d) => Settled {
                status: DeliveryStatus::Pending,
                next_attempt_at: crate::clock::truncate(now + d),
                retrying: true,
            },
            None => Settled {
                status: DeliveryStatus::Failed,
                next_attempt_at: now,
                retrying: false,
            },
        },
        Fate::Failed(_) => Settled {
            status: DeliveryStatus::Failed,
            next_attempt_at: now,
            retrying: false,
        },
    }
}

/// Records an attempt of a claimed row, only while the claim is still ours
/// (`None`: the lease ran out and another worker has the row).
pub async fn settle<C: ConnectionTrait>(
    db: &C,
    row: &outbox::Model,
    fate: &Fate,
    schedule: &[f64],
    now: DateTime<Utc>,
) -> AppResult<Option<Settled>> {
    let s = settle_to(row, fate, schedule, now);
    let error = match fate {
        Fate::Done => None,
        Fate::Retry { error, .. } | Fate::Failed(error) => Some(error.clone()),
    };
    let mut upd = outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Attempts,
            Expr::col(outbox::Column::Attempts).add(1),
        )
        .col_expr(outbox::Column::Status, Expr::value(s.status))
        .col_expr(
            outbox::Column::NextAttemptAt,
            Expr::value(s.next_attempt_at),
        )
        .col_expr(outbox::Column::LastError, Expr::value(error))
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            outbox::Column::DeliveredAt,
            Expr::value((s.status == DeliveryStatus::Delivered).then_some(now)),
        )
        .filter(outbox::Column::Id.eq(row.id))
        .filter(outbox::Column::Status.eq(DeliveryStatus::Pending));
    upd = match row.locked_until {
        Some(lease) => upd.filter(outbox::Column::LockedUntil.eq(lease)),
        None => upd.filter(outbox::Column::LockedUntil.is_null()),
    };
    let n = upd.exec(db).await?.rows_affected;
    Ok((n == 1).then_some(s))
}

/// The payload of a `report.event` row.
#[derive(Debug, Deserialize)]
struct ReportEvent {
    report_id: Uuid,
    event_id: Uuid,
    #[serde(default)]
    recipients: Vec<Uuid>,
}

/// Expands a claimed `report.event` row, in one transaction with marking it
/// done: its webhook deliveries and one push job per recipient. A second
/// expansion (a lease that ran out) finds the row done and does nothing.
/// Returns (webhook deliveries, push jobs) queued, or `None` if the claim was
/// lost.
pub async fn expand(
    db: &DatabaseConnection,
    row: &outbox::Model,
    schedule: &[f64],
    now: DateTime<Utc>,
) -> AppResult<Option<(usize, usize)>> {
    let ev: ReportEvent = serde_json::from_value(row.payload.clone())
        .map_err(|e| AppError::internal(format!("outbox {}: bad payload: {e}", row.id)))?;
    let txn = begin_write(db).await?;
    if settle(&txn, row, &Fate::Done, schedule, now)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let event = report_events::Entity::find_by_id(ev.event_id)
        .one(&txn)
        .await?;
    let report = reports::Entity::find_by_id(ev.report_id).one(&txn).await?;
    let (Some(event), Some(report)) = (event, report) else {
        // Nothing left to announce.
        txn.commit().await?;
        return Ok(Some((0, 0)));
    };
    let hooks = if event.kind.is_internal() {
        0
    } else {
        super::webhooks::service::expand(&txn, &report, &event, now).await?
    };
    let jobs: Vec<outbox::ActiveModel> = ev
        .recipients
        .iter()
        .map(|user| {
            let job = PushJob {
                user_id: *user,
                event_id: event.id,
                report_id: report.id,
                code: report.code.clone(),
                kind: event.kind,
            };
            outbox::ActiveModel {
                id: Set(Uuid::now_v7()),
                topic: Set(PUSH.into()),
                payload: Set(serde_json::to_value(&job).unwrap_or_default()),
                created_at: Set(now),
                attempts: Set(0),
                next_attempt_at: Set(now),
                delivered_at: Set(None),
                last_error: Set(None),
                status: Set(DeliveryStatus::Pending),
                locked_until: Set(None),
            }
        })
        .collect();
    let pushes = jobs.len();
    if !jobs.is_empty() {
        outbox::Entity::insert_many(jobs)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(Some((hooks, pushes)))
}
