//! Housekeeping: what a running deployment deletes as it goes, so tables and
//! the object store do not grow for ever. Each sweep is a set of bounded,
//! idempotent deletes: any number of instances may run it at once (two that
//! pick the same rows delete them once), and a sweep cut short is finished by
//! the next.

use chrono::Duration;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

use crate::context::Ctx;
use crate::domain::DeliveryStatus;
use crate::entities::{
    media, notifications, outbox, password_reset_codes, refresh_tokens, report_media,
    webhook_deliveries,
};
use crate::error::AppResult;
use crate::media::storage::Storage;

/// How long things are kept (`[housekeeping]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Uploads no report uses, after this many hours (their files too).
    pub unattached_media_hours: i64,
    /// Delivered outbox rows and finished webhook deliveries, after this many days.
    pub delivered_days: i64,
    /// Notifications read this many days ago.
    pub read_notifications_days: i64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            unattached_media_hours: 24,
            delivered_days: 30,
            read_notifications_days: 180,
        }
    }
}

/// What one sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Swept {
    pub expired_sessions: u64,
    /// Password reset codes past their expiry, used or not.
    pub expired_reset_codes: u64,
    pub unattached_media: u64,
    pub outbox_rows: u64,
    pub webhook_deliveries: u64,
    pub read_notifications: u64,
}

impl Swept {
    pub fn total(&self) -> u64 {
        self.expired_sessions
            + self.expired_reset_codes
            + self.unattached_media
            + self.outbox_rows
            + self.webhook_deliveries
            + self.read_notifications
    }
}

/// Rows per delete statement: keeps each statement (and its locks) short.
const BATCH: u64 = 500;

/// One sweep of everything past its retention.
pub async fn sweep(ctx: Ctx<'_>, storage: &Storage, keep: &Retention) -> AppResult<Swept> {
    Ok(Swept {
        expired_sessions: expired_sessions(ctx).await?,
        expired_reset_codes: expired_reset_codes(ctx).await?,
        unattached_media: unattached_media(ctx, storage, keep).await?,
        outbox_rows: delivered_outbox(ctx, keep).await?,
        webhook_deliveries: finished_webhook_deliveries(ctx, keep).await?,
        read_notifications: read_notifications(ctx, keep).await?,
    })
}

/// Refresh tokens past their expiry: no use for them, not even reuse
/// detection (an expired token is refused before its family is looked at).
async fn expired_sessions(ctx: Ctx<'_>) -> AppResult<u64> {
    Ok(refresh_tokens::Entity::delete_many()
        .filter(refresh_tokens::Column::ExpiresAt.lt(ctx.now))
        .exec(ctx.db)
        .await?
        .rows_affected)
}

/// Password reset codes past their expiry: no code works after it.
async fn expired_reset_codes(ctx: Ctx<'_>) -> AppResult<u64> {
    Ok(password_reset_codes::Entity::delete_many()
        .filter(password_reset_codes::Column::ExpiresAt.lt(ctx.now))
        .exec(ctx.db)
        .await?
        .rows_affected)
}

/// Uploads never attached to a report, older than the retention: the rows
/// go first (only while still unattached, checked in the same statement, so
/// a report filed meanwhile keeps its photo), then their files. A file whose
/// delete fails is only a leak, never a row pointing at nothing.
async fn unattached_media(ctx: Ctx<'_>, storage: &Storage, keep: &Retention) -> AppResult<u64> {
    let cutoff = ctx.now - Duration::hours(keep.unattached_media_hours);
    let mut deleted = 0;
    loop {
        let candidates: Vec<(Uuid, String)> = media::Entity::find()
            .select_only()
            .column(media::Column::Id)
            .column(media::Column::StorageKey)
            .filter(media::Column::CreatedAt.lt(cutoff))
            .filter(media::Column::Id.not_in_subquery(attached()))
            .limit(BATCH)
            .into_tuple()
            .all(ctx.db)
            .await?;
        if candidates.is_empty() {
            return Ok(deleted);
        }
        let gone = delete_unattached(ctx.db, &candidates).await?;
        for (id, key) in &gone {
            if let Err(e) = storage.delete(key).await {
                tracing::warn!(media_id = %id, error = %e, "could not delete an unattached upload's file");
            }
        }
        deleted += gone.len() as u64;
        if (candidates.len() as u64) < BATCH {
            return Ok(deleted);
        }
    }
}

/// `report_media.media_id`, for "not attached" conditions.
fn attached() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(report_media::Column::MediaId)
        .from(report_media::Entity)
        .to_owned()
}

/// Deletes those of `candidates` still unattached (another instance may have
/// deleted some, a report may have taken one); returns the ones it deleted.
async fn delete_unattached<C: ConnectionTrait>(
    db: &C,
    candidates: &[(Uuid, String)],
) -> AppResult<Vec<(Uuid, String)>> {
    let mut gone = Vec::new();
    for (id, key) in candidates {
        let n = media::Entity::delete_many()
            .filter(media::Column::Id.eq(*id))
            .filter(media::Column::Id.not_in_subquery(attached()))
            .exec(db)
            .await?
            .rows_affected;
        if n == 1 {
            gone.push((*id, key.clone()));
        }
    }
    Ok(gone)
}

/// Outbox rows delivered longer ago than the retention.
async fn delivered_outbox(ctx: Ctx<'_>, keep: &Retention) -> AppResult<u64> {
    let cutoff = ctx.now - Duration::days(keep.delivered_days);
    Ok(outbox::Entity::delete_many()
        .filter(outbox::Column::Status.eq(DeliveryStatus::Delivered))
        .filter(outbox::Column::DeliveredAt.lt(cutoff))
        .exec(ctx.db)
        .await?
        .rows_affected)
}

/// Webhook deliveries that ended (delivered, or failed for good) longer ago
/// than the retention; pending ones stay whatever their age.
async fn finished_webhook_deliveries(ctx: Ctx<'_>, keep: &Retention) -> AppResult<u64> {
    let cutoff = ctx.now - Duration::days(keep.delivered_days);
    Ok(webhook_deliveries::Entity::delete_many()
        .filter(
            webhook_deliveries::Column::Status
                .is_in([DeliveryStatus::Delivered, DeliveryStatus::Failed]),
        )
        .filter(webhook_deliveries::Column::CreatedAt.lt(cutoff))
        .exec(ctx.db)
        .await?
        .rows_affected)
}

/// Notifications read longer ago than the retention; unread ones stay.
async fn read_notifications(ctx: Ctx<'_>, keep: &Retention) -> AppResult<u64> {
    let cutoff = ctx.now - Duration::days(keep.read_notifications_days);
    Ok(notifications::Entity::delete_many()
        .filter(notifications::Column::ReadAt.lt(cutoff))
        .exec(ctx.db)
        .await?
        .rows_affected)
}
