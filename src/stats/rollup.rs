//! The statistics rollup, defined by one pure function: what a report
//! contributes to the monthly counters ([`contributions`]). The rollup table
//! is the sum of every report's contributions; each transaction that changes
//! a report applies the difference between its contributions before and after
//! ([`apply_change`]), and `stats check` recomputes the sum from `reports`.
//! Both agree by construction, as long as every write goes through here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Alias, Expr, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

pub use super::counters::Counters;
use crate::domain::{Month, Status};
use crate::entities::reports;

/// The rollup key: local month, unit (nil: none), category, area ("": none).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub month: i32,
    pub unit_id: Uuid,
    pub category_id: Uuid,
    pub area_code: String,
}

/// What one report adds to the rollup: counters per key, and resolution
/// hours per (key, hours).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub counters: BTreeMap<Key, Counters>,
    pub resolution: BTreeMap<(Key, i32), i64>,
}

impl Contribution {
    fn at(&mut self, key: Key) -> &mut Counters {
        self.counters.entry(key).or_default()
    }

    /// `self - other`, without zero entries.
    pub fn minus(&self, other: &Contribution) -> Contribution {
        let mut out = self.clone();
        for (k, c) in &other.counters {
            out.counters.entry(k.clone()).or_default().add(c, -1);
        }
        for (k, n) in &other.resolution {
            *out.resolution.entry(k.clone()).or_default() -= n;
        }
        out.counters.retain(|_, c| !c.is_zero());
        out.resolution.retain(|_, n| *n != 0);
        out
    }

    pub fn merge(&mut self, other: &Contribution) {
        for (k, c) in &other.counters {
            self.counters.entry(k.clone()).or_default().add(c, 1);
        }
        for (k, n) in &other.resolution {
            *self.resolution.entry(k.clone()).or_default() += n;
        }
    }
}

/// The histogram bucket of a resolution time: its whole hours from filing
/// to handling, put in [`resolution_bucket`].
pub fn resolution_hours(created: DateTime<Utc>, handled: DateTime<Utc>) -> i32 {
    resolution_bucket((handled - created).num_hours())
}

/// The buckets of the resolution-time histogram (`domain.md`), by whole
/// hours from filing to handling: one per hour for the first 72 hours, then
/// a day wide up to two weeks (336 h), a week wide up to 14 weeks (2,352 h),
/// 30 days wide after. A bucket is stored and read as its figure: the whole
/// hours themselves under 72, the bucket's upper bound after, so a median
/// or 90th percentile read from it is exact under 72 hours and overstates
/// by less than the bucket's width after (under a day up to two weeks,
/// under a week up to 14 weeks, under 30 days beyond). Keys per rollup row
/// stay about a hundred (104) for the first year, whatever the number of
/// reports.
/// Migration `m20261124_000017` puts stored hours in the same buckets with
/// the same arithmetic in SQL.
pub fn resolution_bucket(hours: i64) -> i32 {
    const STAGES: [(i64, i64); 2] = [(336, 24), (2352, 168)];
    let h = hours.max(0);
    if h < 72 {
        return h as i32;
    }
    let mut lo = 72;
    let mut bucket = None;
    for (hi, width) in STAGES {
        if h < hi {
            bucket = Some(lo + width * ((h - lo) / width + 1));
            break;
        }
        lo = hi;
    }
    let b = bucket.unwrap_or_else(|| lo + 720 * ((h - lo) / 720 + 1));
    i32::try_from(b).unwrap_or(i32::MAX)
}

/// The statistics definitions of `domain.md`, for one report:
/// - received: filed in the month, unless marked duplicate (then `duplicates`);
/// - handled, handled_on_time, rejected, rating: of the month's received, as of now;
/// - handled_in_month: by the month it was handled;
/// - due_count / due_handled: what the overdue backlog at each month's end is
///   computed from (see `figures`).
pub fn contributions(r: &reports::Model, tz: Tz) -> Contribution {
    let mut c = Contribution::default();
    let key = |month: i32| Key {
        month,
        unit_id: r.unit_id.unwrap_or(Uuid::nil()),
        category_id: r.category_id,
        area_code: r.area_code.clone().unwrap_or_default(),
    };
    let status = Some(r.status);
    if status == Some(Status::Duplicate) {
        c.at(key(r.received_month)).duplicates = 1;
        return c;
    }
    let base = c.at(key(r.received_month));
    base.received = 1;
    let handled_month = r.handled_at.map(|t| Month::of(t, tz).yyyymm());
    if let Some(handled_at) = r.handled_at {
        base.handled = 1;
        if r.due_at.is_none_or(|d| handled_at <= d) {
            base.handled_on_time = 1;
        }
        if status == Some(Status::Rejected) {
            base.rejected = 1;
        }
    }
    if let Some(rating) = r.rating {
        base.rating_sum = i64::from(rating);
        base.rating_count = 1;
    }
    if let (Some(hm), Some(handled_at)) = (handled_month, r.handled_at) {
        c.at(key(hm)).handled_in_month += 1;
        *c.resolution
            .entry((key(hm), resolution_hours(r.created_at, handled_at)))
            .or_default() += 1;
    }
    if let Some(due) = r.due_at {
        let dm = Month::of(due, tz).yyyymm();
        c.at(key(dm)).due_count += 1;
        if let Some(hm) = handled_month {
            c.at(key(dm.max(hm))).due_handled += 1;
        }
    }
    c
}

/// Applies `after - before` to the rollup tables (inside the caller's
/// transaction).
pub async fn apply_change<C: ConnectionTrait>(
    db: &C,
    before: Option<&reports::Model>,
    after: Option<&reports::Model>,
    tz: Tz,
) -> Result<(), DbErr> {
    let b = before.map(|r| contributions(r, tz)).unwrap_or_default();
    let a = after.map(|r| contributions(r, tz)).unwrap_or_default();
    apply(db, &a.minus(&b)).await
}

/// Adds a contribution (possibly negative) to the rollup tables.
pub async fn apply<C: ConnectionTrait>(db: &C, delta: &Contribution) -> Result<(), DbErr> {
    use sea_orm::sea_query::ExprTrait;
    #[derive(sea_orm::DeriveIden, Clone, Copy)]
    enum S {
        #[sea_orm(iden = "report_stats_monthly")]
        Table,
    }
    #[derive(sea_orm::DeriveIden, Clone, Copy)]
    enum R {
        #[sea_orm(iden = "report_stats_resolution")]
        Table,
        Month,
        UnitId,
        CategoryId,
        AreaCode,
        Hours,
        Count,
    }
    const KEY: [&str; 4] = ["month", "unit_id", "category_id", "area_code"];
    let backend = db.get_database_backend();
    for (k, c) in &delta.counters {
        // Insert the key's counters, or add them to the row already there.
        let mut on = OnConflict::columns(KEY.map(Alias::new));
        for name in Counters::NAMES {
            on.value(
                Alias::new(name),
                Expr::col((S::Table, Alias::new(name)))
                    .add(Expr::col((Alias::new("excluded"), Alias::new(name)))),
            );
        }
        let mut row: Vec<Expr> = vec![
            k.month.into(),
            k.unit_id.into(),
            k.category_id.into(),
            k.area_code.clone().into(),
        ];
        row.extend(c.values().map(Expr::val));
        let insert = Query::insert()
            .into_table(S::Table)
            .columns(KEY.into_iter().chain(Counters::NAMES).map(Alias::new))
            .values_panic(row)
            .on_conflict(on)
            .to_owned();
        db.execute_raw(backend.build(&insert)).await?;
    }
    for ((k, hours), n) in &delta.resolution {
        let insert = Query::insert()
            .into_table(R::Table)
            .columns([
                R::Month,
                R::UnitId,
                R::CategoryId,
                R::AreaCode,
                R::Hours,
                R::Count,
            ])
            .values_panic([
                k.month.into(),
                k.unit_id.into(),
                k.category_id.into(),
                k.area_code.clone().into(),
                (*hours).into(),
                (*n).into(),
            ])
            .on_conflict(
                OnConflict::columns([R::Month, R::UnitId, R::CategoryId, R::AreaCode, R::Hours])
                    .value(
                        R::Count,
                        Expr::col((R::Table, R::Count))
                            .add(Expr::col((Alias::new("excluded"), R::Count))),
                    )
                    .to_owned(),
            )
            .to_owned();
        db.execute_raw(backend.build(&insert)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::resolution_bucket;

    /// The width of the bucket `h` falls in.
    fn width(h: i64) -> i64 {
        match h {
            ..72 => 1,
            72..336 => 24,
            336..2352 => 168,
            _ => 720,
        }
    }

    #[test]
    fn whole_hours_for_three_days_then_upper_bounds_of_wider_buckets() {
        let mut last = -1;
        let mut keys = std::collections::BTreeSet::new();
        for h in 0..30_000i64 {
            let b = i64::from(resolution_bucket(h));
            if h < 72 {
                assert_eq!(b, h, "exact under 72 hours");
            } else {
                assert!(b > h && b - h <= width(h), "{h} → {b}");
                assert!(
                    [72, 336, 2352]
                        .iter()
                        .all(|&edge| (h < edge) == (b <= edge)),
                    "{h} → {b}: a bucket never straddles a change of width"
                );
            }
            assert!(b >= last, "monotone: {h} → {b} after {last}");
            last = b;
            if h < 24 * 365 {
                keys.insert(b);
            }
        }
        assert!(keys.len() <= 105, "{} keys in the first year", keys.len());
        assert_eq!(
            [72, 95, 96, 335, 336, 503, 504, 2351, 2352, 3071, 3072].map(resolution_bucket),
            [96, 96, 120, 336, 504, 504, 672, 2352, 3072, 3072, 3792]
        );
    }

    #[test]
    fn negative_and_huge_durations_stay_in_range() {
        assert_eq!(resolution_bucket(-5), 0);
        assert_eq!(resolution_bucket(i64::MAX / 2), i32::MAX);
    }
}
