//! `/stats/...`: summary, monthly series, ranking, monthly close, exports,
//! the chart.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::figures::{MonthFigures, month_label, parse_month, series};
use super::queries::{self, GroupKey, StatsFilter, roll_up_units};
use super::rollup::Counters;
use crate::auth::Role;
use crate::auth::extract::{Admin, Coordinator, CurrentUser};
use crate::domain::{GroupBy, Month};
use crate::entities::{categories, stats_snapshots, units};
use crate::error::{AppError, AppResult, ProblemBody};
use crate::http::extract::ValidatedQuery;
use crate::i18n::{self, Locale};
use crate::messages::Msg;
use crate::org::category_name;
use crate::org::units::subtree_ids;
use crate::state::AppState;
use crate::validate::{Check, Validate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(summary))
        .routes(routes!(monthly))
        .routes(routes!(ranking))
        .routes(routes!(close_month))
        .routes(routes!(export))
        .routes(routes!(chart))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// First month, `YYYY-MM` (default: 11 months before `to`).
    pub from: Option<String>,
    /// Last month, `YYYY-MM` (default: the current month).
    pub to: Option<String>,
    /// A unit id: that unit and everything below it.
    pub unit: Option<String>,
    /// A category id or code.
    pub category: Option<String>,
    /// An area code.
    pub area: Option<String>,
    /// `none` (default), `unit` (the unit's direct children, each with its subtree), `category`, `area`.
    pub group_by: Option<String>,
}

fn present(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Validate for StatsQuery {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        let from = present(&self.from).map(|s| parse_month(&s));
        let to = present(&self.to).map(|s| parse_month(&s));
        if from == Some(None) {
            c.add("from", Msg::InvalidMonth);
        }
        if to == Some(None) {
            c.add("to", Msg::InvalidMonth);
        }
        if let (Some(Some(f)), Some(Some(t))) = (from, to)
            && (f > t || super::figures::months(f, t).len() > 120)
        {
            c.add("from", Msg::InvalidMonthRange);
        }
        if let Some(u) = present(&self.unit)
            && u.parse::<Uuid>().is_err()
        {
            c.add("unit", Msg::UnknownUnit);
        }
        if let Some(g) = present(&self.group_by)
            && GroupBy::parse(&g).is_none()
        {
            c.add("group_by", Msg::InvalidGroupBy);
        }
        c.finish()
    }
}

/// The resolved request: months, filter, and the unit the figures are about.
struct Resolved {
    from: i32,
    to: i32,
    filter: StatsFilter,
    root: Option<units::Model>,
    group: GroupBy,
}

async fn resolve(
    state: &AppState,
    user: Option<&CurrentUser>,
    q: &StatsQuery,
) -> AppResult<Resolved> {
    let now_month = Month::of(state.clock.now(), state.config.city_tz).yyyymm();
    let to = present(&q.to)
        .and_then(|s| parse_month(&s))
        .unwrap_or(now_month);
    let from = present(&q.from)
        .and_then(|s| parse_month(&s))
        .unwrap_or_else(|| {
            let mut m = to;
            for _ in 0..11 {
                m = if m % 100 == 1 {
                    (m / 100 - 1) * 100 + 12
                } else {
                    m - 1
                };
            }
            m
        });
    // Coordinators see their own subtree; admins everything.
    let own_unit = match user {
        Some(u) if u.role == Role::Coordinator => u.unit_id,
        _ => None,
    };
    let asked = present(&q.unit).and_then(|s| s.parse::<Uuid>().ok());
    let unit_id = match (asked, own_unit) {
        (Some(a), Some(own)) => {
            if !subtree_ids(&state.db, own).await?.contains(&a) {
                return Err(AppError::NotFound);
            }
            Some(a)
        }
        (a, own) => a.or(own),
    };
    let root = match unit_id {
        Some(id) => Some(
            units::Entity::find_by_id(id)
                .one(&state.db)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let mut filter = StatsFilter::default();
    if let Some(r) = &root {
        filter.units = Some(subtree_ids(&state.db, r.id).await?);
    }
    if let Some(c) = present(&q.category) {
        let cat = match c.parse::<Uuid>() {
            Ok(id) => categories::Entity::find_by_id(id).one(&state.db).await?,
            Err(_) => {
                categories::Entity::find()
                    .filter(categories::Column::Code.eq(c.as_str()))
                    .one(&state.db)
                    .await?
            }
        };
        filter.category = Some(
            cat.ok_or(AppError::field("category", Msg::UnknownCategory))?
                .id,
        );
    }
    filter.area = present(&q.area);
    let group = present(&q.group_by)
        .and_then(|g| GroupBy::parse(&g))
        .unwrap_or(GroupBy::None);
    Ok(Resolved {
        from,
        to,
        filter,
        root,
        group,
    })
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Series {
    /// `all`, a unit or category id, or an area code.
    pub key: String,
    pub name: String,
    pub months: Vec<MonthFigures>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MonthlyBody {
    pub from: String,
    pub to: String,
    pub group_by: String,
    pub series: Vec<Series>,
}

/// The monthly series (live figures, from the rollup).
async fn compute(state: &AppState, r: &Resolved, locale: Locale) -> AppResult<MonthlyBody> {
    let db = &state.db;
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
        let counters = roll_up_units(
            counters,
            &owner,
            |a: &mut Counters, b| a.add(b, 1),
            Counters::default,
        );
        let hists = roll_up_units(
            hists,
            &owner,
            |a: &mut std::collections::BTreeMap<i32, i64>, b| {
                for (h, n) in b {
                    *a.entry(*h).or_default() += n;
                }
            },
            Default::default,
        );
        let mut counters = counters;
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
    let names = names(state, r.group, locale).await?;
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
        from: month_label(r.from),
        to: month_label(r.to),
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

async fn names(
    state: &AppState,
    group: GroupBy,
    locale: Locale,
) -> AppResult<HashMap<Uuid, String>> {
    Ok(match group {
        GroupBy::Unit => units::Entity::find()
            .all(&state.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect(),
        GroupBy::Category => categories::Entity::find()
            .all(&state.db)
            .await?
            .into_iter()
            .map(|c| (c.id, category_name(&c, locale)))
            .collect(),
        GroupBy::None | GroupBy::Area => HashMap::new(),
    })
}

/// Monthly figures: received, handled, rates, resolution times, ratings,
/// backlog — grouped by nothing, unit (subtree rolled up), category or area.
#[utoipa::path(get, path = "/stats/monthly", tag = "statistics", security(("bearer" = [])),
    params(StatsQuery),
    responses(
        (status = 200, body = MonthlyBody),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn monthly(
    State(state): State<AppState>,
    Coordinator(user): Coordinator,
    ValidatedQuery(q): ValidatedQuery<StatsQuery>,
) -> AppResult<Json<MonthlyBody>> {
    let r = resolve(&state, Some(&user), &q).await?;
    Ok(Json(compute(&state, &r, i18n::current()).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryBody {
    pub from: String,
    pub to: String,
    pub received: i64,
    pub handled: i64,
    pub handled_on_time: i64,
    pub rejected: i64,
    pub duplicates: i64,
    /// handled / received over the period.
    pub handled_rate: Option<f64>,
    /// handled_on_time / handled.
    pub on_time_rate: Option<f64>,
    /// The cumulative rate at the end of `to`.
    pub cumulative_rate: Option<f64>,
    pub mean_rating: Option<f64>,
    pub rating_count: i64,
    pub open_at_end: i64,
    pub overdue_at_end: i64,
}

/// Totals and rates over a period.
#[utoipa::path(get, path = "/stats/summary", tag = "statistics", security(("bearer" = [])),
    params(StatsQuery),
    responses((status = 200, body = SummaryBody), (status = 422, body = ProblemBody, content_type = "application/problem+json")))]
async fn summary(
    State(state): State<AppState>,
    Coordinator(user): Coordinator,
    ValidatedQuery(q): ValidatedQuery<StatsQuery>,
) -> AppResult<Json<SummaryBody>> {
    let mut r = resolve(&state, Some(&user), &q).await?;
    r.group = GroupBy::None;
    let body = compute(&state, &r, i18n::current()).await?;
    let months = body
        .series
        .first()
        .map(|s| s.months.clone())
        .unwrap_or_default();
    let sum = |f: fn(&MonthFigures) -> i64| months.iter().map(f).sum::<i64>();
    let received = sum(|m| m.received);
    let handled = sum(|m| m.handled);
    let on_time = sum(|m| m.handled_on_time);
    let rating_count = sum(|m| m.rating_count);
    let rating_total: f64 = months
        .iter()
        .filter_map(|m| m.mean_rating.map(|r| r * m.rating_count as f64))
        .sum();
    let last = months.last();
    let ratio =
        |a: i64, b: i64| (b > 0).then(|| ((a as f64 / b as f64) * 10_000.0).round() / 10_000.0);
    Ok(Json(SummaryBody {
        from: body.from,
        to: body.to,
        received,
        handled,
        handled_on_time: on_time,
        rejected: sum(|m| m.rejected),
        duplicates: sum(|m| m.duplicates),
        handled_rate: ratio(handled, received),
        on_time_rate: ratio(on_time, handled),
        cumulative_rate: last.and_then(|m| m.cumulative_rate),
        mean_rating: (rating_count > 0)
            .then(|| ((rating_total / rating_count as f64) * 10_000.0).round() / 10_000.0),
        rating_count,
        open_at_end: last.map(|m| m.open_at_end).unwrap_or(0),
        overdue_at_end: last.map(|m| m.overdue_at_end).unwrap_or(0),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// `YYYY-MM` (default: the previous month).
    pub month: Option<String>,
    /// A unit kind to rank (`ward`, `department`, …); default: the units
    /// directly under the root.
    pub level: Option<String>,
}

impl Validate for RankingQuery {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        if let Some(m) = present(&self.month)
            && parse_month(&m).is_none()
        {
            c.add("month", Msg::InvalidMonth);
        }
        if let Some(l) = present(&self.level)
            && crate::domain::UnitKind::parse(&l).is_none()
        {
            c.add("level", Msg::InvalidKind);
        }
        c.finish()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitRefBody {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RankingItem {
    pub rank: u32,
    pub unit: UnitRefBody,
    pub received: i64,
    pub handled_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub mean_rating: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RankingBody {
    pub month: String,
    pub items: Vec<RankingItem>,
}

fn previous_month(m: i32) -> i32 {
    if m % 100 == 1 {
        (m / 100 - 1) * 100 + 12
    } else {
        m - 1
    }
}

/// Units ranked by the month's handled rate, then on-time rate, then mean
/// rating (public figures). Units that received nothing come last.
#[utoipa::path(get, path = "/stats/ranking", tag = "statistics",
    params(RankingQuery),
    responses((status = 200, body = RankingBody), (status = 422, body = ProblemBody, content_type = "application/problem+json")))]
async fn ranking(
    State(state): State<AppState>,
    ValidatedQuery(q): ValidatedQuery<RankingQuery>,
) -> AppResult<Json<RankingBody>> {
    let month = present(&q.month)
        .and_then(|m| parse_month(&m))
        .unwrap_or_else(|| {
            previous_month(Month::of(state.clock.now(), state.config.city_tz).yyyymm())
        });
    let all = units::Entity::find().all(&state.db).await?;
    let targets: Vec<&units::Model> = match present(&q.level) {
        Some(kind) => all
            .iter()
            .filter(|u| Some(u.kind) == crate::domain::UnitKind::parse(&kind))
            .collect(),
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
        for id in subtree_ids(&state.db, t.id).await? {
            owner.entry(id).or_insert(t.id);
        }
    }
    let counters =
        queries::counters(&state.db, &StatsFilter::default(), GroupBy::Unit, month).await?;
    let counters = roll_up_units(
        counters,
        &owner,
        |a: &mut Counters, b| a.add(b, 1),
        Counters::default,
    );
    let mut rows: Vec<(&units::Model, MonthFigures)> = targets
        .iter()
        .map(|u| {
            let empty = Default::default();
            let c = counters.get(&GroupKey::Id(u.id)).unwrap_or(&empty);
            let f = series(c, &Default::default(), month, month)
                .pop()
                .unwrap_or_else(|| {
                    series(&Default::default(), &Default::default(), month, month).remove(0)
                });
            (*u, f)
        })
        .collect();
    let key = |f: &MonthFigures| {
        (
            f.received > 0,
            f.cohort_rate.unwrap_or(-1.0),
            f.on_time_rate.unwrap_or(-1.0),
            f.mean_rating.unwrap_or(-1.0),
        )
    };
    rows.sort_by(|(ua, a), (ub, b)| {
        let (ka, kb) = (key(a), key(b));
        kb.0.cmp(&ka.0)
            .then(kb.1.total_cmp(&ka.1))
            .then(kb.2.total_cmp(&ka.2))
            .then(kb.3.total_cmp(&ka.3))
            .then(ua.code.cmp(&ub.code))
    });
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
    Ok(Json(RankingBody {
        month: month_label(month),
        items,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CloseBody {
    pub month: String,
    pub closed_at: DateTime<Utc>,
    /// The groupings frozen: `none`, `unit`, `category`, `area`.
    pub snapshots: Vec<String>,
}

/// Freeze a month's figures: exports of a closed month return this snapshot
/// forever, while live figures stay available. Closing again is 409.
#[utoipa::path(post, path = "/stats/months/{month}/close", tag = "statistics", security(("bearer" = [])),
    params(("month" = String, Path, description = "YYYY-MM")),
    responses(
        (status = 201, body = CloseBody),
        (status = 409, description = "Already closed, or not over yet", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn close_month(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(month): Path<String>,
) -> AppResult<(StatusCode, Json<CloseBody>)> {
    let m = parse_month(&month).ok_or(AppError::field("month", Msg::InvalidMonth))?;
    let closed_at = close(&state, m, Some(admin.id)).await?;
    Ok((
        StatusCode::CREATED,
        Json(CloseBody {
            month: month_label(m),
            closed_at,
            snapshots: GroupBy::ALL.iter().map(|g| g.as_str().to_owned()).collect(),
        }),
    ))
}

/// Freezes month `m` for every grouping (Vietnamese names: what the city publishes).
pub async fn close(state: &AppState, m: i32, by: Option<Uuid>) -> AppResult<DateTime<Utc>> {
    let now = state.clock.now();
    if m >= Month::of(now, state.config.city_tz).yyyymm() {
        return Err(AppError::Conflict(Msg::MonthNotOver));
    }
    let exists = stats_snapshots::Entity::find()
        .filter(stats_snapshots::Column::Month.eq(m))
        .one(&state.db)
        .await?;
    if exists.is_some() {
        return Err(AppError::Conflict(Msg::MonthClosed));
    }
    // City-wide: every report; named after the root unit, and `unit`
    // grouping by its direct children, as a root coordinator sees them live.
    let root = crate::org::units::root_unit(&state.db).await?;
    let mut bodies = Vec::new();
    for &g in GroupBy::ALL {
        let r = Resolved {
            from: m,
            to: m,
            filter: StatsFilter::default(),
            root: root.clone(),
            group: g,
        };
        bodies.push((g, compute(state, &r, Locale::Vi).await?));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    for (g, body) in bodies {
        stats_snapshots::ActiveModel {
            month: Set(m),
            group_by: Set(g),
            data: Set(serde_json::to_value(&body).map_err(anyhow::Error::from)?),
            closed_at: Set(now),
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
    Ok(now)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `YYYY-MM`
    pub month: Option<String>,
    /// `csv` (default), `xlsx` or `json`.
    pub format: Option<String>,
    /// `none` (default), `unit`, `category`, `area`.
    pub group_by: Option<String>,
    /// `true`: live figures even for a closed month.
    pub live: Option<String>,
}

impl Validate for ExportQuery {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        match present(&self.month) {
            None => c.add("month", Msg::Required),
            Some(m) if parse_month(&m).is_none() => c.add("month", Msg::InvalidMonth),
            _ => {}
        }
        if let Some(f) = present(&self.format)
            && !matches!(f.as_str(), "csv" | "xlsx" | "json")
        {
            c.add("format", Msg::InvalidFormat);
        }
        if let Some(g) = present(&self.group_by)
            && GroupBy::parse(&g).is_none()
        {
            c.add("group_by", Msg::InvalidGroupBy);
        }
        c.finish()
    }
}

/// The month's figures as a file: the frozen snapshot for a closed month
/// (unless `live=true`), live figures otherwise.
pub async fn month_figures(
    state: &AppState,
    user: Option<&CurrentUser>,
    m: i32,
    group: GroupBy,
    live: bool,
) -> AppResult<(MonthlyBody, bool)> {
    // Snapshots hold the city-wide figures: they answer those who see the
    // whole city (the CLI, admins, coordinators of a root unit).
    let city_wide = match user {
        None => true,
        Some(u) if u.role == Role::Admin => true,
        Some(u) => {
            let root = crate::org::units::root_unit(&state.db).await?;
            u.unit_id.is_some() && root.is_some_and(|r| Some(r.id) == u.unit_id)
        }
    };
    if !live
        && city_wide
        && let Some(s) = stats_snapshots::Entity::find_by_id((m, group))
            .one(&state.db)
            .await?
    {
        let body: MonthlyBody = serde_json::from_value(s.data).map_err(anyhow::Error::from)?;
        return Ok((body, true));
    }
    let q = StatsQuery {
        from: Some(month_label(m)),
        to: Some(month_label(m)),
        unit: None,
        category: None,
        area: None,
        group_by: Some(group.as_str().into()),
    };
    let r = resolve(state, user, &q).await?;
    Ok((compute(state, &r, i18n::current()).await?, false))
}

/// Download a month's figures (CSV with a byte-order mark for Excel, XLSX
/// with number formats, or JSON).
#[utoipa::path(get, path = "/stats/monthly/export", tag = "statistics", security(("bearer" = [])),
    params(ExportQuery),
    responses(
        (status = 200, description = "The file, as an attachment named after the month", content_type = "text/csv"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn export(
    State(state): State<AppState>,
    Coordinator(user): Coordinator,
    ValidatedQuery(q): ValidatedQuery<ExportQuery>,
) -> AppResult<Response> {
    let m = present(&q.month)
        .and_then(|s| parse_month(&s))
        .ok_or(AppError::field("month", Msg::InvalidMonth))?;
    let group = present(&q.group_by)
        .and_then(|g| GroupBy::parse(&g))
        .unwrap_or(GroupBy::None);
    let live = present(&q.live).as_deref() == Some("true");
    let (body, frozen) = month_figures(&state, Some(&user), m, group, live).await?;
    let format = present(&q.format).unwrap_or_else(|| "csv".into());
    let locale = i18n::current();
    let (bytes, content_type) = match format.as_str() {
        "json" => (
            serde_json::to_vec_pretty(&body).map_err(anyhow::Error::from)?,
            "application/json",
        ),
        "xlsx" => (
            super::export::xlsx(&body, locale)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        _ => (
            super::export::csv(&body, locale)?,
            "text/csv; charset=utf-8",
        ),
    };
    let name = format!("thong-ke-{}-{}.{}", body.to, group.as_str(), format);
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        "x-stats-snapshot",
        HeaderValue::from_static(if frozen { "closed" } else { "live" }),
    );
    Ok(res)
}

/// The cumulative handled rate and the on-time rate over the months, as SVG.
#[utoipa::path(get, path = "/stats/monthly/chart.svg", tag = "statistics", security(("bearer" = [])),
    params(StatsQuery),
    responses((status = 200, description = "An SVG line chart", content_type = "image/svg+xml")))]
async fn chart(
    State(state): State<AppState>,
    Coordinator(user): Coordinator,
    ValidatedQuery(q): ValidatedQuery<StatsQuery>,
) -> AppResult<Response> {
    let mut r = resolve(&state, Some(&user), &q).await?;
    r.group = GroupBy::None;
    let locale = i18n::current();
    let body = compute(&state, &r, locale).await?;
    let svg = super::chart::svg(&body, locale);
    let mut res = svg.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    Ok(res)
}

/// Closes last month once the 5th of this month is over (local time). Every
/// instance may run it: a second close meets the snapshot's primary key and
/// is ignored.
pub async fn auto_close_month(state: &AppState) -> AppResult<Option<i32>> {
    use chrono::Datelike;
    let local = state.clock.now().with_timezone(&state.config.city_tz);
    if local.day() <= 5 {
        return Ok(None);
    }
    let last = previous_month(Month::of(state.clock.now(), state.config.city_tz).yyyymm());
    match close(state, last, None).await {
        Ok(_) => Ok(Some(last)),
        Err(AppError::Conflict(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
