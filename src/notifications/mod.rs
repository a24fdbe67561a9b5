//! The per-user inbox, and the outbox that a push or webhook sender will
//! drain. Both are written in the transaction of the change they announce, so
//! nothing acknowledged is lost.

pub mod routes;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::domain::{DeliveryStatus, EventKind};
use crate::entities::{notifications, outbox, report_events, report_followers, reports};
use crate::error::AppResult;

/// Who hears of an event: the reporter of everything public that staff or
/// the system did; followers of status changes too. Never the actor, never
/// for internal notes.
pub async fn fan_out<C: ConnectionTrait>(
    db: &C,
    report: &reports::Model,
    event: &report_events::Model,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let mut recipients: Vec<Uuid> = Vec::new();
    match event.kind {
        EventKind::Note | EventKind::Created | EventKind::Rated => {}
        EventKind::Comment => recipients.extend(report.reporter_id),
        _ => {
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
    recipients.retain(|u| Some(*u) != event.actor_id);
    recipients.sort();
    recipients.dedup();
    if recipients.is_empty() {
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
            message: Set(event.public_message.clone()),
            created_at: Set(now),
            read_at: Set(None),
        })
        .collect();
    notifications::Entity::insert_many(rows).exec(db).await?;
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
    })
    .exec(db)
    .await?;
    Ok(recipients.len())
}
