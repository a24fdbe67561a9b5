//! Staff actions: the lifecycle applied in one transaction with the status
//! check, the report's timestamps and deadlines, the event, and the
//! notification fan-out.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::deadlines::check_extension;
use super::effects::{self, Recategorized, StaffInput};
use super::lifecycle::{AUTO_CLOSE_DAYS, Action, Status, TransitionError, transition};
use super::scope::StaffScope;
use super::store::{NewEvent, append_event, stale, write_change};
use crate::context::Ctx;
use crate::db::begin_write;
use crate::domain::geo::public_point;
use crate::domain::{Actor, EventKind, Priority};
use crate::entities::{categories, report_events, report_followers, reports, users};
use crate::error::{AppError, AppResult};
use crate::messages::Msg;
use crate::org::routing::route;
use crate::validate::nonblank;

/// A staff action with its arguments, checked for shape (the handler's
/// `ActionRequest` becomes one of these); text is trimmed here again, so
/// callers without a handler (Open311, jobs) store the same.
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
    /// The version the caller decided on (`If-Match` or `expected_version`):
    /// a report at another one is a 409 carrying the current version. `None`:
    /// whatever version it is at (still guarded against a change between
    /// this transaction's read and its write).
    pub expected_version: Option<i32>,
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

/// Limits on what staff may set.
#[derive(Debug, Clone, Copy)]
pub struct StaffRules {
    /// How far ahead of now `extend` may put a deadline.
    pub max_extension: chrono::Duration,
}

/// The handling time when a report's category is gone (it never is: categories
/// are deactivated, not deleted).
const DEFAULT_SLA_HOURS: i32 = 40;

/// The handling hours of a report's category.
pub(crate) async fn sla_hours<C: ConnectionTrait>(db: &C, category: Uuid) -> AppResult<i32> {
    let cat = categories::Entity::find_by_id(category).one(db).await?;
    Ok(cat.map_or(DEFAULT_SLA_HOURS, |c| c.sla_hours))
}

/// Applies one staff action. Out of scope is 404, a role that may not is
/// 403, a status that does not allow it (or changed meanwhile) is 409. A
/// deadlock or serialization failure is tried again from the start (it may
/// then find the report changed) before it is a 409.
pub async fn apply(
    ctx: Ctx<'_>,
    user: &Actor,
    scope: &StaffScope,
    id: Uuid,
    req: ActionInput,
    rules: &StaffRules,
) -> AppResult<reports::Model> {
    crate::db::retry_contention(|| apply_once(ctx, user, scope, id, req.clone(), rules)).await
}

async fn apply_once(
    ctx: Ctx<'_>,
    user: &Actor,
    scope: &StaffScope,
    id: Uuid,
    req: ActionInput,
    rules: &StaffRules,
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
    let decided = transition(from, action, user.role, scope.contains(r.unit_id));
    if matches!(decided, Err(TransitionError::OutOfScope)) {
        return Err(AppError::NotFound);
    }
    // A console that loaded an older version hears so before anything else
    // (its action may no longer make sense): nothing is written.
    if let Some(expected) = req.expected_version
        && expected != r.version
    {
        return Err(stale(r.version));
    }
    let to = decided.map_err(|e| match e {
        TransitionError::OutOfScope => AppError::NotFound,
        TransitionError::RoleNotAllowed => AppError::Forbidden,
        TransitionError::InvalidFromStatus => AppError::Conflict(Msg::InvalidTransition),
    })?;

    // Check what the action names (in scope, existing, later) and gather what
    // `effects` needs; the facts also go into the event's data.
    let mut input = StaffInput {
        actor: user.id,
        priority: req.priority,
        ..StaffInput::default()
    };
    let mut data = serde_json::Map::new();
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
                input.unit_id = Some(u);
                data.insert("unit_id".into(), u.to_string().into());
            }
            if let Some(a) = req.assignee_id {
                officer_in(&txn, a, input.unit_id.or(r.unit_id)).await?;
                input.assignee_id = Some(a);
                data.insert("assignee_id".into(), a.to_string().into());
            }
            // The first deadline, or a new one under a new priority.
            input.sla_hours = sla_hours(&txn, r.category_id).await?;
        }
        Action::MarkDuplicate => {
            let original_id = req.duplicate_of.unwrap_or_default();
            // Both reports locked, in one order (PostgreSQL; SQLite's writers
            // are serial): "A duplicate of B" and "B duplicate of A" at once
            // take turns, and the second sees the first and is refused,
            // instead of both leaving the queue. The original is read after.
            let mut pair = [r.id, original_id];
            pair.sort();
            for id in pair {
                reports::Entity::find_by_id(id)
                    .lock_exclusive()
                    .one(&txn)
                    .await?;
            }
            let original = reports::Entity::find_by_id(original_id)
                .one(&txn)
                .await?
                .filter(|o| {
                    o.id != r.id && o.status != Status::Duplicate && scope.contains(o.unit_id)
                })
                .ok_or(AppError::field("duplicate_of", Msg::DuplicateOfInvalid))?;
            input.duplicate_of = Some(original.id);
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
            let (public_lat, public_lng) = public_point(r.lat, r.lng, cat.sensitive);
            input.sla_hours = cat.sla_hours;
            input.recategorized = Some(Recategorized {
                category_id: cat.id,
                unit_id: routed,
                public_lat,
                public_lng,
            });
            data.insert("from_category_id".into(), r.category_id.to_string().into());
            data.insert("category_id".into(), cat.id.to_string().into());
            if let Some(u) = routed {
                data.insert("unit_id".into(), u.to_string().into());
            }
        }
        Action::Extend => {
            let due = req.due_at.map(crate::clock::truncate).unwrap_or(now);
            check_extension(now, r.due_at, due, rules.max_extension)
                .map_err(|m| AppError::field("due_at", m))?;
            if let Some(old) = r.due_at {
                data.insert("from_due_at".into(), old.to_rfc3339().into());
            }
            data.insert("due_at".into(), due.to_rfc3339().into());
            input.due_at = Some(due);
        }
        Action::Reopen => {
            // A fresh deadline; a report without a unit is routed again.
            let cat = categories::Entity::find_by_id(r.category_id)
                .one(&txn)
                .await?;
            input.sla_hours = cat.as_ref().map_or(DEFAULT_SLA_HOURS, |c| c.sla_hours);
            if r.unit_id.is_none()
                && let Some(cat) = &cat
                && let Some(u) = route(&txn, cat, r.area_code.as_deref()).await?
            {
                input.unit_id = Some(u);
                data.insert("unit_id".into(), u.to_string().into());
            }
        }
        Action::Start | Action::Resolve | Action::Reject | Action::Close => {}
    }
    if let Some(reason) = nonblank(&req.reason) {
        data.insert("reason".into(), reason.into());
    }
    let mut next = r.clone();
    effects::staff_action(&mut next, action, to, &input, &calendar, now, ctx.tz);
    // A deadline given again (reopen, a new priority or category) is
    // recorded like an extension; the first one is not news.
    if action != Action::Extend
        && next.due_at != r.due_at
        && (r.due_at.is_some() || action == Action::Reopen)
        && let Some(due) = next.due_at
    {
        if let Some(old) = r.due_at {
            data.insert("from_due_at".into(), old.to_rfc3339().into());
        }
        data.insert("due_at".into(), due.to_rfc3339().into());
    }

    // The version check: only one of two concurrent actions can move the
    // report from the state both saw.
    let event = NewEvent::transition(action.event_kind(), Some(user.id), from, to)
        .public_message(nonblank(&req.public_message))
        .internal_note(nonblank(&req.internal_note))
        .data(data);
    let m = effects::as_update(&r, &next);
    let (report, events) = write_change(&txn, ctx.tz, &r, m, vec![event], now).await?;
    if let (Action::MarkDuplicate, Some(original)) = (action, input.duplicate_of) {
        // Reports already merged into this one now point at its original:
        // every duplicate names a report that is not one, so no chain
        // forms. (Whoever merges into this report holds its lock, taken
        // above, so none is missed.)
        reports::Entity::update_many()
            .col_expr(reports::Column::DuplicateOf, Expr::value(original))
            .filter(reports::Column::DuplicateOf.eq(r.id))
            .exec(&txn)
            .await?;
    }
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
    auto_close_by_pages(ctx, AUTO_CLOSE_PAGE).await
}

/// [`auto_close`], reading `page` candidates at a time.
pub async fn auto_close_by_pages(ctx: Ctx<'_>, page_size: u64) -> AppResult<usize> {
    let now = ctx.now;
    let cutoff = now - Duration::days(AUTO_CLOSE_DAYS);
    // `effects::auto_close_due` decides again for each, inside its
    // transaction. Candidates are read a page at a time, in the order of
    // `idx_reports_status_resolved`, so a backlog (after downtime, an
    // import) never loads at once.
    let mut closed = 0;
    let mut after: Option<(DateTime<Utc>, Uuid)> = None;
    loop {
        let mut page = reports::Entity::find()
            .select_only()
            .column(reports::Column::ResolvedAt)
            .column(reports::Column::Id)
            .filter(reports::Column::Status.eq(Status::Resolved))
            .filter(reports::Column::ResolvedAt.lte(cutoff))
            .order_by_asc(reports::Column::ResolvedAt)
            .order_by_asc(reports::Column::Id)
            .limit(page_size);
        if let Some((t, id)) = after {
            page = page.filter(
                Expr::tuple([
                    Expr::col(reports::Column::ResolvedAt),
                    Expr::col(reports::Column::Id),
                ])
                .gt(Expr::tuple([Expr::val(t), Expr::val(id)])),
            );
        }
        let ids: Vec<(Option<DateTime<Utc>>, Uuid)> = page.into_tuple().all(ctx.db).await?;
        let Some((Some(t), id)) = ids.last().copied() else {
            break;
        };
        after = Some((t, id));
        for (_, id) in ids {
            closed += close_if_due(ctx, id, now).await?;
        }
    }
    Ok(closed)
}

/// How many candidates `auto_close` reads at a time.
const AUTO_CLOSE_PAGE: u64 = 500;

/// Closes report `id` if it is still due to close by itself; 1 if it did.
async fn close_if_due(ctx: Ctx<'_>, id: Uuid, now: DateTime<Utc>) -> AppResult<usize> {
    let txn = begin_write(ctx.db).await?;
    // Re-read inside the transaction: another instance, or the citizen
    // rating it, may have changed it since the list was read.
    let Some(r) = reports::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(0);
    };
    let mut next = r.clone();
    if effects::auto_close(&mut next, now).is_err() {
        return Ok(0);
    }
    let m = effects::as_update(&r, &next);
    let event = NewEvent::transition(EventKind::Closed, None, Status::Resolved, Status::Closed);
    let (report, events) = match write_change(&txn, ctx.tz, &r, m, vec![event], now).await {
        Ok(written) => written,
        // Closed (or changed) by someone else meanwhile: nothing to do.
        Err(AppError::Conflict(_)) => return Ok(0),
        Err(e) => return Err(e),
    };
    for e in &events {
        crate::notifications::fan_out(&txn, &report, e, now).await?;
    }
    txn.commit().await?;
    Ok(1)
}
