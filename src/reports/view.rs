//! The Report body, as each kind of viewer may see it. Lists are assembled
//! with one query per related table, never one per report.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult,
    JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::lifecycle::allowed_actions;
use super::reminders::{Reminder, due_reminder};
use super::scope::{Access, access};
use crate::context::Ctx;
use crate::domain::{Actor, EventKind, Role, Status};
use crate::entities::{
    api_clients, categories, contacts, media, open311_requests, report_events, report_media,
    reports, units, users,
};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::org::category_name;
use crate::org::reference::Reference;

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRef {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitRef {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MediaRef {
    pub id: Uuid,
    /// Fetch with the same credentials as the report.
    #[schema(example = "/api/v1/media/0199a1b2-0000-7000-8000-000000000003")]
    pub url: String,
    pub content_type: String,
}

impl MediaRef {
    pub fn new(id: Uuid, content_type: String) -> MediaRef {
        MediaRef {
            id,
            url: format!("/api/v1/media/{id}"),
            content_type,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReporterBody {
    pub id: Uuid,
    pub full_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventBody {
    pub id: Uuid,
    /// `created`, `accepted`, `assigned`, `started`, `resolved`, `rejected`,
    /// `marked_duplicate`, `reopened`, `closed`, `extended`, `comment`, `rated`
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub public_message: Option<String>,
    /// `reporter`, `staff` or `system`.
    pub by: &'static str,
    pub created_at: DateTime<Utc>,
}

/// A person an Open311 client filed for who has no account.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactBody {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// How a report filed through Open311 came in (staff only).
#[derive(Debug, Serialize, ToSchema)]
pub struct Open311Source {
    /// The API client's name.
    pub api_client: String,
    pub device_id: Option<String>,
    /// The citizen's id in the client's own system.
    pub account_id: Option<String>,
    /// A link the client sent; not fetched, open it with care.
    pub media_url: Option<String>,
    /// Whom to call back, when no account matched.
    pub contact: Option<ContactBody>,
}

/// A report. `reporter` appears for its owner and staff only; `timeline` in
/// single-report answers only.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportBody {
    pub id: Uuid,
    #[schema(example = "PA-7K3M9Q")]
    pub code: String,
    /// `submitted` | `assigned` | `in_progress` | `resolved` | `closed` | `rejected` | `duplicate`
    pub status: String,
    /// `normal` | `urgent`
    pub priority: String,
    pub category: CategoryRef,
    pub title: String,
    pub description: String,
    /// Exact for the owner and staff; for the public, coarsened to about 500 m
    /// in sensitive categories.
    pub lat: f64,
    pub lng: f64,
    /// Hidden from the public in sensitive categories.
    pub address: Option<String>,
    pub area_code: Option<String>,
    pub media: Vec<MediaRef>,
    pub unit: Option<UnitRef>,
    pub ack_due_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    /// Open and past `due_at`.
    pub overdue: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Counts the changes staff act on (status, unit, assignee, category,
    /// deadline…); the single-report answers carry it as `ETag: "<version>"`.
    /// Send it back as `If-Match` (or `expected_version`) with a staff action
    /// so that a change made meanwhile is a 409, not overwritten.
    #[schema(example = 3)]
    pub version: i32,
    pub resolved_at: Option<DateTime<Utc>>,
    pub rating: Option<i16>,
    pub follower_count: i32,
    pub is_public: bool,
    pub is_anonymous: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter: Option<ReporterBody>,
    /// Staff only, for reports filed through Open311.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open311: Option<Open311Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<EventBody>>,
    /// Staff only: the actions the caller may send now (`POST
    /// /staff/reports/{id}/actions`), decided by the lifecycle, so that no
    /// client re-implements it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(["start", "resolve"]))]
    pub allowed_actions: Option<Vec<String>>,
    /// Staff only: open, not overdue yet, and its next deadline (the
    /// acknowledgement while `submitted`, `due_at` after) falls within
    /// `notifications.deadline_warning_hours` working hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_soon: Option<bool>,
}

/// What staff see on top of a report in their scope: what they may do now,
/// and whether its deadline is near in working hours.
#[derive(Debug, Clone, Copy)]
pub struct StaffLens {
    pub role: Role,
    /// `deadline_warning_hours` working hours from now.
    pub horizon: DateTime<Utc>,
}

impl StaffLens {
    /// The lens of `role` at `ctx.now` (reads the working calendar).
    pub async fn load(ctx: Ctx<'_>, role: Role, warn_hours: u32) -> AppResult<StaffLens> {
        let calendar = crate::calendar::store::load(ctx.db, ctx.tz).await?;
        Ok(StaffLens {
            role,
            horizon: calendar
                .add_working_hours(ctx.now, warn_hours)
                .unwrap_or(ctx.now + chrono::Duration::hours(i64::from(warn_hours))),
        })
    }

    fn allowed_actions(&self, r: &reports::Model) -> Vec<String> {
        allowed_actions(r.status, self.role)
            .into_iter()
            .map(|a| a.as_str().to_owned())
            .collect()
    }

    fn due_soon(&self, r: &reports::Model, now: DateTime<Utc>) -> bool {
        matches!(
            due_reminder(r, now, self.horizon),
            Some((Reminder::AckDue | Reminder::Due, _))
        )
    }
}

pub fn is_overdue(r: &reports::Model, now: DateTime<Utc>) -> bool {
    r.status.is_open() && r.due_at.is_some_and(|d| now > d)
}

/// Who made an event, as the timeline shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Reporter,
    Staff,
    System,
}

impl By {
    pub fn of(e: &report_events::Model, r: &reports::Model) -> By {
        match e.actor_id {
            None => By::System,
            Some(a) if Some(a) == r.reporter_id => By::Reporter,
            Some(_) => By::Staff,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            By::Reporter => "reporter",
            By::Staff => "staff",
            By::System => "system",
        }
    }
}

impl EventBody {
    pub fn new(e: report_events::Model, by: By) -> EventBody {
        EventBody {
            id: e.id,
            kind: e.kind.as_str().to_owned(),
            from_status: e.from_status.map(|s| s.as_str().to_owned()),
            to_status: e.to_status.map(|s| s.as_str().to_owned()),
            public_message: e.public_message,
            by: by.as_str(),
            created_at: e.created_at,
        }
    }
}

/// Builds the bodies of `rows` (each with the caller's access to it), with
/// one query per related table. Categories and units come from `refs`
/// (reference data in memory); one missing there (made a moment ago by
/// another instance) is read.
pub async fn bodies<C: ConnectionTrait>(
    db: &C,
    refs: &Reference,
    rows: Vec<(reports::Model, Access)>,
    with_timeline: bool,
    locale: Locale,
    now: DateTime<Utc>,
) -> AppResult<Vec<ReportBody>> {
    let view = View {
        with_timeline,
        locale,
        now,
        lens: None,
    };
    build(db, refs, rows, view).await
}

/// Staff bodies of `rows`, all in the caller's scope, with what `lens` adds.
pub async fn staff_bodies<C: ConnectionTrait>(
    db: &C,
    refs: &Reference,
    rows: Vec<reports::Model>,
    with_timeline: bool,
    locale: Locale,
    now: DateTime<Utc>,
    lens: &StaffLens,
) -> AppResult<Vec<ReportBody>> {
    let rows = rows.into_iter().map(|r| (r, Access::Staff)).collect();
    let view = View {
        with_timeline,
        locale,
        now,
        lens: Some(*lens),
    };
    build(db, refs, rows, view).await
}

async fn build<C: ConnectionTrait>(
    db: &C,
    refs: &Reference,
    rows: Vec<(reports::Model, Access)>,
    view: View,
) -> AppResult<Vec<ReportBody>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let related = Related::load(db, &rows, view.with_timeline).await?;
    assemble(db, refs, rows, related, &view).await
}

/// How the bodies are drawn: with a timeline or not, in which language, at
/// which instant, and (for staff) through which lens.
#[derive(Clone, Copy)]
struct View {
    with_timeline: bool,
    locale: Locale,
    now: DateTime<Utc>,
    lens: Option<StaffLens>,
}

/// One report with its timeline as `viewer` may see it (`GET
/// /reports/{id}`), or `None` when they may not (404, as if it did not
/// exist). On PostgreSQL the row comes with its photos, timeline and reporter
/// in one statement, so an anonymous read is one round trip; staff add one
/// for the Open311 side. SQLite, in process, has no round trips to save and
/// reads a table at a time.
pub async fn one(
    db: &DatabaseConnection,
    refs: &Reference,
    viewer: Option<&Actor>,
    id: Uuid,
    locale: Locale,
    now: DateTime<Utc>,
    lens: Option<StaffLens>,
) -> AppResult<Option<ReportBody>> {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let found = if postgres {
        with_relations(db, id).await?
    } else {
        let row = reports::Entity::find_by_id(id).one(db).await?;
        row.map(|r| (r, Related::default()))
    };
    let Some((report, mut related)) = found else {
        return Ok(None);
    };
    let Some(access) = access(db, viewer, &report).await? else {
        return Ok(None);
    };
    let rows = vec![(report, access)];
    if !postgres {
        related = Related::load(db, &rows, true).await?;
    } else if access == Access::Staff {
        related.sources = open311_sources(db, vec![id]).await?;
    }
    let view = View {
        with_timeline: true,
        locale,
        now,
        lens,
    };
    Ok(assemble(db, refs, rows, related, &view).await?.pop())
}

/// What a body needs besides its row and the reference data.
#[derive(Default)]
struct Related {
    /// Reporters who still have an account; only those the caller may see.
    reporters: HashMap<Uuid, ReporterBody>,
    media: HashMap<Uuid, Vec<MediaRef>>,
    events: HashMap<Uuid, Vec<report_events::Model>>,
    sources: HashMap<Uuid, Open311Source>,
}

impl Related {
    /// One query per table for all of `rows`.
    async fn load<C: ConnectionTrait>(
        db: &C,
        rows: &[(reports::Model, Access)],
        with_timeline: bool,
    ) -> AppResult<Related> {
        let ids: Vec<Uuid> = rows.iter().map(|(r, _)| r.id).collect();
        let reporter_ids: Vec<Uuid> = rows
            .iter()
            .filter(|(_, a)| a.is_full())
            .filter_map(|(r, _)| r.reporter_id)
            .collect();
        let reporters = if reporter_ids.is_empty() {
            HashMap::new()
        } else {
            users::Entity::find()
                .filter(users::Column::Id.is_in(reporter_ids))
                .filter(users::Column::DeletedAt.is_null())
                .all(db)
                .await?
                .into_iter()
                .map(|u| {
                    (
                        u.id,
                        ReporterBody {
                            id: u.id,
                            full_name: u.full_name,
                            phone: u.phone,
                            email: u.email,
                        },
                    )
                })
                .collect()
        };
        // The photos and videos with their types, in one query.
        let links: Vec<(Uuid, Uuid, String)> = report_media::Entity::find()
            .select_only()
            .column(report_media::Column::ReportId)
            .column(report_media::Column::MediaId)
            .column(media::Column::ContentType)
            .join(
                JoinType::InnerJoin,
                report_media::Entity::belongs_to(media::Entity)
                    .from(report_media::Column::MediaId)
                    .to(media::Column::Id)
                    .into(),
            )
            .filter(report_media::Column::ReportId.is_in(ids.clone()))
            .order_by_asc(report_media::Column::Position)
            .into_tuple()
            .all(db)
            .await?;
        let mut media: HashMap<Uuid, Vec<MediaRef>> = HashMap::new();
        for (report_id, media_id, content_type) in links {
            media
                .entry(report_id)
                .or_default()
                .push(MediaRef::new(media_id, content_type));
        }
        let staff_ids: Vec<Uuid> = rows
            .iter()
            .filter(|(_, a)| *a == Access::Staff)
            .map(|(r, _)| r.id)
            .collect();
        let sources = open311_sources(db, staff_ids).await?;
        let mut events: HashMap<Uuid, Vec<report_events::Model>> = HashMap::new();
        if with_timeline {
            for e in report_events::Entity::find()
                .filter(report_events::Column::ReportId.is_in(ids))
                .order_by_asc(report_events::Column::CreatedAt)
                .order_by_asc(report_events::Column::Id)
                .all(db)
                .await?
            {
                events.entry(e.report_id).or_default().push(e);
            }
        }
        Ok(Related {
            reporters,
            media,
            events,
            sources,
        })
    }
}

/// A report's photos in order, as `[[media_id, content_type], …]`.
const MEDIA_JSON: &str = r#"(SELECT json_agg(json_build_array(rm.media_id, m.content_type) ORDER BY rm.position)
   FROM report_media rm JOIN media m ON m.id = rm.media_id
  WHERE rm.report_id = "reports"."id")"#;

/// A report's whole timeline, oldest first, as `EventRow`s.
const EVENTS_JSON: &str = r#"(SELECT json_agg(json_build_object(
        'id', e.id, 'actor_id', e.actor_id, 'kind', e.kind,
        'from_status', e.from_status, 'to_status', e.to_status,
        'public_message', e.public_message, 'internal_note', e.internal_note,
        'data', e.data, 'created_at', e.created_at) ORDER BY e.created_at, e.id)
   FROM report_events e WHERE e.report_id = "reports"."id")"#;

/// The reporter, while they have an account.
const REPORTER_JSON: &str = r#"(SELECT json_build_object(
        'id', u.id, 'full_name', u.full_name, 'phone', u.phone, 'email', u.email)
   FROM users u WHERE u.id = "reports"."reporter_id" AND u.deleted_at IS NULL)"#;

/// A timeline event as `EVENTS_JSON` spells it.
#[derive(Deserialize)]
struct EventRow {
    id: Uuid,
    actor_id: Option<Uuid>,
    kind: EventKind,
    from_status: Option<Status>,
    to_status: Option<Status>,
    public_message: Option<String>,
    internal_note: Option<String>,
    data: Option<serde_json::Value>,
    created_at: DateTime<Utc>,
}

/// The report `id` with its photos, timeline and reporter, in one statement
/// (PostgreSQL). Which of them the caller sees is decided after, as for a
/// list.
async fn with_relations(
    db: &DatabaseConnection,
    id: Uuid,
) -> AppResult<Option<(reports::Model, Related)>> {
    let q = reports::Entity::find_by_id(id)
        .expr_as(Expr::cust(MEDIA_JSON), "cf_media")
        .expr_as(Expr::cust(EVENTS_JSON), "cf_events")
        .expr_as(Expr::cust(REPORTER_JSON), "cf_reporter");
    let Some(row) = db.query_one_raw(q.build(DbBackend::Postgres)).await? else {
        return Ok(None);
    };
    let report = reports::Model::from_query_result(&row, "")?;
    let column = |col: &str| -> AppResult<Option<serde_json::Value>> {
        Ok(row.try_get::<Option<serde_json::Value>>("", col)?)
    };
    let mut related = Related::default();
    if let Some(v) = column("cf_media")? {
        let list: Vec<(Uuid, String)> = decode("cf_media", v)?;
        let list = list.into_iter().map(|(m, t)| MediaRef::new(m, t));
        related.media.insert(id, list.collect());
    }
    if let Some(v) = column("cf_events")? {
        let list: Vec<EventRow> = decode("cf_events", v)?;
        let list = list.into_iter().map(|e| report_events::Model {
            id: e.id,
            report_id: id,
            actor_id: e.actor_id,
            kind: e.kind,
            from_status: e.from_status,
            to_status: e.to_status,
            public_message: e.public_message,
            internal_note: e.internal_note,
            data: e.data,
            created_at: e.created_at,
        });
        related.events.insert(id, list.collect());
    }
    if let Some(v) = column("cf_reporter")? {
        let u: ReporterBody = decode("cf_reporter", v)?;
        related.reporters.insert(u.id, u);
    }
    Ok(Some((report, related)))
}

fn decode<T: serde::de::DeserializeOwned>(column: &str, v: serde_json::Value) -> AppResult<T> {
    serde_json::from_value(v).map_err(|e| AppError::internal(format!("reading {column}: {e}")))
}

/// The bodies of `rows` from their relations.
async fn assemble<C: ConnectionTrait>(
    db: &C,
    refs: &Reference,
    rows: Vec<(reports::Model, Access)>,
    mut related: Related,
    view: &View,
) -> AppResult<Vec<ReportBody>> {
    let View {
        with_timeline,
        locale,
        now,
        lens,
    } = *view;
    let mut cats: HashMap<Uuid, categories::Model> = HashMap::new();
    let mut units: HashMap<Uuid, units::Model> = HashMap::new();
    let (mut missing_cats, mut missing_units) = (Vec::new(), Vec::new());
    for (r, _) in &rows {
        match refs.categories.get(&r.category_id) {
            Some(c) => {
                cats.insert(c.id, c.clone());
            }
            None => missing_cats.push(r.category_id),
        }
        if let Some(u) = r.unit_id {
            match refs.units.get(&u) {
                Some(m) => {
                    units.insert(u, m.clone());
                }
                None => missing_units.push(u),
            }
        }
    }
    if !missing_cats.is_empty() {
        for c in categories::Entity::find()
            .filter(categories::Column::Id.is_in(missing_cats))
            .all(db)
            .await?
        {
            cats.insert(c.id, c);
        }
    }
    if !missing_units.is_empty() {
        for u in units::Entity::find()
            .filter(units::Column::Id.is_in(missing_units))
            .all(db)
            .await?
        {
            units.insert(u.id, u);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for (r, access) in rows {
        let full = access.is_full();
        let cat = cats.get(&r.category_id);
        let sensitive = cat.is_some_and(|c| c.sensitive);
        let (lat, lng) = if full {
            (r.lat, r.lng)
        } else {
            (r.public_lat, r.public_lng)
        };
        let timeline = with_timeline.then(|| {
            related
                .events
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .filter(|e| visible_event(e.kind, access))
                .map(|mut e| {
                    // What the reporter wrote (a rating comment, a reopen
                    // reason) is between them and the city, not for the public.
                    if !full && e.actor_id.is_some() && e.actor_id == r.reporter_id {
                        e.public_message = None;
                    }
                    let by = By::of(&e, &r);
                    EventBody::new(e, by)
                })
                .collect()
        });
        let reporter = if full {
            r.reporter_id
                .and_then(|id| related.reporters.get(&id))
                .cloned()
        } else {
            None
        };
        let lens = lens.filter(|_| access == Access::Staff);
        let allowed_actions = lens.map(|l| l.allowed_actions(&r));
        let due_soon = lens.map(|l| l.due_soon(&r, now));
        out.push(ReportBody {
            overdue: is_overdue(&r, now),
            version: r.version,
            id: r.id,
            code: r.code,
            status: r.status.as_str().to_owned(),
            priority: r.priority.as_str().to_owned(),
            category: CategoryRef {
                id: r.category_id,
                code: cat.map(|c| c.code.clone()).unwrap_or_default(),
                name: cat.map(|c| category_name(c, locale)).unwrap_or_default(),
            },
            title: r.title,
            description: r.description,
            lat,
            lng,
            address: if full || !sensitive { r.address } else { None },
            area_code: r.area_code,
            media: related.media.remove(&r.id).unwrap_or_default(),
            unit: r.unit_id.and_then(|u| units.get(&u)).map(|u| UnitRef {
                id: u.id,
                code: u.code.clone(),
                name: u.name.clone(),
            }),
            ack_due_at: r.ack_due_at,
            due_at: r.due_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            resolved_at: r.resolved_at,
            rating: r.rating,
            follower_count: r.follower_count,
            is_public: r.is_public,
            is_anonymous: r.is_anonymous,
            reporter,
            open311: related.sources.remove(&r.id),
            timeline,
            allowed_actions,
            due_soon,
        });
    }
    Ok(out)
}

/// The Open311 side of these reports, for staff.
async fn open311_sources<C: ConnectionTrait>(
    db: &C,
    ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Open311Source>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let filings = open311_requests::Entity::find()
        .filter(open311_requests::Column::ReportId.is_in(ids))
        .all(db)
        .await?;
    if filings.is_empty() {
        return Ok(HashMap::new());
    }
    let clients: HashMap<Uuid, String> = api_clients::Entity::find()
        .filter(
            api_clients::Column::Id
                .is_in(filings.iter().map(|f| f.api_client_id).collect::<Vec<_>>()),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let contact_ids: Vec<Uuid> = filings.iter().filter_map(|f| f.contact_id).collect();
    let people: HashMap<Uuid, contacts::Model> = if contact_ids.is_empty() {
        HashMap::new()
    } else {
        contacts::Entity::find()
            .filter(contacts::Column::Id.is_in(contact_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect()
    };
    Ok(filings
        .into_iter()
        .map(|f| {
            // One person may have filed several of these reports.
            let contact = f
                .contact_id
                .and_then(|c| people.get(&c))
                .map(|c| ContactBody {
                    first_name: c.first_name.clone(),
                    last_name: c.last_name.clone(),
                    email: c.email.clone(),
                    phone: c.phone.clone(),
                });
            (
                f.report_id,
                Open311Source {
                    api_client: clients.get(&f.api_client_id).cloned().unwrap_or_default(),
                    device_id: f.device_id,
                    account_id: f.account_id,
                    media_url: f.media_url,
                    contact,
                },
            )
        })
        .collect())
}

/// Internal notes never leave the staff side; comments are between the
/// citizen and staff, so the public does not see them either.
pub fn visible_event(kind: EventKind, access: Access) -> bool {
    match kind {
        EventKind::Note => false,
        EventKind::Comment => access.is_full(),
        k if k.is_staff_reminder() => access == Access::Staff,
        _ => true,
    }
}
