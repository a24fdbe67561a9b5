//! The staff side: the triage queue, actions, notes, the full timeline,
//! likely duplicates.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::dto::MessageRequest;
use super::extract::{ETag, ScopedReport, etag, if_match_version, staff_lens};
use super::lifecycle::Action;
use super::lifecycle::Status;
use super::queries;
use super::queue::{self, QueueCursor, QueueFilter, Sort};
use super::scope::StaffScope;
use super::staff::{self, ActionInput};
use super::view::{ReportBody, UnitRef, staff_bodies};
use crate::auth::extract::Staff;
use crate::domain::geo::BBox;
use crate::domain::{Priority, Role};
use crate::entities::report_events;
use crate::error::{AppError, AppResult, ProblemBody};
use crate::http::extract::{ValidatedJson, ValidatedQuery};
use crate::http::openapi;
use crate::i18n;
use crate::messages::Msg;
use crate::pagination::{Page, parse_limit};
use crate::state::AppState;
use crate::validate::{Check, Validate, nonblank};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue_list))
        .routes(routes!(act))
        .routes(routes!(add_note))
        .routes(routes!(events))
        .routes(routes!(similar))
        .routes(routes!(people))
}

fn statuses() -> utoipa::openapi::schema::Array {
    openapi::list_of(Status::ALL.iter().map(|s| s.as_str()))
}

fn sorts() -> utoipa::openapi::schema::Object {
    openapi::one_of(["-created_at", "created_at", "due_at"])
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Repeatable: `status=submitted&status=assigned` (or a comma list).
    #[serde(default)]
    #[param(schema_with = statuses)]
    pub status: Vec<String>,
    /// Category id or code.
    pub category: Option<String>,
    /// A unit id: that unit and everything below it.
    #[param(schema_with = openapi::uuid)]
    pub unit: Option<String>,
    /// `me` or a user id.
    #[param(schema_with = openapi::me_or_uuid)]
    pub assignee: Option<String>,
    /// `true`: open and past the deadline.
    #[param(schema_with = openapi::boolean)]
    pub overdue: Option<String>,
    /// Text, diacritics-insensitive (`duong lang` finds `Đường Láng`).
    pub q: Option<String>,
    /// `minLng,minLat,maxLng,maxLat` (exact locations).
    #[param(schema_with = openapi::bbox)]
    pub bbox: Option<String>,
    /// Filed at or after (YYYY-MM-DD in the city's zone, or RFC 3339).
    #[param(schema_with = openapi::day)]
    pub from: Option<String>,
    /// Filed before (YYYY-MM-DD: before the end of that day).
    #[param(schema_with = openapi::day)]
    pub to: Option<String>,
    /// `-created_at` (default, newest first), `created_at`, `due_at` (soonest first, none last).
    #[param(schema_with = sorts)]
    pub sort: Option<String>,
    #[param(schema_with = openapi::limit)]
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
        let present = nonblank;
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
            match k {
                None => c.add("cursor", Msg::InvalidCursor),
                // A cursor continues the order it was made in, never another.
                Some(k) if k.s != f.sort => c.add("cursor", Msg::CursorForAnotherSort),
                Some(_) => {}
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

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(example = json!({"action": "resolve", "public_message": "Đã thay bóng đèn, đèn sáng bình thường."}))]
pub struct ActionRequest {
    /// `accept`, `assign`, `start`, `resolve`, `reject`, `mark_duplicate`,
    /// `recategorize`, `reopen`, `close`, `extend`
    #[schema(required = true)]
    pub action: Option<String>,
    /// accept/assign: the unit to handle it (within your subtree).
    pub unit_id: Option<Uuid>,
    /// accept/assign: an officer of that unit.
    pub assignee_id: Option<Uuid>,
    /// recategorize: the right category; the report is routed again, and a
    /// deadline it has is computed again under the new category.
    pub category_id: Option<Uuid>,
    /// accept/assign: `normal` or `urgent` (a quarter of the handling time);
    /// a change gives a report that has a deadline a new one from now.
    pub priority: Option<String>,
    /// Shown to the citizen; required for resolve and reject.
    pub public_message: Option<String>,
    /// Staff only.
    pub internal_note: Option<String>,
    /// mark_duplicate: the original report.
    pub duplicate_of: Option<Uuid>,
    /// extend: the new deadline (later than the current one).
    pub due_at: Option<DateTime<Utc>>,
    /// extend (required), reject, reopen: why.
    pub reason: Option<String>,
    /// The report's `version` when you loaded it (as `If-Match` does): if it
    /// has changed since, the action is refused with 409 and the problem's
    /// `current_version`. Omit to act on whatever version it is at.
    #[schema(example = 3)]
    pub expected_version: Option<i32>,
}

impl Validate for ActionRequest {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        let action = c.text("action", &self.action, 32).map(Action::parse);
        if action == Some(None) {
            c.add("action", Msg::InvalidAction);
        }
        if let Some(p) = &self.priority
            && Priority::parse(p).is_none()
        {
            c.add("priority", Msg::InvalidPriority);
        }
        for (field, v, max) in [
            ("public_message", &self.public_message, 4000),
            ("internal_note", &self.internal_note, 4000),
            ("reason", &self.reason, 2000),
        ] {
            if let Some(v) = v {
                c.max_len(field, v, max);
            }
        }
        let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
        match action.flatten() {
            Some(a) if a.needs_public_message() && blank(&self.public_message) => {
                c.add("public_message", Msg::PublicMessageRequired)
            }
            Some(Action::MarkDuplicate) if self.duplicate_of.is_none() => {
                c.add("duplicate_of", Msg::Required)
            }
            Some(Action::Recategorize) if self.category_id.is_none() => {
                c.add("category_id", Msg::Required)
            }
            Some(Action::Assign) if self.unit_id.is_none() && self.assignee_id.is_none() => {
                c.add("unit_id", Msg::NothingToAssign)
            }
            Some(Action::Extend) => {
                if self.due_at.is_none() {
                    c.add("due_at", Msg::Required);
                }
                if blank(&self.reason) {
                    c.add("reason", Msg::ReasonRequired);
                }
            }
            _ => {}
        }
        c.finish()
    }
}

impl ActionRequest {
    /// The request as the service takes it (after `validate`), with the
    /// version `If-Match` asked for (`None`: no header, or `*`).
    fn into_input(self, if_match: Option<i32>) -> AppResult<ActionInput> {
        let expected_version = match (if_match, self.expected_version) {
            (Some(h), Some(b)) if h != b => {
                return Err(AppError::field("expected_version", Msg::VersionsDisagree));
            }
            (h, b) => h.or(b),
        };
        let action = self
            .action
            .as_deref()
            .map(str::trim)
            .and_then(Action::parse)
            .ok_or(AppError::field("action", Msg::InvalidAction))?;
        Ok(ActionInput {
            action,
            unit_id: self.unit_id,
            assignee_id: self.assignee_id,
            category_id: self.category_id,
            priority: self.priority.as_deref().and_then(Priority::parse),
            public_message: nonblank(&self.public_message),
            internal_note: nonblank(&self.internal_note),
            duplicate_of: self.duplicate_of,
            due_at: self.due_at,
            reason: nonblank(&self.reason),
            expected_version,
        })
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
    let scope = StaffScope::of(&state.db, &user.actor())
        .await?
        .ok_or(AppError::Forbidden)?;
    if let Some(u) = unit {
        // A unit outside the scope simply matches nothing the scope allows.
        filter.units = Some(crate::org::reference::current(&state.db).await?.subtree(u));
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
    let items = staff_bodies(
        &state.db,
        &*crate::org::reference::current(&state.db).await?,
        rows,
        false,
        i18n::current(),
        now,
        &staff_lens(&state, user.role).await?,
    )
    .await?;
    Ok(Json(Page { items, next_cursor }))
}

/// Act on a report: the lifecycle decides who may do what from which status.
/// Out of scope is 404, a role that may not is 403, a status that does not
/// allow it (or that changed since you looked) is 409. Send the version you
/// loaded (`If-Match: "<version>"`, or `expected_version`) and a report
/// changed since is a 409 whose problem carries `current_version`, with
/// nothing written.
#[utoipa::path(post, path = "/staff/reports/{id}/actions", tag = "staff", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path),
        ("If-Match" = Option<String>, Header,
            description = "The report's version as loaded (its `ETag`): `\"3\"` or `W/\"3\"`; `*` is any version. Another version than the report's is a 409 with `current_version`; a malformed value is a 422 naming `If-Match`; one that differs from `expected_version` is a 422 naming `expected_version`.",
            example = "\"3\""),
    ),
    request_body = ActionRequest,
    responses(
        (status = 200, body = ReportBody, headers(("ETag" = String, description = "The report's new version, `\"<version>\"`"))),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The status does not allow the action, or the report changed since the version you sent (`If-Match`, `expected_version`) or since it was read: then the problem carries `current_version`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn act(
    State(state): State<AppState>,
    ScopedReport {
        report,
        user,
        scope,
    }: ScopedReport,
    headers: HeaderMap,
    ValidatedJson(req): ValidatedJson<ActionRequest>,
) -> AppResult<(ETag, Json<ReportBody>)> {
    let input = req.into_input(if_match_version(&headers)?)?;
    let rules = staff::StaffRules {
        max_extension: chrono::Duration::days(i64::from(state.config.reports.max_extension_days)),
    };
    let report = staff::apply(state.ctx(), &user.actor(), &scope, report.id, input, &rules).await?;
    let tag = etag(report.version);
    let mut v = staff_bodies(
        &state.db,
        &*crate::org::reference::current(&state.db).await?,
        vec![report],
        true,
        i18n::current(),
        state.clock.now(),
        &staff_lens(&state, user.role).await?,
    )
    .await?;
    Ok((tag, Json(v.pop().ok_or(AppError::NotFound)?)))
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
    ScopedReport { report, user, .. }: ScopedReport,
    ValidatedJson(req): ValidatedJson<MessageRequest>,
) -> AppResult<(StatusCode, Json<StaffEventBody>)> {
    let e = staff::add_note(state.ctx(), &user.actor(), &report, req.text()).await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

/// The full timeline, internal notes included.
#[utoipa::path(get, path = "/staff/reports/{id}/events", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<StaffEventBody>), (status = 404, body = ProblemBody, content_type = "application/problem+json")))]
async fn events(
    State(state): State<AppState>,
    ScopedReport { report, .. }: ScopedReport,
) -> AppResult<Json<Vec<StaffEventBody>>> {
    let all = queries::timeline(&state.db, report.id).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Likely duplicates: same category, within about 500 m, within 30 days, not
/// closed, rejected or already merged.
#[utoipa::path(get, path = "/staff/reports/{id}/similar", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<ReportBody>), (status = 404, body = ProblemBody, content_type = "application/problem+json")))]
async fn similar(
    State(state): State<AppState>,
    ScopedReport {
        report,
        scope,
        user,
    }: ScopedReport,
) -> AppResult<Json<Vec<ReportBody>>> {
    let rows = queue::similar(&state.db, &scope, &report).await?;
    let items = staff_bodies(
        &state.db,
        &*crate::org::reference::current(&state.db).await?,
        rows,
        false,
        i18n::current(),
        state.clock.now(),
        &staff_lens(&state, user.role).await?,
    )
    .await?;
    Ok(Json(items))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// The unit (with the units under it) whose staff to list.
    #[param(required = true)]
    pub unit: Option<Uuid>,
}

impl Validate for PeopleQuery {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        c.required("unit", &self.unit);
        c.finish()
    }
}

/// A member of staff someone may assign a report to.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonBody {
    pub id: Uuid,
    pub full_name: String,
    /// `officer` or `coordinator`.
    pub role: Role,
    pub unit: UnitRef,
}

/// How many people one answer lists at most.
const PEOPLE_LIMIT: u64 = 500;

/// Whom a report can be assigned to: the active officers and coordinators
/// of a unit and the units under it, within the caller's scope, by unit and
/// name (at most 500). A unit outside the scope lists no one.
#[utoipa::path(get, path = "/staff/people", tag = "staff", security(("bearer" = [])),
    params(PeopleQuery),
    responses(
        (status = 200, body = Vec<PersonBody>),
        (status = 403, description = "Not staff", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn people(
    State(state): State<AppState>,
    Staff(user): Staff,
    ValidatedQuery(q): ValidatedQuery<PeopleQuery>,
) -> AppResult<Json<Vec<PersonBody>>> {
    let scope = StaffScope::of(&state.db, &user.actor())
        .await?
        .ok_or(AppError::Forbidden)?;
    let refs = crate::org::reference::current(&state.db).await?;
    let unit = q.unit.unwrap_or_default();
    let found = queries::assignable(&state.db, &refs, &scope, unit, PEOPLE_LIMIT).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|(u, unit)| PersonBody {
                id: u.id,
                full_name: u.full_name,
                role: u.role,
                unit: UnitRef {
                    id: unit.id,
                    code: unit.code,
                    name: unit.name,
                },
            })
            .collect(),
    ))
}
