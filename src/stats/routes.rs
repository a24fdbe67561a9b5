//! `/stats/...`: summary, monthly series, ranking, monthly close, exports,
//! the chart. Handlers only: parse and check the query, scope it to the
//! caller, call [`super::service`], shape the answer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::openapi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::export::FileFormat;
use super::model::{MonthlyBody, RankingBody, SummaryBody};
use super::service::{self, StatsRequest, Viewer};
use crate::auth::extract::{Admin, Coordinator, CurrentUser};
use crate::domain::{GroupBy, Month, UnitKind};
use crate::error::{AppError, AppResult, ProblemBody};
use crate::http::extract::ValidatedQuery;
use crate::i18n;
use crate::messages::Msg;
use crate::state::AppState;
use crate::validate::{Check, Validate, nonblank};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(summary))
        .routes(routes!(monthly))
        .routes(routes!(ranking))
        .routes(routes!(close_month))
        .routes(routes!(export))
        .routes(routes!(chart))
}

fn viewer(user: &CurrentUser) -> Viewer {
    Viewer {
        role: user.role,
        unit_id: user.unit_id,
    }
}

fn group_by_values() -> utoipa::openapi::schema::Object {
    openapi::one_of(GroupBy::ALL.iter().map(|g| g.as_str()))
}

fn unit_kinds() -> utoipa::openapi::schema::Object {
    openapi::one_of(UnitKind::ALL.iter().map(|k| k.as_str()))
}

fn export_formats() -> utoipa::openapi::schema::Object {
    openapi::one_of(["csv", "xlsx", "json"])
}

fn booleans() -> utoipa::openapi::schema::Object {
    openapi::one_of(["true", "false"])
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// First month, `YYYY-MM` (default: 11 months before `to`).
    #[param(schema_with = openapi::month)]
    pub from: Option<String>,
    /// Last month, `YYYY-MM` (default: the current month).
    #[param(schema_with = openapi::month)]
    pub to: Option<String>,
    /// A unit id: that unit and everything below it.
    #[param(schema_with = openapi::uuid)]
    pub unit: Option<String>,
    /// A category id or code.
    pub category: Option<String>,
    /// An area code.
    #[param(schema_with = openapi::area_code)]
    pub area: Option<String>,
    /// `none` (default), `unit` (the unit's direct children, each with its subtree), `category`, `area`.
    #[param(schema_with = group_by_values)]
    pub group_by: Option<String>,
}

impl Validate for StatsQuery {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        let from = nonblank(&self.from).map(|s| Month::parse(&s));
        let to = nonblank(&self.to).map(|s| Month::parse(&s));
        if from == Some(None) {
            c.add("from", Msg::InvalidMonth);
        }
        if to == Some(None) {
            c.add("to", Msg::InvalidMonth);
        }
        if let (Some(Some(f)), Some(Some(t))) = (from, to)
            && (f > t || f.through(t).len() > 120)
        {
            c.add("from", Msg::InvalidMonthRange);
        }
        if let Some(u) = nonblank(&self.unit)
            && u.parse::<Uuid>().is_err()
        {
            c.add("unit", Msg::UnknownUnit);
        }
        if let Some(g) = nonblank(&self.group_by)
            && GroupBy::parse(&g).is_none()
        {
            c.add("group_by", Msg::InvalidGroupBy);
        }
        c.finish()
    }
}

impl StatsQuery {
    /// The validated query, typed (anything unparsable was refused by
    /// `validate`).
    fn request(&self) -> StatsRequest {
        StatsRequest {
            from: nonblank(&self.from).and_then(|s| Month::parse(&s)),
            to: nonblank(&self.to).and_then(|s| Month::parse(&s)),
            unit: nonblank(&self.unit).and_then(|s| s.parse::<Uuid>().ok()),
            category: nonblank(&self.category),
            area: nonblank(&self.area),
            group: nonblank(&self.group_by)
                .and_then(|g| GroupBy::parse(&g))
                .unwrap_or_default(),
        }
    }
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
    Ok(Json(
        service::monthly(
            state.ctx(),
            Some(&viewer(&user)),
            &q.request(),
            i18n::current(),
        )
        .await?,
    ))
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
    Ok(Json(
        service::summary(
            state.ctx(),
            Some(&viewer(&user)),
            &q.request(),
            i18n::current(),
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// `YYYY-MM` (default: the previous month).
    #[param(schema_with = openapi::month)]
    pub month: Option<String>,
    /// A unit kind to rank (`ward`, `department`, …); default: the units
    /// directly under the root.
    #[param(schema_with = unit_kinds)]
    pub level: Option<String>,
}

impl Validate for RankingQuery {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        if let Some(m) = nonblank(&self.month)
            && Month::parse(&m).is_none()
        {
            c.add("month", Msg::InvalidMonth);
        }
        if let Some(l) = nonblank(&self.level)
            && UnitKind::parse(&l).is_none()
        {
            c.add("level", Msg::InvalidKind);
        }
        c.finish()
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
    let month = nonblank(&q.month).and_then(|m| Month::parse(&m));
    let level = nonblank(&q.level).and_then(|l| UnitKind::parse(&l));
    Ok(Json(service::ranking(state.ctx(), month, level).await?))
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
    params(("month" = String, Path, description = "YYYY-MM", pattern = r"^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])$")),
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
    let m = Month::parse(&month).ok_or(AppError::field("month", Msg::InvalidMonth))?;
    let closed_at = service::close(state.ctx(), m, Some(admin.id)).await?;
    Ok((
        StatusCode::CREATED,
        Json(CloseBody {
            month: m.to_string(),
            closed_at,
            snapshots: GroupBy::ALL.iter().map(|g| g.as_str().to_owned()).collect(),
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `YYYY-MM` (required)
    #[param(schema_with = openapi::month_required, required = true)]
    pub month: Option<String>,
    /// `csv` (default), `xlsx` or `json`.
    #[param(schema_with = export_formats)]
    pub format: Option<String>,
    /// `none` (default), `unit`, `category`, `area`.
    #[param(schema_with = group_by_values)]
    pub group_by: Option<String>,
    /// `true`: live figures even for a closed month.
    #[param(schema_with = booleans)]
    pub live: Option<String>,
}

impl Validate for ExportQuery {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        match nonblank(&self.month) {
            None => c.add("month", Msg::Required),
            Some(m) if Month::parse(&m).is_none() => c.add("month", Msg::InvalidMonth),
            _ => {}
        }
        if let Some(f) = nonblank(&self.format)
            && FileFormat::parse(&f).is_none()
        {
            c.add("format", Msg::InvalidFormat);
        }
        if let Some(g) = nonblank(&self.group_by)
            && GroupBy::parse(&g).is_none()
        {
            c.add("group_by", Msg::InvalidGroupBy);
        }
        if let Some(l) = nonblank(&self.live)
            && l != "true"
            && l != "false"
        {
            c.add(
                "live",
                Msg::Expected(crate::messages::Expected::OneOf(vec![
                    "true".into(),
                    "false".into(),
                ])),
            );
        }
        c.finish()
    }
}

/// Download a month's figures (CSV with a byte-order mark for Excel, XLSX
/// with number formats, or JSON).
#[utoipa::path(get, path = "/stats/monthly/export", operation_id = "export_month", tag = "statistics", security(("bearer" = [])),
    params(ExportQuery),
    responses(
        (status = 200, description = "The file, as an attachment named after the month (`format`: csv, xlsx or json)",
            content(
                ("text/csv"),
                ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                ("application/json"),
            )),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn export(
    State(state): State<AppState>,
    Coordinator(user): Coordinator,
    ValidatedQuery(q): ValidatedQuery<ExportQuery>,
) -> AppResult<Response> {
    let m = nonblank(&q.month)
        .and_then(|s| Month::parse(&s))
        .ok_or(AppError::field("month", Msg::InvalidMonth))?;
    let group = nonblank(&q.group_by)
        .and_then(|g| GroupBy::parse(&g))
        .unwrap_or_default();
    let live = nonblank(&q.live).as_deref() == Some("true");
    let format = nonblank(&q.format)
        .and_then(|f| FileFormat::parse(&f))
        .unwrap_or_default();
    let locale = i18n::current();
    let (body, frozen) =
        service::month_figures(state.ctx(), Some(&viewer(&user)), m, group, live, locale).await?;
    let bytes = super::export::render(&body, format, locale)?;
    let name = format!(
        "thong-ke-{}-{}.{}",
        body.to,
        group.as_str(),
        format.as_str()
    );
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
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
    let locale = i18n::current();
    let req = q.request().ungrouped();
    let body = service::monthly(state.ctx(), Some(&viewer(&user)), &req, locale).await?;
    let svg = super::chart::svg(&body, locale);
    let mut res = svg.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    Ok(res)
}
