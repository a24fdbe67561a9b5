//! `stats check`: recompute the rollup from `reports` and compare.

use chrono_tz::Tz;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::rollup::{Contribution, Counters, Key, contributions};
use crate::entities::{report_stats_monthly, report_stats_resolution, reports};
use crate::error::AppResult;

/// One difference between the rollup and the recomputation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    Counters {
        key: Key,
        rollup: Counters,
        recomputed: Counters,
    },
    Resolution {
        key: Key,
        hours: i32,
        rollup: i64,
        recomputed: i64,
    },
}

/// Reports read a page at a time by [`recompute`].
const PAGE: u64 = 5000;

/// Every report's contributions, summed (paging through `reports` by id: a
/// keyset, so each page is one index range however deep; an `OFFSET` made
/// the whole pass quadratic, hours at ten million reports).
pub async fn recompute<C: ConnectionTrait>(db: &C, tz: Tz) -> AppResult<Contribution> {
    recompute_by_pages(db, tz, PAGE).await
}

/// [`recompute`] with pages of `page` reports (tests hold the pages' edges
/// to the whole).
pub async fn recompute_by_pages<C: ConnectionTrait>(
    db: &C,
    tz: Tz,
    page_size: u64,
) -> AppResult<Contribution> {
    let mut total = Contribution::default();
    let mut after = None;
    loop {
        let mut page = reports::Entity::find()
            .order_by_asc(reports::Column::Id)
            .limit(page_size);
        if let Some(last) = after {
            page = page.filter(reports::Column::Id.gt(last));
        }
        let batch = page.all(db).await?;
        for r in &batch {
            total.merge(&contributions(r, tz));
        }
        match batch.last() {
            Some(last) if batch.len() as u64 == page_size => after = Some(last.id),
            _ => break,
        }
    }
    total.counters.retain(|_, c| !c.is_zero());
    total.resolution.retain(|_, n| *n != 0);
    Ok(total)
}

/// What the rollup tables hold, in the same shape.
pub async fn stored<C: ConnectionTrait>(db: &C) -> AppResult<Contribution> {
    let mut out = Contribution::default();
    for r in report_stats_monthly::Entity::find().all(db).await? {
        let c = Counters::of_row(&r);
        if !c.is_zero() {
            out.counters.insert(
                Key {
                    month: r.month,
                    unit_id: r.unit_id,
                    category_id: r.category_id,
                    area_code: r.area_code,
                },
                c,
            );
        }
    }
    for r in report_stats_resolution::Entity::find().all(db).await? {
        if r.count != 0 {
            out.resolution.insert(
                (
                    Key {
                        month: r.month,
                        unit_id: r.unit_id,
                        category_id: r.category_id,
                        area_code: r.area_code,
                    },
                    r.hours,
                ),
                r.count,
            );
        }
    }
    Ok(out)
}

/// All differences (empty when the rollup is right), read from one snapshot
/// of the database: while the server runs, a report changing between the
/// reading of `reports` and of the rollup would otherwise look like a
/// difference.
pub async fn check(db: &DatabaseConnection, tz: Tz) -> AppResult<Vec<Difference>> {
    let txn = crate::db::begin_snapshot(db).await?;
    let diffs = differences(&txn, tz).await?;
    txn.commit().await?;
    Ok(diffs)
}

/// All differences, as `db` sees them.
pub async fn differences<C: ConnectionTrait>(db: &C, tz: Tz) -> AppResult<Vec<Difference>> {
    let want = recompute(db, tz).await?;
    let have = stored(db).await?;
    let mut diffs = Vec::new();
    let keys: std::collections::BTreeSet<&Key> =
        want.counters.keys().chain(have.counters.keys()).collect();
    for k in keys {
        let a = have.counters.get(k).copied().unwrap_or_default();
        let b = want.counters.get(k).copied().unwrap_or_default();
        if a != b {
            diffs.push(Difference::Counters {
                key: k.clone(),
                rollup: a,
                recomputed: b,
            });
        }
    }
    let keys: std::collections::BTreeSet<&(Key, i32)> = want
        .resolution
        .keys()
        .chain(have.resolution.keys())
        .collect();
    for k in keys {
        let a = have.resolution.get(k).copied().unwrap_or_default();
        let b = want.resolution.get(k).copied().unwrap_or_default();
        if a != b {
            diffs.push(Difference::Resolution {
                key: k.0.clone(),
                hours: k.1,
                rollup: a,
                recomputed: b,
            });
        }
    }
    Ok(diffs)
}

/// Replaces the rollup with its recomputation from `reports` (after an
/// import, or to repair it when `stats check` fails). Safe while the server
/// runs: on PostgreSQL the rollup tables are locked against writes before
/// anything is read, so every transition either committed its rollup delta
/// before (and its report change is read) or waits and applies its delta
/// to the rebuilt rollup after; SQLite's writers are serial already.
pub async fn rebuild(db: &DatabaseConnection, tz: Tz) -> AppResult<usize> {
    let txn = crate::db::begin_write(db).await?;
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        // EXCLUSIVE conflicts with the ROW EXCLUSIVE every rollup write
        // takes, not with plain reads: figures stay readable meanwhile.
        txn.execute_unprepared(
            "LOCK TABLE report_stats_monthly, report_stats_resolution IN EXCLUSIVE MODE",
        )
        .await?;
    }
    let total = recompute(&txn, tz).await?;
    report_stats_monthly::Entity::delete_many()
        .exec(&txn)
        .await?;
    report_stats_resolution::Entity::delete_many()
        .exec(&txn)
        .await?;
    super::rollup::apply(&txn, &total).await?;
    txn.commit().await?;
    Ok(total.counters.len() + total.resolution.len())
}
