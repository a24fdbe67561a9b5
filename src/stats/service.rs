//! The statistics service: live figures read from the rollup, the ranking,
//! the monthly close and the snapshots it freezes. Called by the handlers,
//! the CLI (`stats close`, `stats export`), the scheduler and the tests;
//! nothing here knows about HTTP.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, StreamTrait,
};
use uuid::Uuid;

use super::breakdown::breakdown;
use super::counters::Counters;
use super::figures::{self, series};
use super::model::{MonthlyBody, RankingBody, RankingItem, Series, SummaryBody, UnitRefBody};
use super::queries::{self, GroupKey, StatsFilter, roll_up_units};
use crate::context::Ctx;
use crate::domain::{GroupBy, Locale, Month, Role, UnitKind};
use crate::entities::{reports, stats_snapshots, stats_unit_snapshots, units};
use crate::error::{AppError, AppResult};
use crate::messages::Msg;
use crate::org::category_name;
use crate::org::reference::{self, Reference};

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

/// The request resolved: months, filter, and the scope the figures are about.
#[derive(Clone)]
struct Resolved {
    from: Month,
    to: Month,
    filter: StatsFilter,
    /// The scope's top unit (none only before any unit exists).
    top: Option<units::Model>,
    /// Everything the service holds (an admin or the CLI, no unit asked).
    whole_service: bool,
    /// Reports not yet routed are in the scope: they wait at the city's top
    /// (or, filed before there was a unit, at none), so whoever sees the
    /// city sees them.
    unrouted: bool,
    group: GroupBy,
}

fn resolve(
    refs: &Reference,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
    viewer: Option<&Viewer>,
    q: &StatsRequest,
) -> AppResult<Resolved> {
    let to = q.to.unwrap_or_else(|| Month::of(now, tz));
    let from = q.from.unwrap_or_else(|| to.plus(-11));
    // Coordinators see their own subtree; admins everything.
    let own_unit = match viewer {
        Some(v) if v.role == Role::Coordinator => v.unit_id,
        _ => None,
    };
    let unit_id = match (q.unit, own_unit) {
        (Some(asked), Some(own)) => {
            if !refs.subtree(own).contains(&asked) {
                return Err(AppError::NotFound);
            }
            Some(asked)
        }
        (asked, own) => asked.or(own),
    };
    let city = refs.root().cloned();
    let mut filter = StatsFilter::default();
    let (top, whole_service, unrouted) = match unit_id {
        Some(id) => {
            let top = refs.units.get(&id).cloned().ok_or(AppError::NotFound)?;
            let unrouted = city.as_ref().is_some_and(|c| c.id == top.id);
            let mut ids = refs.subtree(top.id);
            if unrouted {
                ids.push(UNROUTED);
            }
            filter.units = Some(ids);
            (Some(top), false, unrouted)
        }
        None => (city, true, true),
    };
    if let Some(c) = &q.category {
        let cat = match c.parse::<Uuid>() {
            Ok(id) => refs.categories.get(&id),
            Err(_) => refs.categories.values().find(|x| x.code == *c),
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
        top,
        whole_service,
        unrouted,
        group: q.group,
    })
}

/// The rollup's unit of a report not yet routed.
const UNROUTED: Uuid = Uuid::nil();

/// The monthly series (live figures, from the rollup), read through `db`:
/// a transaction with one snapshot makes every series agree.
async fn compute<C: ConnectionTrait + StreamTrait>(
    db: &C,
    refs: &Reference,
    r: &Resolved,
    locale: Locale,
) -> AppResult<MonthlyBody> {
    let mut counters = queries::counters(db, &r.filter, r.group, r.to).await?;
    let mut hists = queries::histograms(db, &r.filter, r.group, r.from, r.to).await?;
    match r.group {
        GroupBy::Unit => {
            // The units one level below the scope's top, each with its subtree.
            let tree = refs.tree();
            let mut b = match &r.top {
                Some(top) => breakdown(&tree, top.id, r.whole_service),
                None => Default::default(),
            };
            if r.unrouted {
                // Reports waiting at the city's top for a coordinator to
                // route them (and any filed before there was a unit) are
                // not yet routed: their own row, not the city's.
                if let Some(top) = &r.top {
                    for row in b.owner.values_mut() {
                        if *row == top.id {
                            *row = UNROUTED;
                        }
                    }
                }
                b.owner.insert(UNROUTED, UNROUTED);
            }
            counters = roll_up_units(
                counters,
                &b.owner,
                |a: &mut Counters, b| a.add(b, 1),
                Counters::default,
            );
            hists = roll_up_units(
                hists,
                &b.owner,
                |a: &mut BTreeMap<i32, i64>, b| {
                    for (h, n) in b {
                        *a.entry(*h).or_default() += n;
                    }
                },
                Default::default,
            );
            for id in b.always {
                counters.entry(GroupKey::Id(id)).or_default();
            }
        }
        GroupBy::None => {
            counters.entry(GroupKey::All).or_default();
        }
        GroupBy::Category | GroupBy::Area => {}
    }
    let names = names(refs, r.group, locale);
    let mut out = Vec::new();
    for (g, months) in &counters {
        let empty = Default::default();
        let h = hists.get(g).unwrap_or(&empty);
        let (key, name) = match g {
            GroupKey::All => (
                "all".to_owned(),
                r.top
                    .as_ref()
                    .map(|u| u.name.clone())
                    .unwrap_or_else(|| all_name(locale)),
            ),
            GroupKey::Id(id) if id.is_nil() => ("unrouted".to_owned(), unrouted_name(locale)),
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
    // Unit rows: the top's own first, then by name, the unrouted last.
    let top_key = r.top.as_ref().map(|u| u.id.to_string());
    out.sort_by(|a, b| {
        let rank = |s: &Series| match s.key.as_str() {
            k if Some(k) == top_key.as_deref() => 0,
            "unrouted" => 2,
            _ => 1,
        };
        rank(a).cmp(&rank(b)).then_with(|| a.name.cmp(&b.name))
    });
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

fn unrouted_name(l: Locale) -> String {
    match l {
        Locale::Vi => "Chưa điều phối".into(),
        Locale::En => "Not yet routed".into(),
    }
}

fn unassigned_name(l: Locale) -> String {
    match l {
        Locale::Vi => "(chưa xác định)".into(),
        Locale::En => "(none)".into(),
    }
}

fn names(refs: &Reference, group: GroupBy, locale: Locale) -> HashMap<Uuid, String> {
    match group {
        GroupBy::Unit => refs
            .units
            .values()
            .map(|u| (u.id, u.name.clone()))
            .collect(),
        GroupBy::Category => refs
            .categories
            .values()
            .map(|c| (c.id, category_name(c, locale)))
            .collect(),
        GroupBy::None | GroupBy::Area => HashMap::new(),
    }
}

/// Monthly figures, live, as `viewer` may see them.
pub async fn monthly(
    ctx: Ctx<'_>,
    viewer: Option<&Viewer>,
    q: &StatsRequest,
    locale: Locale,
) -> AppResult<MonthlyBody> {
    let refs = reference::current(ctx.db).await?;
    let r = resolve(&refs, ctx.now, ctx.tz, viewer, q)?;
    compute(ctx.db, &refs, &r, locale).await
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
    let refs = reference::current(ctx.db).await?;
    let all: Vec<&units::Model> = refs.units.values().collect();
    let targets: Vec<&units::Model> = match level {
        Some(kind) => all.iter().copied().filter(|u| u.kind == kind).collect(),
        None => {
            let roots: Vec<Uuid> = all
                .iter()
                .filter(|u| u.parent_id.is_none())
                .map(|u| u.id)
                .collect();
            all.iter()
                .copied()
                .filter(|u| u.parent_id.is_some_and(|p| roots.contains(&p)))
                .collect()
        }
    };
    let mut owner = HashMap::new();
    for t in &targets {
        for id in refs.subtree(t.id) {
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

/// Freezes month `m`: the city-wide figures for every grouping (Vietnamese
/// names: what the city publishes), and the same for every unit's scope, so
/// a ward's export of a closed month never moves either. All are read from
/// one snapshot of the rollup, so they agree with each other whatever is
/// being filed meanwhile. A month not over yet, or already closed, is a
/// conflict.
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
    let month = StatsRequest {
        from: Some(m),
        to: Some(m),
        ..StatsRequest::default()
    };
    let read = crate::db::begin_snapshot(ctx.db).await?;
    // The unit tree and names as of the same snapshot.
    let refs = Reference::load(&read).await?;
    // City-wide: every report, named after the city's top unit.
    let city = resolve(&refs, ctx.now, ctx.tz, None, &month)?;
    let mut city_bodies = Vec::new();
    for &g in GroupBy::ALL {
        let r = Resolved {
            group: g,
            ..city.clone()
        };
        city_bodies.push((g, compute(&read, &refs, &r, Locale::Vi).await?));
    }
    // Every other unit's scope, as its coordinator sees it live.
    let mut unit_bodies = Vec::new();
    let unit_ids: Vec<Uuid> = refs.units.keys().copied().collect();
    for id in unit_ids {
        if city.top.as_ref().is_some_and(|c| c.id == id) {
            continue;
        }
        let scope = StatsRequest {
            unit: Some(id),
            ..month.clone()
        };
        let scope = resolve(&refs, ctx.now, ctx.tz, None, &scope)?;
        for &g in GroupBy::ALL {
            let r = Resolved {
                group: g,
                ..scope.clone()
            };
            unit_bodies.push((id, g, compute(&read, &refs, &r, Locale::Vi).await?));
        }
    }
    read.commit().await?;

    let json = |b: &MonthlyBody| serde_json::to_value(b).map_err(anyhow::Error::from);
    let txn = crate::db::begin_write(ctx.db).await?;
    for (g, body) in &city_bodies {
        stats_snapshots::ActiveModel {
            month: Set(m.yyyymm()),
            group_by: Set(*g),
            data: Set(json(body)?),
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
    for chunk in unit_bodies.chunks(200) {
        let rows = chunk
            .iter()
            .map(|(id, g, body)| {
                Ok(stats_unit_snapshots::ActiveModel {
                    month: Set(m.yyyymm()),
                    unit_id: Set(*id),
                    group_by: Set(*g),
                    data: Set(json(body)?),
                    closed_at: Set(ctx.now),
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        stats_unit_snapshots::Entity::insert_many(rows)
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(ctx.now)
}

/// A month's figures for an export: the frozen snapshot for a closed month
/// (unless `live`), live figures otherwise. `true` beside the body: it is
/// the snapshot. Admins (and the CLI) get the city-wide snapshot, a
/// coordinator the one of its unit's scope (the city-wide one at the city's
/// top); a unit created after the close has none, and gets live figures.
pub async fn month_figures(
    ctx: Ctx<'_>,
    viewer: Option<&Viewer>,
    m: Month,
    group: GroupBy,
    live: bool,
    locale: Locale,
) -> AppResult<(MonthlyBody, bool)> {
    if !live {
        let scope = match viewer {
            Some(v) if v.role == Role::Coordinator => v.unit_id,
            _ => None,
        };
        let city = match scope {
            None => true,
            Some(u) => reference::current(ctx.db)
                .await?
                .root()
                .is_some_and(|c| c.id == u),
        };
        let frozen = match scope {
            Some(u) if !city => stats_unit_snapshots::Entity::find_by_id((m.yyyymm(), u, group))
                .one(ctx.db)
                .await?
                .map(|s| s.data),
            _ => stats_snapshots::Entity::find_by_id((m.yyyymm(), group))
                .one(ctx.db)
                .await?
                .map(|s| s.data),
        };
        if let Some(data) = frozen {
            let body: MonthlyBody = serde_json::from_value(data).map_err(anyhow::Error::from)?;
            return Ok((body, true));
        }
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
