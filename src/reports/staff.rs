//! Staff actions: the lifecycle applied in one transaction with the status
//! check, the report's timestamps and deadlines, the event, and the
//! notification fan-out.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

use super::deadlines::handling_deadline;
use super::lifecycle::{AUTO_CLOSE_DAYS, Action, Status, TransitionError, transition};
use super::scope::StaffScope;
use super::store::{NewEvent, append_event, write_change};
use crate::context::Ctx;
use crate::db::begin_write;
use crate::domain::geo::public_point;
use crate::domain::{Actor, EventKind, Month, Priority};
use crate::entities::{categories, report_events, report_followers, reports, users};
use crate::error::{AppError, AppResult};
use crate::messages::Msg;
use crate::org::routing::route;

/// A staff action with its arguments, already checked for shape (the
/// handler's `ActionRequest` becomes one of these).
#[derive(Debug, Clone)]
pub struct ActionInput {
    pub action: Action,
    pub unit_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    pub priority: Option<Priority>,
    pub public_message: Option<String>,
    pub internal_note: Option<String>,
    pub duplicate_of: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

impl ActionInput {
    pub fn new(action: Action) -> Self {
        ActionInput {
            action,
            unit_id: None,
            assignee_id: None,
            category_id: None,
            priority: None,
            public_message: None,
            internal_note: None,
            duplicate_of: None,
            due_at: None,
            reason: None,
        }
    }
}

/// Staff whose unit is `unit` or below it.
async fn officer_in<C: ConnectionTrait>(
    db: &C,
    assignee: Uuid,
    unit: Option<Uuid>,
) -> AppResult<users::Model> {
    let user = users::Entity::find_by_id(assignee)
        .one(db)
        .await?
        .filter(|u| u.disabled_at.is_none() && u.role.is_staff())
        .ok_or(AppError::field("assignee_id", Msg::AssigneeNotInUnit))?;
    if let Some(unit) = unit {
        let units = crate::org::units::subtree_ids(db, unit).await?;
        if !user.unit_id.is_some_and(|u| units.contains(&u)) {
            return Err(AppError::field("assignee_id", Msg::AssigneeNotInUnit));
        }
    }
    Ok(user)
}

/// Applies one staff action. Out of scope is 404, a role that may not is
/// 403, a status that does not allow it (or changed meanwhile) is 409.
pub async fn apply(
    ctx: Ctx<'_>,
    user: &Actor,
    scope: &StaffScope,
    id: Uuid,
    req: ActionInput,
) -> AppResult<reports::Model> {
    let action = req.action;
    let now = ctx.now;
    let calendar = crate::calendar::store::load(ctx.db, ctx.tz).await?;

    let txn = begin_write(ctx.db).await?;
    let r = reports::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let from = r.status;
    let to =
        transition(from, action, user.role, scope.contains(r.unit_id)).map_err(|e| match e {
            TransitionError::OutOfScope => AppError::NotFound,
            TransitionError::RoleNotAllowed => AppError::Forbidden,
            TransitionError::InvalidFromStatus => AppError::Conflict(Msg::InvalidTransition),
        })?;

    let mut m = r.clone().into_active_model();
    let mut data = serde_json::Map::new();
    let public_message = req.public_message.clone();
    let mut unit_id = r.unit_id;

    match action {
        Action::Accept | Action::Assign => {
            if let Some(u) = req.unit_id {
                if !scope.contains(Some(u))
                    || crate::entities::units::Entity::find_by_id(u)
                        .one(&txn)
                        .await?
                        .is_none()
                {
                    return Err(AppError::field("unit_id", Msg::UnitOutOfScope));
                }
                unit_id = Some(u);
                m.unit_id = Set(Some(u));
                data.insert("unit_id".into(), u.to_string().into());
            }
            if let Some(a) = req.assignee_id {
                officer_in(&txn, a, unit_id).await?;
                m.assignee_id = Set(Some(a));
                data.insert("assignee_id".into(), a.to_string().into());
            } else if unit_id != r.unit_id {
                // A new unit picks its own officer.
                m.assignee_id = Set(None);
            }
            let priority = match req.priority {
                Some(p) => {
                    m.priority = Set(p);
                    p
                }
                None => r.priority,
            };
            let urgent = priority == Priority::Urgent;
            if r.due_at.is_none() {
                let cat = categories::Entity::find_by_id(r.category_id)
                    .one(&txn)
                    .await?;
                let sla = cat.map(|c| c.sla_hours).unwrap_or(40);
                m.due_at = Set(Some(handling_deadline(&calendar, now, sla, urgent)));
            }
        }
        Action::Start => {
            if r.assignee_id.is_none() {
                m.assignee_id = Set(Some(user.id));
            }
        }
        Action::Resolve => {
            m.resolved_at = Set(Some(now));
            if r.handled_at.is_none() {
                m.handled_at = Set(Some(now));
                m.handled_month = Set(Some(Month::of(now, ctx.tz).yyyymm()));
            }
        }
        Action::Reject => {
            if r.handled_at.is_none() {
                m.handled_at = Set(Some(now));
                m.handled_month = Set(Some(Month::of(now, ctx.tz).yyyymm()));
            }
        }
        Action::MarkDuplicate => {
            let original_id = req.duplicate_of.unwrap_or_default();
            let original = reports::Entity::find_by_id(original_id)
                .one(&txn)
                .await?
                .filter(|o| {
                    o.id != r.id && o.status != Status::Duplicate && scope.contains(o.unit_id)
                })
                .ok_or(AppError::field("duplicate_of", Msg::DuplicateOfInvalid))?;
            m.duplicate_of = Set(Some(original.id));
            data.insert("duplicate_of".into(), original.id.to_string().into());
            data.insert("duplicate_of_code".into(), original.code.clone().into());
            // Followers move to the original only if they may see it.
            if original.is_public {
                merge_followers(&txn, &r, &original, now).await?;
            }
        }
        Action::Recategorize => {
            let cat = categories::Entity::find_by_id(req.category_id.unwrap_or_default())
                .one(&txn)
                .await?
                .filter(|c| c.active)
                .ok_or(AppError::field("category_id", Msg::UnknownCategory))?;
            let routed = route(&txn, &cat, r.area_code.as_deref()).await?;
            let (plat, plng) = public_point(r.lat, r.lng, cat.sensitive);
            m.category_id = Set(cat.id);
            m.public_lat = Set(plat);
            m.public_lng = Set(plng);
            if routed != r.unit_id {
                m.unit_id = Set(routed);
                m.assignee_id = Set(None);
            }
            data.insert("from_category_id".into(), r.category_id.to_string().into());
            data.insert("category_id".into(), cat.id.to_string().into());
            if let Some(u) = routed {
                data.insert("unit_id".into(), u.to_string().into());
            }
        }
        Action::Reopen => {
            m.handled_at = Set(None);
            m.handled_month = Set(None);
            m.resolved_at = Set(None);
            m.closed_at = Set(None);
            m.rating = Set(None);
            m.rating_comment = Set(None);
            m.rated_at = Set(None);
        }
        Action::Close => {
            m.closed_at = Set(Some(now));
        }
        Action::Extend => {
            let due = req.due_at.map(crate::clock::truncate).unwrap_or(now);
            if r.due_at.is_some_and(|d| due <= d) || due <= now {
                return Err(AppError::field("due_at", Msg::DueAtMustBeLater));
            }
            if let Some(old) = r.due_at {
                data.insert("from_due_at".into(), old.to_rfc3339().into());
            }
            data.insert("due_at".into(), due.to_rfc3339().into());
            m.due_at = Set(Some(due));
        }
    }
    if let Some(reason) = req.reason.clone() {
        data.insert("reason".into(), reason.into());
    }
    m.status = Set(to);
    m.updated_at = Set(now);

    // The version check: only one of two concurrent actions can move the
    // report from the state both saw.
    let event = NewEvent::transition(action.event_kind(), Some(user.id), from, to)
        .public_message(public_message)
        .internal_note(req.internal_note)
        .data(data);
    let (report, events) = write_change(&txn, ctx.tz, &r, m, vec![event], now).await?;
    for e in &events {
        crate::notifications::fan_out(&txn, &report, e, now).await?;
    }
    txn.commit().await?;
    Ok(report)
}

/// Followers of a duplicate follow the original instead ("me too" is kept).
async fn merge_followers<C: ConnectionTrait>(
    db: &C,
    dup: &reports::Model,
    original: &reports::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let followers = report_followers::Entity::find()
        .filter(report_followers::Column::ReportId.eq(dup.id))
        .all(db)
        .await?;
    let mut moved = 0;
    for f in followers {
        let already = report_followers::Entity::find_by_id((original.id, f.user_id))
            .one(db)
            .await?
            .is_some();
        if !already && original.reporter_id != Some(f.user_id) {
            report_followers::ActiveModel {
                report_id: Set(original.id),
                user_id: Set(f.user_id),
                created_at: Set(now),
            }
            .insert(db)
            .await?;
            moved += 1;
        }
    }
    // The duplicate's reporter is a "me too" of the original as well.
    if let Some(reporter) = dup.reporter_id
        && original.reporter_id != Some(reporter)
        && report_followers::Entity::find_by_id((original.id, reporter))
            .one(db)
            .await?
            .is_none()
    {
        report_followers::ActiveModel {
            report_id: Set(original.id),
            user_id: Set(reporter),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
        moved += 1;
    }
    report_followers::Entity::delete_many()
        .filter(report_followers::Column::ReportId.eq(dup.id))
        .exec(db)
        .await?;
    reports::Entity::update_many()
        .col_expr(reports::Column::FollowerCount, Expr::value(0))
        .filter(reports::Column::Id.eq(dup.id))
        .exec(db)
        .await?;
    if moved > 0 {
        reports::Entity::update_many()
            .col_expr(
                reports::Column::FollowerCount,
                Expr::col(reports::Column::FollowerCount).add(moved),
            )
            .filter(reports::Column::Id.eq(original.id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// An internal note: staff only, never shown to citizens. The caller
/// passes a report already loaded in their scope.
pub async fn add_note(
    ctx: Ctx<'_>,
    user: &Actor,
    report: &reports::Model,
    message: String,
) -> AppResult<report_events::Model> {
    append_event(
        ctx.db,
        report.id,
        NewEvent::new(EventKind::Note, Some(user.id)).internal_note(Some(message)),
        ctx.now,
    )
    .await
}

/// Closes reports resolved more than 7 days ago that nobody rated or
/// reopened. Safe with several instances: each close is a conditional update,
/// so a report closed by another instance is skipped without an event.
pub async fn auto_close(ctx: Ctx<'_>) -> AppResult<usize> {
    let now = ctx.now;
    let cutoff = now - Duration::days(AUTO_CLOSE_DAYS);
    let due: Vec<reports::Model> = reports::Entity::find()
        .filter(reports::Column::Status.eq(Status::Resolved))
        .filter(reports::Column::ResolvedAt.lte(cutoff))
        .all(ctx.db)
        .await?;
    let mut closed = 0;
    for candidate in due {
        let txn = begin_write(ctx.db).await?;
        // Re-read inside the transaction: another instance, or the citizen
        // rating it, may have changed it since the list was read.
        let Some(r) = reports::Entity::find_by_id(candidate.id).one(&txn).await? else {
            continue;
        };
        if r.status != Status::Resolved || r.resolved_at.is_none_or(|t| t > cutoff) {
            continue;
        }
        let mut m = r.clone().into_active_model();
        m.status = Set(Status::Closed);
        m.closed_at = Set(Some(now));
        m.updated_at = Set(now);
        let event = NewEvent::transition(EventKind::Closed, None, Status::Resolved, Status::Closed);
        let (report, events) = match write_change(&txn, ctx.tz, &r, m, vec![event], now).await {
            Ok(written) => written,
            // Closed (or changed) by someone else meanwhile: nothing to do.
            Err(AppError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        };
        for e in &events {
            crate::notifications::fan_out(&txn, &report, e, now).await?;
        }
        txn.commit().await?;
        closed += 1;
    }
    Ok(closed)
}
