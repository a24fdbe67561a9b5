//! The staff side: the triage queue, actions, notes, the full timeline,
//! likely duplicates.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::lifecycle::Status;
use super::queue::{self, QueueCursor, QueueFilter, Sort};
use super::routes::MessageRequest;
use super::scope::{Access, StaffScope};
use super::staff::{self, ActionRequest};
use super::view::{ReportBody, bodies};
use crate::auth::extract::Staff;
use crate::domain::geo::BBox;
use crate::entities::report_events;
use crate::error::{AppError, AppResult, ProblemBody};
use crate::http::extract::{ValidatedJson, ValidatedQuery};
use crate::i18n;
use crate::messages::Msg;
use crate::org::units::subtree_ids;
use crate::pagination::{Page, parse_limit};
use crate::state::AppState;
use crate::validate::{Check, Validate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue_list))
        .routes(routes!(act))
        .routes(routes!(add_note))
        .routes(routes!(events))
        .routes(routes!(similar))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Repeatable: `status=submitted&status=assigned` (or a comma list).
    #[serde(default)]
    pub status: Vec<String>,
    /// Category id or code.
    pub category: Option<String>,
    /// A unit id: that unit and everything below it.
    pub unit: Option<String>,
    /// `me` or a user id.
    pub assignee: Option<String>,
    /// `true`: open and past the deadline.
    pub overdue: Option<String>,
    /// Text, diacritics-insensitive (`duong lang` finds `Đường Láng`).
    pub q: Option<String>,
    /// `minLng,minLat,maxLng,maxLat` (exact locations).
    pub bbox: Option<String>,
    /// Filed at or after (YYYY-MM-DD in the city's zone, or RFC 3339).
    pub from: Option<String>,
    /// Filed before (YYYY-MM-DD: before the end of that day).
    pub to: Option<String>,
    /// `-created_at` (default, newest first), `created_at`, `due_at` (soonest first, none last).
    pub sort: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

fn parse_time(s: &str, tz: chrono_tz::Tz, end_of_day: bool) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let d = if end_of_day { d.succ_opt()? } else { d };
    d.and_hms_opt(0, 0, 0)?
        .and_local_timezone(tz)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

struct Parsed {
    check: Check,
    filter: QueueFilter,
    unit: Option<Uuid>,
    assignee_me: bool,
    limit: u64,
    cursor: Option<QueueCursor>,
}

impl QueueQuery {
    fn parse(&self, tz: chrono_tz::Tz) -> Parsed {
        let mut c = Check::new();
        let mut f = QueueFilter::default();
        let present = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        for st in self
            .status
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match Status::parse(st) {
                Some(s) => f.statuses.push(s),
                None => c.add("status", Msg::InvalidStatus),
            }
        }
        f.category = present(&self.category);
        let mut unit = None;
        if let Some(u) = present(&self.unit) {
            match u.parse::<Uuid>() {
                Ok(id) => unit = Some(id),
                Err(_) => c.add("unit", Msg::UnknownUnit),
            }
        }
        let mut assignee_me = false;
        if let Some(a) = present(&self.assignee) {
            if a == "me" {
                assignee_me = true;
            } else {
                match a.parse::<Uuid>() {
                    Ok(id) => f.assignee = Some(id),
                    Err(_) => c.add("assignee", Msg::InvalidAssignee),
                }
            }
        }
        match present(&self.overdue).as_deref() {
            None | Some("false") => {}
            Some("true") => f.overdue = true,
            Some(_) => c.add("overdue", Msg::InvalidValue),
        }
        f.q = present(&self.q);
        if let Some(b) = present(&self.bbox) {
            f.bbox = BBox::parse(&b);
            if f.bbox.is_none() {
                c.add("bbox", Msg::InvalidBbox);
            }
        }
        if let Some(s) = present(&self.from) {
            f.from = parse_time(&s, tz, false);
            if f.from.is_none() {
                c.add("from", Msg::InvalidDate);
            }
        }
        if let Some(s) = present(&self.to) {
            f.to = parse_time(&s, tz, true);
            if f.to.is_none() {
                c.add("to", Msg::InvalidDate);
            }
        }
        f.sort = match present(&self.sort).as_deref() {
            None | Some("-created_at") => Sort::NewestFirst,
            Some("created_at") => Sort::OldestFirst,
            Some("due_at") => Sort::DueFirst,
            Some(_) => {
                c.add("sort", Msg::InvalidSort);
                Sort::NewestFirst
            }
        };
        let limit = parse_limit(&mut c, &self.limit);
        let cursor = present(&self.cursor).and_then(|s| {
            let k = QueueCursor::decode(&s);
            if k.is_none() {
                c.add("cursor", Msg::InvalidCursor);
            }
            k
        });
        Parsed {
            check: c,
            filter: f,
            unit,
            assignee_me,
            limit,
            cursor,
        }
    }
}

impl Validate for QueueQuery {
    fn validate(&self) -> AppResult<()> {
        self.parse(chrono_tz::UTC).check.finish()
    }
}

/// The triage queue in the caller's scope (officers: their unit's subtree;
/// coordinators: theirs, plus unrouted reports at the root; admins: all).
#[utoipa::path(get, path = "/staff/reports", tag = "staff", security(("bearer" = [])),
    params(QueueQuery),
    responses(
        (status = 200, body = Page<ReportBody>),
        (status = 403, description = "Not staff", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn queue_list(
    State(state): State<AppState>,
    Staff(user): Staff,
    ValidatedQuery(q): ValidatedQuery<QueueQuery>,
) -> AppResult<Json<Page<ReportBody>>> {
    let Parsed {
        mut filter,
        unit,
        assignee_me,
        limit,
        cursor,
        ..
    } = q.parse(state.config.city_tz);
    let scope = StaffScope::of(&state.db, &user)
        .await?
        .ok_or(AppError::Forbidden)?;
    if let Some(u) = unit {
        // A unit outside the scope simply matches nothing the scope allows.
        filter.units = Some(subtree_ids(&state.db, u).await?);
    }
    if assignee_me {
        filter.assignee = Some(user.id);
    }
    let now = state.clock.now();
    let rows = queue::list(&state.db, &scope, &filter, cursor, limit, now).await?;
    let more = rows.len() as u64 > limit;
    let mut rows = rows;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last()
            .map(|r| queue::cursor_of(r, filter.sort).encode())
    } else {
        None
    };
    let items = bodies(
        &state.db,
        rows.into_iter().map(|r| (r, Access::Staff)).collect(),
        false,
        i18n::current(),
        now,
    )
    .await?;
    Ok(Json(Page { items, next_cursor }))
}

/// Act on a report: the lifecycle decides who may do what from which status.
/// Out of scope is 404, a role that may not is 403, a status that does not
/// allow it (or that changed since you looked) is 409.
#[utoipa::path(post, path = "/staff/reports/{id}/actions", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = ActionRequest,
    responses(
        (status = 200, body = ReportBody),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn act(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<Uuid>,
    ValidatedJson(req): ValidatedJson<ActionRequest>,
) -> AppResult<Json<ReportBody>> {
    let report = staff::apply(&state, &user, id, req).await?;
    let mut v = bodies(
        &state.db,
        vec![(report, Access::Staff)],
        true,
        i18n::current(),
        state.clock.now(),
    )
    .await?;
    Ok(Json(v.pop().ok_or(AppError::NotFound)?))
}

/// A staff event with its internal note.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffEventBody {
    pub id: Uuid,
    pub kind: String,
    pub actor_id: Option<Uuid>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub public_message: Option<String>,
    pub internal_note: Option<String>,
    pub data: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

impl From<report_events::Model> for StaffEventBody {
    fn from(e: report_events::Model) -> Self {
        StaffEventBody {
            id: e.id,
            kind: e.kind.as_str().to_owned(),
            actor_id: e.actor_id,
            from_status: e.from_status.map(|s| s.as_str().to_owned()),
            to_status: e.to_status.map(|s| s.as_str().to_owned()),
            public_message: e.public_message,
            internal_note: e.internal_note,
            data: e.data,
            created_at: e.created_at,
        }
    }
}

/// Add an internal note (never shown to citizens).
#[utoipa::path(post, path = "/staff/reports/{id}/notes", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = MessageRequest,
    responses((status = 201, body = StaffEventBody), (status = 404, body = ProblemBody, content_type = "application/problem+json")))]
async fn add_note(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<Uuid>,
    ValidatedJson(req): ValidatedJson<MessageRequest>,
) -> AppResult<(StatusCode, Json<StaffEventBody>)> {
    let message = req.message.as_deref().unwrap_or_default().trim().to_owned();
    let e = staff::add_note(&state, &user, id, message).await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

/// The full timeline, internal notes included.
#[utoipa::path(get, path = "/staff/reports/{id}/events", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<StaffEventBody>), (status = 404, body = ProblemBody, content_type = "application/problem+json")))]
async fn events(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Vec<StaffEventBody>>> {
    let r = staff::scoped_report(&state, &user, id).await?;
    let all = report_events::Entity::find()
        .filter(report_events::Column::ReportId.eq(r.id))
        .order_by_asc(report_events::Column::CreatedAt)
        .order_by_asc(report_events::Column::Id)
        .all(&state.db)
        .await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Likely duplicates: same category, within about 500 m, within 30 days, not
/// closed, rejected or already merged.
#[utoipa::path(get, path = "/staff/reports/{id}/similar", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<ReportBody>), (status = 404, body = ProblemBody, content_type = "application/problem+json")))]
async fn similar(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Vec<ReportBody>>> {
    let r = staff::scoped_report(&state, &user, id).await?;
    let scope = StaffScope::of(&state.db, &user)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = queue::similar(&state.db, &scope, &r).await?;
    let items = bodies(
        &state.db,
        rows.into_iter().map(|r| (r, Access::Staff)).collect(),
        false,
        i18n::current(),
        state.clock.now(),
    )
    .await?;
    Ok(Json(items))
}
