//! Bulk writes: citizens, then chunks of reports with their events,
//! followers and the statistics rollup they add up to, one transaction per
//! chunk that also moves the run forward (`runs`): `COPY` on PostgreSQL,
//! multi-row inserts on SQLite.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter,
};
use uuid::Uuid;

use super::copy::{CopyText, EVENT_COLUMNS, Encoded, FOLLOW_COLUMNS, REPORT_COLUMNS, ROLLUP_KEY};
use super::data::City;
use super::history::History;
use super::runs::{self, Run};
use crate::domain::{Locale, Role};
use crate::entities::{report_events, report_followers, reports, users};
use crate::reports::store::event_row;
use crate::stats::rollup::{self, Counters};

/// Reports per batch: SQLite allows fewer bound values per statement.
pub fn batch_size(db: &DatabaseConnection) -> usize {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => 800,
        _ => 1500,
    }
}

/// The first `n` demo citizens, created where missing (phones from a fixed
/// range, so repeated runs find the same people).
pub async fn citizens(
    db: &DatabaseConnection,
    city: &City,
    n: usize,
    hash: &str,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Uuid>> {
    let existing: HashMap<String, Uuid> = users::Entity::find()
        .filter(users::Column::Phone.like(format!("{}%", city.citizens.phone_prefix)))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|u| u.phone.map(|p| (p, u.id)))
        .collect();
    let mut ids = Vec::with_capacity(n);
    let mut new = Vec::new();
    for i in 0..n {
        let (phone, name) = city.citizens.nth(i);
        if let Some(id) = existing.get(&phone) {
            ids.push(*id);
            continue;
        }
        let id = Uuid::now_v7();
        ids.push(id);
        new.push(users::ActiveModel {
            id: Set(id),
            phone: Set(Some(phone)),
            email: Set(None),
            password_hash: Set(hash.to_owned()),
            full_name: Set(name),
            role: Set(Role::Citizen),
            unit_id: Set(None),
            locale: Set(Locale::Vi),
            created_at: Set(since),
            updated_at: Set(now),
            disabled_at: Set(None),
            deleted_at: Set(None),
        });
    }
    for chunk in new.chunks(1000) {
        users::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(ids)
}

/// A follower row: `user` follows `report` since `at`.
pub struct Follow {
    pub report: Uuid,
    pub user: Uuid,
    pub at: DateTime<Utc>,
}

/// Writes chunk `k` of `run` through the ORM (SQLite, or PostgreSQL below
/// the bulk threshold): multi-row inserts in one transaction, together with
/// the rollup the chunk adds up to and the run's progress, so the chunk is
/// in whole or not at all. Returns the number of events written.
pub async fn chunk_rows(
    db: &DatabaseConnection,
    run: &Run,
    k: u64,
    histories: Vec<History>,
    follows: Vec<Follow>,
    contribution: &rollup::Contribution,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let chunk = batch_size(db);
    let mut rows = Vec::with_capacity(histories.len());
    let mut events = Vec::with_capacity(histories.len() * 5);
    for h in histories {
        let report_id = h.report.id;
        events.extend(h.events.into_iter().map(|e| {
            let at = e.at;
            event_row(report_id, e.into(), at)
        }));
        // Every column is written, not only the ones that changed.
        rows.push(h.report.into_active_model().reset_all());
    }
    let written = events.len() as u64;
    let follows: Vec<_> = follows
        .into_iter()
        .map(|f| report_followers::ActiveModel {
            report_id: Set(f.report),
            user_id: Set(f.user),
            created_at: Set(f.at),
        })
        .collect();

    let txn = crate::db::begin_write(db).await?;
    rollup::apply(&txn, contribution).await?;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let part: Vec<_> = rows.by_ref().take(chunk).collect();
        reports::Entity::insert_many(part).exec(&txn).await?;
    }
    let mut events = events.into_iter().peekable();
    while events.peek().is_some() {
        let part: Vec<_> = events.by_ref().take(chunk * 2).collect();
        report_events::Entity::insert_many(part).exec(&txn).await?;
    }
    for follows in follows.chunks(chunk * 4) {
        report_followers::Entity::insert_many(follows.to_vec())
            .exec(&txn)
            .await?;
    }
    runs::advance(&txn, run, k, now).await?;
    txn.commit().await?;
    Ok(written)
}

/// Writes chunk `k` of `run` on PostgreSQL with `COPY ... FROM STDIN`, in one
/// transaction with the rollup it adds up to (copied into a temporary table,
/// then added to the rollup's rows in one statement per table) and the
/// run's progress.
///
/// With `trusted`, the transaction runs with `session_replication_role =
/// replica`: no foreign-key triggers, which otherwise look up (and lock) the
/// referenced row for every reference of every row, about 40% of the load.
/// The seed writes only ids it has just read or made; the tests check every
/// reference after seeding.
pub async fn chunk_copy(
    db: &DatabaseConnection,
    run: &Run,
    k: u64,
    rows: &Encoded,
    trusted: bool,
) -> anyhow::Result<()> {
    use sea_orm::sqlx::{self, AssertSqlSafe};

    let pool = db.get_postgres_connection_pool();
    let mut tx = pool.begin().await?;
    if trusted {
        sqlx::raw_sql("SET LOCAL session_replication_role = replica")
            .execute(&mut *tx)
            .await?;
    }
    copy_in(
        &mut tx,
        &format!("COPY reports ({REPORT_COLUMNS}) FROM STDIN"),
        &rows.reports,
    )
    .await?;
    copy_in(
        &mut tx,
        &format!("COPY report_events ({EVENT_COLUMNS}) FROM STDIN"),
        &rows.events,
    )
    .await?;
    copy_in(
        &mut tx,
        &format!("COPY report_followers ({FOLLOW_COLUMNS}) FROM STDIN"),
        &rows.follows,
    )
    .await?;

    let names = Counters::NAMES.join(", ");
    let add = Counters::NAMES
        .iter()
        .map(|n| format!("{n} = report_stats_monthly.{n} + EXCLUDED.{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::raw_sql(
        "CREATE TEMP TABLE seed_rollup_monthly (LIKE report_stats_monthly) ON COMMIT DROP; \
         CREATE TEMP TABLE seed_rollup_resolution (LIKE report_stats_resolution) ON COMMIT DROP",
    )
    .execute(&mut *tx)
    .await?;
    copy_in(
        &mut tx,
        &format!("COPY seed_rollup_monthly ({ROLLUP_KEY}, {names}) FROM STDIN"),
        &rows.monthly,
    )
    .await?;
    copy_in(
        &mut tx,
        &format!("COPY seed_rollup_resolution ({ROLLUP_KEY}, hours, count) FROM STDIN"),
        &rows.resolution,
    )
    .await?;
    let sql = format!(
        "INSERT INTO report_stats_monthly ({ROLLUP_KEY}, {names}) \
         SELECT {ROLLUP_KEY}, {names} FROM seed_rollup_monthly \
         ON CONFLICT ({ROLLUP_KEY}) DO UPDATE SET {add}; \
         INSERT INTO report_stats_resolution ({ROLLUP_KEY}, hours, count) \
         SELECT {ROLLUP_KEY}, hours, count FROM seed_rollup_resolution \
         ON CONFLICT ({ROLLUP_KEY}, hours) \
         DO UPDATE SET count = report_stats_resolution.count + EXCLUDED.count"
    );
    sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *tx).await?;
    let advanced = sqlx::raw_sql(AssertSqlSafe(runs::advance_sql(run, k)))
        .execute(&mut *tx)
        .await?;
    anyhow::ensure!(
        advanced.rows_affected() == 1,
        "seed run {} is not at chunk {k}: is another seed-demo running?",
        run.id
    );
    tx.commit().await?;
    Ok(())
}

/// Sends `rows` through `statement` (a `COPY ... FROM STDIN`).
async fn copy_in(
    conn: &mut sea_orm::sqlx::PgConnection,
    statement: &str,
    rows: &CopyText,
) -> anyhow::Result<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let mut copy = conn.copy_in_raw(statement).await?;
    for piece in rows.as_bytes().chunks(1 << 20) {
        copy.send(piece).await?;
    }
    let n = copy.finish().await?;
    anyhow::ensure!(
        n == rows.rows(),
        "{statement}: {n} rows of {} went in",
        rows.rows()
    );
    Ok(n)
}

/// When the demo citizens registered: before the first report.
pub fn registered(now: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    now - Duration::days(i64::from(months) * 31)
}
