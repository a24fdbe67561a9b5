//! Reading the rollup: sums grouped by month and by the chosen dimension,
//! computed by the database from the rollup (never from `reports`).

use std::collections::{BTreeMap, HashMap};

use futures::TryStreamExt;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, StreamTrait};
use uuid::Uuid;

use super::counters::Counters;
use crate::domain::{GroupBy, Month};
use crate::error::AppResult;

/// The rollup column a grouping reads (none: one group, everything).
fn group_column(group: GroupBy) -> Option<&'static str> {
    match group {
        GroupBy::None => None,
        GroupBy::Unit => Some("unit_id"),
        GroupBy::Category => Some("category_id"),
        GroupBy::Area => Some("area_code"),
    }
}

/// Which reports count: a unit subtree, a category, an area.
#[derive(Debug, Clone, Default)]
pub struct StatsFilter {
    pub units: Option<Vec<Uuid>>,
    pub category: Option<Uuid>,
    pub area: Option<String>,
}

/// The value of the grouping column of a row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupKey {
    All,
    Id(Uuid),
    Area(String),
}

fn filtered(table: &str, f: &StatsFilter) -> SelectStatement {
    let mut q = Query::select();
    q.from(Alias::new(table));
    if let Some(units) = &f.units {
        q.and_where(Expr::col(Alias::new("unit_id")).is_in(units.clone()));
    }
    if let Some(c) = f.category {
        q.and_where(Expr::col(Alias::new("category_id")).eq(c));
    }
    if let Some(a) = &f.area {
        q.and_where(Expr::col(Alias::new("area_code")).eq(a.clone()));
    }
    q
}

fn sum(col: &str) -> Expr {
    // PostgreSQL sums BIGINT into NUMERIC: bring it back to BIGINT.
    Expr::expr(Func::sum(Expr::col(Alias::new(col)))).cast_as(Alias::new("BIGINT"))
}

fn group_key(row: &QueryResult, group: GroupBy) -> AppResult<GroupKey> {
    Ok(match group {
        GroupBy::None => GroupKey::All,
        GroupBy::Unit | GroupBy::Category => GroupKey::Id(row.try_get::<Uuid>("", "g")?),
        GroupBy::Area => GroupKey::Area(row.try_get::<String>("", "g")?),
    })
}

/// The month of a rollup row (stored as `YYYYMM`).
fn month_of(row: &QueryResult) -> AppResult<Month> {
    let v: i32 = row.try_get("", "month")?;
    Month::from_yyyymm(v)
        .ok_or_else(|| DbErr::Type(format!("rollup month {v} is not a YYYYMM month")).into())
}

pub type CounterSeries = BTreeMap<GroupKey, BTreeMap<Month, Counters>>;
pub type HistSeries = BTreeMap<GroupKey, BTreeMap<Month, BTreeMap<i32, i64>>>;

/// Counter sums by group and month, for every month up to `to`.
pub async fn counters<C: ConnectionTrait + StreamTrait>(
    db: &C,
    f: &StatsFilter,
    group: GroupBy,
    to: Month,
) -> AppResult<CounterSeries> {
    let mut q = filtered("report_stats_monthly", f);
    q.column(Alias::new("month"));
    if let Some(col) = group_column(group) {
        q.expr_as(Expr::col(Alias::new(col)), Alias::new("g"));
        q.group_by_col(Alias::new(col));
    }
    for c in Counters::NAMES {
        q.expr_as(sum(c), Alias::new(c));
    }
    q.and_where(Expr::col(Alias::new("month")).lte(to.yyyymm()));
    q.group_by_col(Alias::new("month"));
    let backend = ConnectionTrait::get_database_backend(db);
    // Row by row: a city's breakdown is hundreds of thousands of rows, which
    // held all at once cost tens of megabytes a request (kept by the
    // allocator afterwards).
    let mut rows = std::pin::pin!(db.stream_raw(backend.build(&q)).await?);
    let mut out = CounterSeries::new();
    while let Some(row) = rows.try_next().await? {
        let month = month_of(&row)?;
        let g = group_key(&row, group)?;
        let counters =
            Counters::try_from_fn(|c| row.try_get::<Option<i64>>("", c).map(|v| v.unwrap_or(0)))?;
        out.entry(g)
            .or_default()
            .entry(month)
            .or_default()
            .add(&counters, 1);
    }
    Ok(out)
}

/// Resolution-hour histograms by group and month, for `from..=to`.
pub async fn histograms<C: ConnectionTrait + StreamTrait>(
    db: &C,
    f: &StatsFilter,
    group: GroupBy,
    from: Month,
    to: Month,
) -> AppResult<HistSeries> {
    let mut q = filtered("report_stats_resolution", f);
    q.column(Alias::new("month")).column(Alias::new("hours"));
    if let Some(col) = group_column(group) {
        q.expr_as(Expr::col(Alias::new(col)), Alias::new("g"));
        q.group_by_col(Alias::new(col));
    }
    q.expr_as(sum("count"), Alias::new("n"));
    q.and_where(Expr::col(Alias::new("month")).between(from.yyyymm(), to.yyyymm()));
    q.group_by_col(Alias::new("month"))
        .group_by_col(Alias::new("hours"));
    let backend = ConnectionTrait::get_database_backend(db);
    let mut rows = std::pin::pin!(db.stream_raw(backend.build(&q)).await?);
    let mut out = HistSeries::new();
    while let Some(row) = rows.try_next().await? {
        let month = month_of(&row)?;
        let hours: i32 = row.try_get("", "hours")?;
        let n: i64 = row.try_get::<Option<i64>>("", "n")?.unwrap_or(0);
        let g = group_key(&row, group)?;
        *out.entry(g)
            .or_default()
            .entry(month)
            .or_default()
            .entry(hours)
            .or_default() += n;
    }
    Ok(out)
}

/// Folds unit-level series into the given output units (each with its
/// subtree): `owner` maps every unit id to the output unit it rolls up into.
pub fn roll_up_units<T: Clone>(
    series: BTreeMap<GroupKey, BTreeMap<Month, T>>,
    owner: &HashMap<Uuid, Uuid>,
    add: impl Fn(&mut T, &T),
    zero: impl Fn() -> T,
) -> BTreeMap<GroupKey, BTreeMap<Month, T>> {
    let mut out: BTreeMap<GroupKey, BTreeMap<Month, T>> = BTreeMap::new();
    for (g, months) in series {
        let GroupKey::Id(unit) = g else { continue };
        let Some(target) = owner.get(&unit) else {
            continue;
        };
        let dest = out.entry(GroupKey::Id(*target)).or_default();
        for (m, v) in months {
            add(dest.entry(m).or_insert_with(&zero), &v);
        }
    }
    out
}
