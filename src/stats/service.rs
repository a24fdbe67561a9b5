//! The statistics service: live figures read from the rollup, the ranking,
//! the monthly close and the snapshots it freezes. Called by the handlers,
//! the CLI (`stats close`, `stats export`), the scheduler and the tests;
//! nothing here knows about HTTP.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::counters::Counters;
use super::figures::{self, series};
use super::model::{MonthlyBody, RankingBody, RankingItem, Series, SummaryBody, UnitRefBody};
use super::queries::{self, GroupKey, StatsFilter, roll_up_units};
use crate::context::Ctx;
use crate::domain::{GroupBy, Locale, Month, Role, UnitKind};
use crate::entities::{categories, reports, stats_snapshots, units};
use crate::error::{AppError, AppResult};
use crate::messages::Msg;
use crate::org::category_name;
use crate::org::units::{root_unit, subtree_ids};

/// Who asks, as far as statistics care: coordinators see their own unit's
/// subtree, admins the whole city. No viewer (the CLI, jobs) sees the city.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub role: Role,
    pub unit_id: Option<Uuid>,
}

/// Which figures: months, the filter and the grouping. Empty fields take
/// their defaults (the twelve months up to the current one, everything,
/// ungrouped).
#[derive(Debug, Clone, Default)]
pub struct StatsRequest {
    pub from: Option<Month>,
    pub to: Option<Month>,
    /// That unit and everything below it.
    pub unit: Option<Uuid>,
    /// A category id or code.
    pub category: Option<String>,
    pub area: Option<String>,
    pub group: GroupBy,
}

impl StatsRequest {
    /// The same figures, in one series.
    pub fn ungrouped(self) -> StatsRequest {
        StatsRequest {
            group: GroupBy::None,
            ..self
        }
    }
}

/// The request resolved: months, filter, and the unit the figures are about.
struct Resolved {
    from: Month,
    to: Month,
    filter: StatsFilter,
    root: Option<units::Model>,
    group: GroupBy,
}

async fn resolve(ctx: Ctx<'_>, viewer: Option<&Viewer>, q: &StatsRequest) -> AppResult<Resolved> {
    let to = q.to.unwrap_or_else(|| Month::of(ctx.now, ctx.tz));
    let from = q.from.unwrap_or_else(|| to.plus(-11));
    // Coordinators see their own subtree; admins everything.
    let own_unit = match viewer {
        Some(v) if v.role == Role::Coordinator => v.unit_id,
        _ => None,
    };
    let unit_id = match (q.unit, own_unit) {
        (Some(asked), Some(own)) => {
            if !subtree_ids(ctx.db, own).await?.contains(&asked) {
                return Err(AppError::NotFound);
            }
            Some(asked)
        }
        (asked, own) => asked.or(own),
    };
    let root = match unit_id {
        Some(id) => Some(
            units::Entity::find_by_id(id)
                .one(ctx.db)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let mut filter = StatsFilter::default();
    if let Some(r) = &root {
        filter.units = Some(subtree_ids(ctx.db, r.id).await?);
    }
    if let Some(c) = &q.category {
        let cat = match c.parse::<Uuid>() {
            Ok(id) => categories::Entity::find_by_id(id).one(ctx.db).await?,
            Err(_) => {
                categories::Entity::find()
                    .filter(categories::Column::Code.eq(c.as_str()))
                    .one(ctx.db)
                    .await?
            }
        };
        filter.category = Some(
            cat.ok_or(AppError::field("category", Msg::UnknownCategory))?
                .id,
        );
    }
    filter.area = q.area.clone();
    Ok(Resolved {
        from,
        to,
        filter,
        root,
        group: q.group,
    })
}

/// The monthly series (live figures, from the rollup).
async fn compute(ctx: Ctx<'_>, r: &Resolved, locale: Locale) -> AppResult<MonthlyBody> {
    let db = ctx.db;
    let (counters, hists) = if r.group == GroupBy::Unit {
        // The children of the chosen unit (or the roots), each with its subtree.
        let all = units::Entity::find().all(db).await?;
        let parent = r.root.as_ref().map(|u| u.id);
        let children: Vec<&units::Model> = all.iter().filter(|u| u.parent_id == parent).collect();
        let mut owner: HashMap<Uuid, Uuid> = HashMap::new();
        for c in &children {
            for id in subtree_ids(db, c.id).await? {
                owner.insert(id, c.id);
            }
        }
        let counters = queries::counters(db, &r.filter, GroupBy::Unit, r.to).await?;
        let hists = queries::histograms(db, &r.filter, GroupBy::Unit, r.from, r.to).await?;
        let mut counters = roll_up_units(
            counters,
            &owner,
            |a: &mut Counters, b| a.add(b, 1),
            Counters::default,
        );
        let hists = roll_up_units(
            hists,
            &owner,
            |a: &mut BTreeMap<i32, i64>, b| {
                for (h, n) in b {
                    *a.entry(*h).or_default() += n;
                }
            },
            Default::default,
        );
        for c in &children {
            counters.entry(GroupKey::Id(c.id)).or_default();
        }
        (counters, hists)
    } else {
        let mut counters = queries::counters(db, &r.filter, r.group, r.to).await?;
        if r.group == GroupBy::None {
            counters.entry(GroupKey::All).or_default();
        }
        (
            counters,
            queries::histograms(db, &r.filter, r.group, r.from, r.to).await?,
        )
    };
    let names = names(ctx, r.group, locale).await?;
    let mut out = Vec::new();
    for (g, months) in &counters {
        let empty = Default::default();
        let h = hists.get(g).unwrap_or(&empty);
        let (key, name) = match g {
            GroupKey::All => (
                "all".to_owned(),
                r.root
                    .as_ref()
                    .map(|u| u.name.clone())
                    .unwrap_or_else(|| all_name(locale)),
            ),
            GroupKey::Id(id) if id.is_nil() => (id.to_string(), unassigned_name(locale)),
            GroupKey::Id(id) => (id.to_string(), names.get(id).cloned().unwrap_or_default()),
            GroupKey::Area(a) if a.is_empty() => (String::new(), unassigned_name(locale)),
            GroupKey::Area(a) => (a.clone(), a.clone()),
        };
        out.push(Series {
            key,
            name,
            months: series(months, h, r.from, r.to),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(MonthlyBody {
        from: r.from.to_string(),
        to: r.to.to_string(),
        group_by: r.group.as_str().into(),
        series: out,
    })
}

fn all_name(l: Locale) -> String {
    match l {
        Locale::Vi => "Tất cả".into(),
        Locale::En => "All".into(),
    }
}

fn unassigned_name(l: Locale) -> String {
    match l {
        Locale::Vi => "(chưa xác định)".into(),
        Locale::En => "(none)".into(),
    }
}

async fn names(ctx: Ctx<'_>, group: GroupBy, locale: Locale) -> AppResult<HashMap<Uuid, String>> {
    Ok(match group {
        GroupBy::Unit => units::Entity::find()
            .all(ctx.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect(),
        GroupBy::Category => categories::Entity::find()
            .all(ctx.db)
            .await?
            .into_iter()
            .map(|c| (c.id, category_name(&c, locale)))
            .collect(),
        GroupBy::None | GroupBy::Area => HashMap::new(),
    })
}

/// Monthly figures, live, as `viewer` may see them.
pub async fn monthly(
    ctx: Ctx<'_>,
    viewer: Option<&Viewer>,
    q: &StatsRequest,
    locale: Locale,
) -> AppResult<MonthlyBody> {
    let r = resolve(ctx, viewer, q).await?;
    compute(ctx, &r, locale).await
}

/// Totals and rates over the requested months (its grouping is ignored).
pub async fn summary(
    ctx: Ctx<'_>,
    viewer: Option<&Viewer>,
    q: &StatsRequest,
    locale: Locale,
) -> AppResult<SummaryBody> {
    let body = monthly(ctx, viewer, &q.clone().ungrouped(), locale).await?;
    let months = body.series.first().map(|s| s.months.as_slice());
    Ok(figures::summary(body.from, body.to, months.unwrap_or(&[])))
}

/// Units ranked by the month's handled rate, then on-time rate, then mean
/// rating. `month` defaults to the previous month; `level` picks a unit kind
/// (default: the units directly under the root).
pub async fn ranking(
    ctx: Ctx<'_>,
    month: Option<Month>,
    level: Option<UnitKind>,
) -> AppResult<RankingBody> {
    let month = month.unwrap_or_else(|| Month::of(ctx.now, ctx.tz).prev());
    let all = units::Entity::find().all(ctx.db).await?;
    let targets: Vec<&units::Model> = match level {
        Some(kind) => all.iter().filter(|u| u.kind == kind).collect(),
        None => {
            let roots: Vec<Uuid> = all
                .iter()
                .filter(|u| u.parent_id.is_none())
                .map(|u| u.id)
                .collect();
            all.iter()
                .filter(|u| u.parent_id.is_some_and(|p| roots.contains(&p)))
                .collect()
        }
    };
    let mut owner = HashMap::new();
    for t in &targets {
        for id in subtree_ids(ctx.db, t.id).await? {
            owner.entry(id).or_insert(t.id);
        }
    }
    let counters = queries::counters(ctx.db, &StatsFilter::default(), GroupBy::Unit, month).await?;
    let counters = roll_up_units(
        counters,
        &owner,
        |a: &mut Counters, b| a.add(b, 1),
        Counters::default,
    );
    let no_counters = BTreeMap::new();
    let mut rows: Vec<_> = targets
        .iter()
        .filter_map(|u| {
            let c = counters.get(&GroupKey::Id(u.id)).unwrap_or(&no_counters);
            // One month asked, one month answered.
            let f = series(c, &BTreeMap::new(), month, month).pop()?;
            Some((*u, f))
        })
        .collect();
    rows.sort_by(|(ua, a), (ub, b)| figures::ranking_order(a, b).then(ua.code.cmp(&ub.code)));
    let items = rows
        .into_iter()
        .enumerate()
        .map(|(i, (u, f))| RankingItem {
            rank: i as u32 + 1,
            unit: UnitRefBody {
                id: u.id,
                code: u.code.clone(),
                name: u.name.clone(),
            },
            received: f.received,
            handled_rate: f.cohort_rate,
            on_time_rate: f.on_time_rate,
            mean_rating: f.mean_rating,
        })
        .collect();
    Ok(RankingBody {
        month: month.to_string(),
        items,
    })
}

/// Freezes month `m` for every grouping (Vietnamese names: what the city
/// publishes). A month not over yet, or already closed, is a conflict.
pub async fn close(ctx: Ctx<'_>, m: Month, by: Option<Uuid>) -> AppResult<DateTime<Utc>> {
    if m >= Month::of(ctx.now, ctx.tz) {
        return Err(AppError::Conflict(Msg::MonthNotOver));
    }
    let exists = stats_snapshots::Entity::find()
        .filter(stats_snapshots::Column::Month.eq(m.yyyymm()))
        .one(ctx.db)
        .await?;
    if exists.is_some() {
        return Err(AppError::Conflict(Msg::MonthClosed));
    }
    // City-wide: every report; named after the root unit, and `unit`
    // grouping by its direct children, as a root coordinator sees them live.
    let root = root_unit(ctx.db).await?;
    let mut bodies = Vec::new();
    for &g in GroupBy::ALL {
        let r = Resolved {
            from: m,
            to: m,
            filter: StatsFilter::default(),
            root: root.clone(),
            group: g,
        };
        bodies.push((g, compute(ctx, &r, Locale::Vi).await?));
    }
    let txn = crate::db::begin_write(ctx.db).await?;
    for (g, body) in bodies {
        stats_snapshots::ActiveModel {
            month: Set(m.yyyymm()),
            group_by: Set(g),
            data: Set(serde_json::to_value(&body).map_err(anyhow::Error::from)?),
            closed_at: Set(ctx.now),
            closed_by: Set(by),
        }
        .insert(&txn)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict(_) => AppError::Conflict(Msg::MonthClosed),
            other => other,
        })?;
    }
    txn.commit().await?;
    Ok(ctx.now)
}

/// A month's figures for an export: the frozen snapshot for a closed month
/// (unless `live`), live figures otherwise. `true` beside the body: it is
/// the snapshot.
pub async fn month_figures(
    ctx: Ctx<'_>,
    viewer: Option<&Viewer>,
    m: Month,
    group: GroupBy,
    live: bool,
    locale: Locale,
) -> AppResult<(MonthlyBody, bool)> {
    // Snapshots hold the city-wide figures: they answer those who see the
    // whole city (the CLI, admins, coordinators of a root unit).
    let city_wide = match viewer {
        None => true,
        Some(v) if v.role == Role::Admin => true,
        Some(v) => {
            let root = root_unit(ctx.db).await?;
            v.unit_id.is_some() && root.is_some_and(|r| Some(r.id) == v.unit_id)
        }
    };
    if !live
        && city_wide
        && let Some(s) = stats_snapshots::Entity::find_by_id((m.yyyymm(), group))
            .one(ctx.db)
            .await?
    {
        let body: MonthlyBody = serde_json::from_value(s.data).map_err(anyhow::Error::from)?;
        return Ok((body, true));
    }
    let q = StatsRequest {
        from: Some(m),
        to: Some(m),
        group,
        ..StatsRequest::default()
    };
    Ok((monthly(ctx, viewer, &q, locale).await?, false))
}

/// Closes last month once the 5th of this month is over (local time), if
/// the service held any report by then. Every
/// instance may run it: a second close meets the snapshot's primary key and
/// is ignored. The month closed, if any.
pub async fn auto_close_month(ctx: Ctx<'_>) -> AppResult<Option<Month>> {
    if ctx.now.with_timezone(&ctx.tz).day() <= 5 {
        return Ok(None);
    }
    let last = Month::of(ctx.now, ctx.tz).prev();
    // A service that held no reports yet by then (a fresh install, data
    // still to be imported) has nothing to publish: freezing zeros would
    // fix them forever.
    let held_any = reports::Entity::find()
        .select_only()
        .column(reports::Column::Id)
        .filter(reports::Column::ReceivedMonth.lte(last.yyyymm()))
        .into_tuple::<Uuid>()
        .one(ctx.db)
        .await?
        .is_some();
    if !held_any {
        return Ok(None);
    }
    match close(ctx, last, None).await {
        Ok(_) => Ok(Some(last)),
        Err(AppError::Conflict(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
