//! Citizen-side and public report endpoints.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::dto::MessageRequest;
use super::extract::{
    ETag, FollowableReport, OwnReport, ParticipantReport, ReportId, etag, staff_lens,
};
use super::lifecycle::Status;
use super::queries::{self, PublicFilter};
use super::scope::Access;
use super::service::{self, FilingRules, Idempotency, MAX_MEDIA, NewReport};
use super::view::{self, By, EventBody, ReportBody, bodies};
use crate::auth::extract::{Citizen, CurrentUser, MaybeUser};
use crate::domain::geo::{BBox, valid_area_code};
use crate::entities::reports;
use crate::error::{AppError, AppResult, FieldError, ProblemBody};
use crate::http::extract::{ValidatedJson, ValidatedQuery};
use crate::i18n;
use crate::messages::Msg;
use crate::pagination::{Keyset, Page, PageQuery, finish, parse_cursor, parse_limit};
use crate::state::AppState;
use crate::validate::{Check, Validate, nonblank};

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

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "category_id": "0199a1b2-0000-7000-8000-000000000010",
    "title": "Đèn đường không sáng",
    "description": "Cột đèn trước số 12 Đinh Tiên Hoàng không sáng ba tối nay.",
    "lat": 21.028511, "lng": 105.854167,
    "address": "12 Đinh Tiên Hoàng, Hoàn Kiếm", "area_code": "00070",
    "media_ids": ["0199a1b2-0000-7000-8000-000000000003"],
    "is_anonymous": false, "is_public": true
}))]
pub struct CreateReport {
    #[schema(required = true)]
    pub category_id: Option<Uuid>,
    /// Up to 200 characters.
    #[schema(required = true)]
    pub title: Option<String>,
    /// Up to 5000 characters.
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(required = true, minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    #[schema(required = true, minimum = -180, maximum = 180)]
    pub lng: Option<f64>,
    pub address: Option<String>,
    /// Official code of the administrative area (used for routing).
    pub area_code: Option<String>,
    /// Files uploaded with `POST /media`, in display order (at most 10).
    pub media_ids: Option<Vec<Uuid>>,
    /// Hide the reporter from the public (staff still see who filed it).
    pub is_anonymous: Option<bool>,
    /// Show on the public map (default true).
    pub is_public: Option<bool>,
}

impl Validate for CreateReport {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        c.required("category_id", &self.category_id);
        c.text("title", &self.title, 200);
        c.text("description", &self.description, 5000);
        match c.required("lat", &self.lat) {
            Some(lat) if !(lat.is_finite() && (-90.0..=90.0).contains(lat)) => {
                c.add("lat", Msg::LatOutOfRange)
            }
            _ => {}
        }
        match c.required("lng", &self.lng) {
            Some(lng) if !(lng.is_finite() && (-180.0..=180.0).contains(lng)) => {
                c.add("lng", Msg::LngOutOfRange)
            }
            _ => {}
        }
        if let Some(a) = &self.address {
            c.max_len("address", a, 500);
        }
        if let Some(a) = self
            .area_code
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            && !valid_area_code(a)
        {
            c.add("area_code", Msg::InvalidAreaCode);
        }
        if let Some(ids) = &self.media_ids {
            if ids.len() > MAX_MEDIA {
                c.add("media_ids", Msg::TooManyMedia);
            }
            let mut seen = std::collections::HashSet::new();
            if !ids.iter().all(|id| seen.insert(*id)) {
                c.add("media_ids", Msg::DuplicateMedia);
            }
        }
        c.finish()
    }
}

impl CreateReport {
    /// The request as the service takes it (after `validate`).
    fn into_new(self) -> AppResult<NewReport> {
        let (Some(category_id), Some(lat), Some(lng)) = (self.category_id, self.lat, self.lng)
        else {
            return Err(AppError::Validation(vec![]));
        };
        Ok(NewReport {
            category_id,
            title: nonblank(&self.title).unwrap_or_default(),
            description: nonblank(&self.description).unwrap_or_default(),
            lat,
            lng,
            address: nonblank(&self.address),
            area_code: nonblank(&self.area_code),
            media_ids: self.media_ids.unwrap_or_default(),
            is_anonymous: self.is_anonymous.unwrap_or(false),
            is_public: self.is_public.unwrap_or(true),
        })
    }

    /// What "the same body" means for an `Idempotency-Key`.
    fn body_hash(&self) -> String {
        hex::encode(Sha256::digest(serde_json::to_vec(self).unwrap_or_default()))
    }
}

async fn one_body(state: &AppState, r: reports::Model, a: Access) -> AppResult<ReportBody> {
    let mut v = bodies(
        &state.db,
        &*crate::org::reference::current(&state.db).await?,
        vec![(r, a)],
        true,
        i18n::current(),
        state.clock.now(),
    )
    .await?;
    v.pop().ok_or(AppError::NotFound)
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
    let idem = idempotency_key(&headers)?.map(|key| Idempotency {
        key,
        body_hash: req.body_hash(),
    });
    let rules = FilingRules {
        limit: &state.filing_limit,
        service_area: state.config.reports.service_area(),
    };
    let (report, created) =
        service::create(state.ctx(), &rules, user.id, req.into_new()?, idem).await?;
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
        &*crate::org::reference::current(&state.db).await?,
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
    responses((status = 200, body = ReportBody, headers(("ETag" = String, description = "The report's `version`, `\"<version>\"`: send it back as `If-Match` with a staff action"))), (status = 404, body = ProblemBody, content_type = "application/problem+json")))]
async fn get_report(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    ReportId(id): ReportId,
) -> AppResult<(ETag, Json<ReportBody>)> {
    let actor = viewer.as_ref().map(CurrentUser::actor);
    let lens = match &actor {
        Some(a) if a.role.is_staff() => Some(staff_lens(&state, a.role).await?),
        _ => None,
    };
    let body = view::one(
        &state.db,
        &*crate::org::reference::current(&state.db).await?,
        actor.as_ref(),
        id,
        i18n::current(),
        state.clock.now(),
        lens,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    Ok((etag(body.version), Json(body)))
}

/// Comment on a report: its reporter, or staff in scope.
#[utoipa::path(post, path = "/reports/{id}/comments", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = MessageRequest,
    responses((status = 201, body = EventBody), (status = 404, body = ProblemBody, content_type = "application/problem+json")))]
async fn add_comment(
    State(state): State<AppState>,
    ParticipantReport {
        report,
        access,
        user,
    }: ParticipantReport,
    ValidatedJson(req): ValidatedJson<MessageRequest>,
) -> AppResult<(StatusCode, Json<EventBody>)> {
    let a = access;
    let e = service::comment(state.ctx(), &report, user.id, req.text()).await?;
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
    OwnReport { report, user }: OwnReport,
    ValidatedJson(req): ValidatedJson<RatingRequest>,
) -> AppResult<Json<ReportBody>> {
    let score = i16::try_from(req.score.unwrap_or(0)).unwrap_or(0);
    let comment = nonblank(&req.comment);
    let updated = service::rate(state.ctx(), &report, user.id, score, comment).await?;
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

/// Reopen a report the reporter rated 1–2, within 7 days of its resolution:
/// back in progress, with a new handling deadline from now.
#[utoipa::path(post, path = "/reports/{id}/reopen", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = ReopenRequest,
    responses(
        (status = 200, body = ReportBody),
        (status = 409, description = "Not reopenable now", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn reopen_report(
    State(state): State<AppState>,
    OwnReport { report, user }: OwnReport,
    ValidatedJson(req): ValidatedJson<ReopenRequest>,
) -> AppResult<Json<ReportBody>> {
    let reason = nonblank(&req.reason);
    let updated = service::reopen_by_citizen(state.ctx(), &report, user.id, reason).await?;
    Ok(Json(one_body(&state, updated, Access::Owner).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FollowBody {
    pub following: bool,
    pub follower_count: i32,
}

async fn set_follow(
    state: &AppState,
    FollowableReport { report, user }: FollowableReport,
    on: bool,
) -> AppResult<Json<FollowBody>> {
    let follower_count = service::set_follow(state.ctx(), &report, user.id, on).await?;
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
    report: FollowableReport,
) -> AppResult<Json<FollowBody>> {
    set_follow(&state, report, true).await
}

/// Stop following a report.
#[utoipa::path(delete, path = "/reports/{id}/follow", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = FollowBody), (status = 404, body = ProblemBody, content_type = "application/problem+json")))]
async fn unfollow(
    State(state): State<AppState>,
    report: FollowableReport,
) -> AppResult<Json<FollowBody>> {
    set_follow(&state, report, false).await
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
        let present = nonblank;
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
        &*crate::org::reference::current(&state.db).await?,
        rows.into_iter().map(|r| (r, Access::Public)).collect(),
        false,
        i18n::current(),
        state.clock.now(),
    )
    .await?;
    Ok(Json(Page { items, next_cursor }))
}
