//! The reads behind a stream, without HTTP: the events in a caller's scope
//! after a cursor, the time of an event a client resumes after, and whether
//! the caller may still read.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::session::session_alive;
use crate::context::Ctx;
use crate::domain::{Actor, EventKind, Status};
use crate::entities::{report_events, reports, users};
use crate::error::AppResult;
use crate::reports::scope::StaffScope;

/// One event as a stream sends it (the `data:` of an SSE event).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StreamEvent {
    pub event_id: Uuid,
    pub report_id: Uuid,
    #[schema(example = "PA-7K3M9Q")]
    pub code: String,
    pub kind: EventKind,
    /// The status the event moved the report to, or for an event that moves
    /// none (a comment, a note), the report's status now.
    pub status: Status,
    pub unit_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

impl StreamEvent {
    /// `report.<kind>`, the SSE event name.
    pub fn event_type(&self) -> String {
        format!("report.{}", self.kind.as_str())
    }
}

fn events_to_reports() -> sea_orm::RelationDef {
    report_events::Entity::belongs_to(reports::Entity)
        .from(report_events::Column::ReportId)
        .to(reports::Column::Id)
        .into()
}

/// Up to `limit` events of reports in `scope`, made at or after `since`,
/// strictly after `after` in (created_at, id) order when given; in that
/// order. Notes included: staff see them.
pub async fn events_after<C: ConnectionTrait>(
    db: &C,
    scope: &StaffScope,
    since: DateTime<Utc>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> AppResult<Vec<StreamEvent>> {
    let mut q = report_events::Entity::find()
        .join(JoinType::InnerJoin, events_to_reports())
        .filter(scope.condition())
        .filter(report_events::Column::CreatedAt.gte(since));
    if let Some((at, id)) = after {
        q = q.filter(
            Condition::any()
                .add(report_events::Column::CreatedAt.gt(at))
                .add(
                    Condition::all()
                        .add(report_events::Column::CreatedAt.eq(at))
                        .add(report_events::Column::Id.gt(id)),
                ),
        );
    }
    let rows = q
        .order_by_asc(report_events::Column::CreatedAt)
        .order_by_asc(report_events::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<Uuid> = rows.iter().map(|e| e.report_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let of: HashMap<Uuid, reports::Model> = reports::Entity::find()
        .filter(reports::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|e| {
            let r = of.get(&e.report_id)?;
            Some(StreamEvent {
                event_id: e.id,
                report_id: e.report_id,
                code: r.code.clone(),
                kind: e.kind,
                status: e.to_status.unwrap_or(r.status),
                unit_id: r.unit_id,
                at: e.created_at,
            })
        })
        .collect())
}

/// When event `id` was made, if it exists. Only its time is used (where a
/// resume starts), so the caller's scope does not matter here.
pub async fn event_time<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<Option<DateTime<Utc>>> {
    Ok(report_events::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|e| e.created_at))
}

/// Who opened a stream, as it was when they did.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    /// When the access token that opened the stream expires.
    pub token_expires_at: DateTime<Utc>,
    /// The session (refresh-token family) of that token: the stream ends
    /// with it. `None` only for feeds started without a token (tests).
    pub session_id: Option<Uuid>,
}

/// Why a stream ends before the client closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The access token expired: reconnect with a fresh one.
    TokenExpired,
    /// The account was disabled or deleted.
    AccountClosed,
    /// The role or unit changed, and with it the scope: reconnect.
    AccountChanged,
    /// The session ended: logout, refresh-token reuse, a password change
    /// or reset, an admin's revocation.
    SessionEnded,
    /// The server is shutting down: reconnect (to another instance).
    ServerShutdown,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::TokenExpired => "token_expired",
            EndReason::AccountClosed => "account_closed",
            EndReason::AccountChanged => "account_changed",
            EndReason::SessionEnded => "session_ended",
            EndReason::ServerShutdown => "server_shutdown",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            EndReason::TokenExpired => {
                "The access token expired; reconnect with a fresh token and Last-Event-ID."
            }
            EndReason::AccountClosed => "The account was disabled or deleted.",
            EndReason::AccountChanged => {
                "The account's role or unit changed; reconnect to read the new scope."
            }
            EndReason::SessionEnded => "The session has ended; sign in again.",
            EndReason::ServerShutdown => {
                "The server is shutting down; reconnect with Last-Event-ID."
            }
        }
    }
}

/// Whether `caller` may still read the stream at `ctx.now`: `None` if so,
/// else why not. The same facts the bearer check uses on every request.
pub async fn standing(ctx: Ctx<'_>, caller: &Caller) -> AppResult<Option<EndReason>> {
    if ctx.now >= caller.token_expires_at {
        return Ok(Some(EndReason::TokenExpired));
    }
    let user = users::Entity::find_by_id(caller.actor.id)
        .one(ctx.db)
        .await?;
    Ok(match user {
        None => Some(EndReason::AccountClosed),
        Some(u) if u.disabled_at.is_some() || u.deleted_at.is_some() => {
            Some(EndReason::AccountClosed)
        }
        Some(u) if u.role != caller.actor.role || u.unit_id != caller.actor.unit_id => {
            Some(EndReason::AccountChanged)
        }
        Some(u) => match caller.session_id {
            Some(sid) if !session_alive(ctx.db, u.id, sid, ctx.now).await? => {
                Some(EndReason::SessionEnded)
            }
            _ => None,
        },
    })
}
