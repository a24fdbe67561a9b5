//! Citizen-side and public report endpoints.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::lifecycle::Status;
use super::queries::{self, PublicFilter};
use super::scope::{Access, access};
use super::service::{self, CreateReport};
use super::view::{By, EventBody, ReportBody, bodies};
use crate::auth::extract::{Citizen, CurrentUser, MaybeUser};
use crate::domain::geo::BBox;
use crate::entities::reports;
use crate::error::{AppError, AppResult, FieldError, ProblemBody};
use crate::http::extract::{ValidatedJson, ValidatedQuery};
use crate::i18n;
use crate::messages::Msg;
use crate::pagination::{Keyset, Page, PageQuery, finish, parse_cursor, parse_limit};
use crate::state::AppState;
use crate::validate::{Check, Validate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_report))
        .routes(routes!(list_mine))
        .routes(routes!(get_report))
        .routes(routes!(add_comment))
        .routes(routes!(rate_report))
        .routes(routes!(reopen_report))
        .routes(routes!(follow, unfollow))
        .routes(routes!(public_feed))
}

async fn one_body(state: &AppState, r: reports::Model, a: Access) -> AppResult<ReportBody> {
    let mut v = bodies(
        &state.db,
        vec![(r, a)],
        true,
        i18n::current(),
        state.clock.now(),
    )
    .await?;
    v.pop().ok_or(AppError::NotFound)
}

/// The report if the caller may see it; 404 otherwise, so ids cannot be probed.
async fn visible(
    state: &AppState,
    viewer: Option<&CurrentUser>,
    id: Uuid,
) -> AppResult<(reports::Model, Access)> {
    let r = reports::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let a = access(&state.db, viewer, &r)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((r, a))
}

fn idempotency_key(headers: &HeaderMap) -> AppResult<Option<String>> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let s = v.to_str().map(str::trim).unwrap_or("");
    if s.is_empty() || s.len() > 128 || !s.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::Validation(vec![FieldError::new(
            "Idempotency-Key",
            Msg::InvalidIdempotencyKey,
        )]));
    }
    Ok(Some(s.to_owned()))
}

/// File a report. Send an `Idempotency-Key` (any unique string, e.g. a UUID
/// made when the citizen pressed "send"): a retry with the same key and body
/// returns the report already filed (200) instead of filing it twice; the same
/// key with another body is 422.
#[utoipa::path(post, path = "/reports", tag = "reports", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1–128 printable characters")),
    request_body = CreateReport,
    responses(
        (status = 201, description = "Filed", body = ReportBody),
        (status = 200, description = "Already filed with this Idempotency-Key", body = ReportBody),
        (status = 403, description = "Not a citizen account", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Filing too fast", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn create_report(
    State(state): State<AppState>,
    Citizen(user): Citizen,
    headers: HeaderMap,
    ValidatedJson(req): ValidatedJson<CreateReport>,
) -> AppResult<(StatusCode, Json<ReportBody>)> {
    let key = idempotency_key(&headers)?;
    let (report, created) = service::create(&state, &user, req, key).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(one_body(&state, report, Access::Owner).await?)))
}

fn key(r: &reports::Model) -> Keyset {
    Keyset {
        created_at: r.created_at,
        id: r.id,
    }
}

/// The caller's own reports, newest first.
#[utoipa::path(get, path = "/reports/mine", tag = "reports", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<ReportBody>), (status = 422, body = ProblemBody, content_type = "application/problem+json")))]
async fn list_mine(
    State(state): State<AppState>,
    Citizen(user): Citizen,
    ValidatedQuery(q): ValidatedQuery<PageQuery>,
) -> AppResult<Json<Page<ReportBody>>> {
    let mut c = Check::new();
    let limit = parse_limit(&mut c, &q.limit);
    let cursor = parse_cursor(&mut c, &q.cursor);
    let rows = queries::list_mine(&state.db, user.id, cursor, limit).await?;
    let (rows, next_cursor) = finish(rows, limit, key);
    let items = bodies(
        &state.db,
        rows.into_iter().map(|r| (r, Access::Owner)).collect(),
        false,
        i18n::current(),
        state.clock.now(),
    )
    .await?;
    Ok(Json(Page { items, next_cursor }))
}

/// One report with its timeline. The owner and staff in scope see it all;
/// anyone may see a public report, without the reporter, comments or (in
/// sensitive categories) the exact location.
#[utoipa::path(get, path = "/reports/{id}", tag = "reports",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ReportBody), (status = 404, body = ProblemBody, content_type = "application/problem+json")))]
async fn get_report(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<ReportBody>> {
    let (r, a) = visible(&state, viewer.as_ref(), id).await?;
    Ok(Json(one_body(&state, r, a).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MessageRequest {
    #[schema(required = true, example = "Đèn vẫn chưa sáng tối nay.")]
    pub message: Option<String>,
}

impl Validate for MessageRequest {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        c.text("message", &self.message, 2000);
        c.finish()
    }
}

/// Comment on a report: its reporter, or staff in scope.
#[utoipa::path(post, path = "/reports/{id}/comments", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = MessageRequest,
    responses((status = 201, body = EventBody), (status = 404, body = ProblemBody, content_type = "application/problem+json")))]
async fn add_comment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    ValidatedJson(req): ValidatedJson<MessageRequest>,
) -> AppResult<(StatusCode, Json<EventBody>)> {
    let (r, a) = visible(&state, Some(&user), id).await?;
    if !a.is_full() {
        return Err(AppError::NotFound);
    }
    let message = req.message.as_deref().unwrap_or_default().trim().to_owned();
    let e = service::comment(&state, &r, user.id, message).await?;
    Ok((
        StatusCode::CREATED,
        Json(EventBody::new(
            e,
            if a == Access::Owner {
                By::Reporter
            } else {
                By::Staff
            },
        )),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RatingRequest {
    /// 1 (very unhappy) to 5 (very happy).
    #[schema(required = true, minimum = 1, maximum = 5)]
    pub score: Option<i64>,
    pub comment: Option<String>,
}

impl Validate for RatingRequest {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        if let Some(s) = c.required("score", &self.score)
            && !(1..=5).contains(s)
        {
            c.add("score", Msg::ScoreOutOfRange);
        }
        if let Some(m) = &self.comment {
            c.max_len("comment", m, 2000);
        }
        c.finish()
    }
}

async fn own_report(state: &AppState, user: &CurrentUser, id: Uuid) -> AppResult<reports::Model> {
    let (r, a) = visible(state, Some(user), id).await?;
    if a != Access::Owner {
        return Err(AppError::Forbidden);
    }
    Ok(r)
}

/// Rate the answer (the reporter, once the report is resolved). 3–5 closes
/// the report; 1–2 lets the reporter reopen it within 7 days.
#[utoipa::path(post, path = "/reports/{id}/rating", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = RatingRequest,
    responses(
        (status = 200, body = ReportBody),
        (status = 403, description = "Not the reporter", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Not resolved, or already rated", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn rate_report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    ValidatedJson(req): ValidatedJson<RatingRequest>,
) -> AppResult<Json<ReportBody>> {
    let r = own_report(&state, &user, id).await?;
    let comment = req
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let updated =
        service::rate(&state, &r, user.id, req.score.unwrap_or(0) as i16, comment).await?;
    Ok(Json(one_body(&state, updated, Access::Owner).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReopenRequest {
    /// Why the answer did not solve the problem.
    pub reason: Option<String>,
}

impl Validate for ReopenRequest {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        if let Some(m) = &self.reason {
            c.max_len("reason", m, 2000);
        }
        c.finish()
    }
}

/// Reopen a report the reporter rated 1–2, within 7 days of its resolution.
#[utoipa::path(post, path = "/reports/{id}/reopen", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = ReopenRequest,
    responses(
        (status = 200, body = ReportBody),
        (status = 409, description = "Not reopenable now", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn reopen_report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    ValidatedJson(req): ValidatedJson<ReopenRequest>,
) -> AppResult<Json<ReportBody>> {
    let r = own_report(&state, &user, id).await?;
    let reason = req
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let updated = service::reopen_by_citizen(&state, &r, user.id, reason).await?;
    Ok(Json(one_body(&state, updated, Access::Owner).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FollowBody {
    pub following: bool,
    pub follower_count: i32,
}

async fn set_follow(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    on: bool,
) -> AppResult<Json<FollowBody>> {
    let (r, _) = visible(state, Some(user), id).await?;
    if !r.is_public {
        return Err(AppError::NotFound);
    }
    let follower_count = service::set_follow(state, &r, user.id, on).await?;
    Ok(Json(FollowBody {
        following: on,
        follower_count,
    }))
}

/// Follow a public report ("me too"). Following twice is harmless.
#[utoipa::path(put, path = "/reports/{id}/follow", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = FollowBody),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Your own report", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn follow(
    State(state): State<AppState>,
    Citizen(user): Citizen,
    Path(id): Path<Uuid>,
) -> AppResult<Json<FollowBody>> {
    set_follow(&state, &user, id, true).await
}

/// Stop following a report.
#[utoipa::path(delete, path = "/reports/{id}/follow", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = FollowBody), (status = 404, body = ProblemBody, content_type = "application/problem+json")))]
async fn unfollow(
    State(state): State<AppState>,
    Citizen(user): Citizen,
    Path(id): Path<Uuid>,
) -> AppResult<Json<FollowBody>> {
    set_follow(&state, &user, id, false).await
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PublicQuery {
    /// `minLng,minLat,maxLng,maxLat`
    pub bbox: Option<String>,
    /// A category code.
    pub category: Option<String>,
    /// One status or a comma list.
    pub status: Option<String>,
    /// Only reports filed at or after this instant (RFC 3339).
    pub since: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl PublicQuery {
    fn parse(&self) -> (Check, PublicFilter, u64, Option<Keyset>) {
        let mut c = Check::new();
        let mut f = PublicFilter::default();
        let present = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        if let Some(b) = present(&self.bbox) {
            f.bbox = BBox::parse(&b);
            if f.bbox.is_none() {
                c.add("bbox", Msg::InvalidBbox);
            }
        }
        f.category_code = present(&self.category);
        if let Some(s) = present(&self.status) {
            for st in s.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match Status::parse(st) {
                    Some(st) => f.statuses.push(st),
                    None => c.add("status", Msg::InvalidStatus),
                }
            }
        }
        if let Some(s) = present(&self.since) {
            match DateTime::parse_from_rfc3339(&s) {
                Ok(t) => f.since = Some(t.with_timezone(&Utc)),
                Err(_) => c.add("since", Msg::InvalidTimestamp),
            }
        }
        let limit = parse_limit(&mut c, &self.limit);
        let cursor = parse_cursor(&mut c, &self.cursor);
        (c, f, limit, cursor)
    }
}

impl Validate for PublicQuery {
    fn validate(&self) -> AppResult<()> {
        self.parse().0.finish()
    }
}

/// The public map: public reports, newest first. Never the reporter; in
/// sensitive categories the location is coarsened to about 500 m and the
/// address hidden, and the box filter works on that coarsened point.
#[utoipa::path(get, path = "/public/reports", tag = "reports",
    params(PublicQuery),
    responses((status = 200, body = Page<ReportBody>), (status = 422, body = ProblemBody, content_type = "application/problem+json")))]
async fn public_feed(
    State(state): State<AppState>,
    ValidatedQuery(q): ValidatedQuery<PublicQuery>,
) -> AppResult<Json<Page<ReportBody>>> {
    let (_, filter, limit, cursor) = q.parse();
    let rows = queries::list_public(&state.db, &filter, cursor, limit).await?;
    let (rows, next_cursor) = finish(rows, limit, key);
    let items = bodies(
        &state.db,
        rows.into_iter().map(|r| (r, Access::Public)).collect(),
        false,
        i18n::current(),
        state.clock.now(),
    )
    .await?;
    Ok(Json(Page { items, next_cursor }))
}
