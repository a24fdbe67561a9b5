//! The inbox and the outbox: written in the transaction of the change they
//! announce (so nothing acknowledged is lost), read and marked by their owner.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::rules::{Audience, audience, shown_message, staff_audience};
use crate::context::Ctx;
use crate::domain::{DeliveryStatus, Role};
use crate::entities::{
    notifications, outbox, report_events, report_followers, reports, units, users,
};
use crate::error::{AppError, AppResult};
use crate::org::units::root_unit;
use crate::pagination::{Keyset, newest_first};

/// Who hears of an event: the reporter of everything public that staff or
/// the system did; followers of status changes too; staff of work coming to
/// them (`rules::staff_audience`). Never the actor, never for internal notes.
/// Every event but an internal note also gets its outbox row (`report.event`,
/// with the people notified), in the change's transaction: the delivery
/// worker turns it into webhook deliveries and one push per person. Call it
/// for every event a change appends.
pub async fn fan_out<C: ConnectionTrait>(
    db: &C,
    report: &reports::Model,
    event: &report_events::Model,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let mut recipients: Vec<Uuid> = Vec::new();
    match audience(event.kind) {
        Audience::Nobody => {}
        Audience::Reporter => recipients.extend(report.reporter_id),
        Audience::ReporterAndFollowers => {
            recipients.extend(report.reporter_id);
            let followers: Vec<Uuid> = report_followers::Entity::find()
                .select_only()
                .column(report_followers::Column::UserId)
                .filter(report_followers::Column::ReportId.eq(report.id))
                .into_tuple()
                .all(db)
                .await?;
            recipients.extend(followers);
        }
    }
    let staff = staff_audience(event.kind, event.data.as_ref());
    if staff.unit_coordinators {
        let unit = match report.unit_id {
            Some(u) => Some(u),
            // Unrouted: it waits at the root for its coordinators.
            None => root_unit(db).await?.map(|u| u.id),
        };
        if let Some(unit) = unit {
            recipients.extend(coordinators_of(db, unit).await?);
        }
    }
    if staff.assignee {
        recipients.extend(report.assignee_id);
    }
    if staff.parent_coordinators {
        // The unit above the report's; a report at the top goes to its own.
        let unit = match report.unit_id {
            Some(u) => units::Entity::find_by_id(u)
                .one(db)
                .await?
                .map(|u| u.parent_id.unwrap_or(u.id)),
            None => root_unit(db).await?.map(|u| u.id),
        };
        if let Some(unit) = unit {
            recipients.extend(coordinators_of(db, unit).await?);
        }
    }
    recipients.retain(|u| Some(*u) != event.actor_id);
    recipients.sort();
    recipients.dedup();
    if event.kind.is_internal() {
        return Ok(0);
    }
    let rows: Vec<notifications::ActiveModel> = recipients
        .iter()
        .map(|user| notifications::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(*user),
            report_id: Set(report.id),
            event_id: Set(event.id),
            kind: Set(event.kind),
            report_code: Set(report.code.clone()),
            to_status: Set(event.to_status),
            message: Set(shown_message(report, event)),
            created_at: Set(now),
            read_at: Set(None),
        })
        .collect();
    if !rows.is_empty() {
        notifications::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    outbox::Entity::insert(outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        topic: Set("report.event".into()),
        payload: Set(serde_json::json!({
            "report_id": report.id,
            "report_code": report.code,
            "event_id": event.id,
            "kind": event.kind,
            "to_status": event.to_status,
            "recipients": recipients,
        })),
        created_at: Set(now),
        attempts: Set(0),
        next_attempt_at: Set(now),
        delivered_at: Set(None),
        last_error: Set(None),
        status: Set(DeliveryStatus::Pending),
        locked_until: Set(None),
    })
    .exec(db)
    .await?;
    Ok(recipients.len())
}

/// A user's inbox, newest first, after `cursor`, `limit + 1` rows.
pub async fn inbox<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    cursor: Option<Keyset>,
    limit: u64,
) -> AppResult<Vec<notifications::Model>> {
    Ok(newest_first(
        notifications::Entity::find().filter(notifications::Column::UserId.eq(user)),
        notifications::Column::CreatedAt,
        notifications::Column::Id,
        cursor,
        limit,
    )
    .all(db)
    .await?)
}

/// Marks one of `user`'s notifications read; 404 for anyone else's. Marking
/// it again changes nothing.
pub async fn mark_read(ctx: Ctx<'_>, user: Uuid, id: Uuid) -> AppResult<()> {
    let n = notifications::Entity::find_by_id(id)
        .one(ctx.db)
        .await?
        .filter(|n| n.user_id == user)
        .ok_or(AppError::NotFound)?;
    if n.read_at.is_none() {
        notifications::Entity::update_many()
            .col_expr(notifications::Column::ReadAt, Expr::value(ctx.now))
            .filter(notifications::Column::Id.eq(id))
            .exec(ctx.db)
            .await?;
    }
    Ok(())
}

/// The active coordinators of `unit`.
async fn coordinators_of<C: ConnectionTrait>(db: &C, unit: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::UnitId.eq(unit))
        .filter(users::Column::Role.eq(Role::Coordinator))
        .filter(users::Column::DisabledAt.is_null())
        .into_tuple()
        .all(db)
        .await?)
}
