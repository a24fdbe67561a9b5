//! Webhook endpoints and their delivery log: the admin's transactions, and
//! the expansion of a report event into one delivery per subscribed endpoint.

use chrono::{DateTime, Duration, Utc};
use rand::RngExt as _;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use super::rules::{event_type, parse_target, subscribed};
use super::send::{TargetError, check_target};
use super::signature::secret_from_bytes;
use crate::context::Ctx;
use crate::db::begin_write;
use crate::domain::DeliveryStatus;
use crate::entities::{outbox, report_events, reports, webhook_deliveries, webhooks};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::messages::Msg;
use crate::pagination::{Keyset, newest_first};
use crate::reports::scope::Access;
use crate::reports::view::{By, bodies};

/// The outbox topic of one webhook delivery (the row's id is the delivery's).
pub const TOPIC: &str = "webhook";

/// After a rotation the old secret keeps signing this long.
pub const OLD_SECRET_HOURS: i64 = 24;

/// What an admin registers.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
}

/// What an admin changes; `None` leaves it.
#[derive(Debug, Clone, Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    pub active: Option<bool>,
}

fn new_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    secret_from_bytes(&bytes)
}

/// The URL, checked for shape and for where it points (422 on `url`).
pub async fn checked_url(raw: &str, allow_private: bool) -> AppResult<String> {
    let url = parse_target(raw).ok_or_else(|| AppError::field("url", Msg::InvalidWebhookUrl))?;
    match check_target(&url, allow_private).await {
        Ok(_) => Ok(url.to_string()),
        Err(TargetError::NotPublic | TargetError::Unresolvable) => {
            Err(AppError::field("url", Msg::NonPublicWebhookTarget))
        }
    }
}

/// The event types an endpoint hears, from its JSON column.
pub fn events_of(w: &webhooks::Model) -> Vec<String> {
    serde_json::from_value(w.events.clone()).unwrap_or_default()
}

/// Registers an endpoint with a new secret (returned once, in the model).
pub async fn create(
    ctx: Ctx<'_>,
    new: NewWebhook,
    allow_private: bool,
) -> AppResult<webhooks::Model> {
    let url = checked_url(&new.url, allow_private).await?;
    Ok(webhooks::ActiveModel {
        id: Set(Uuid::now_v7()),
        url: Set(url),
        events: Set(json!(new.events)),
        description: Set(new.description),
        secret: Set(new_secret()),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        active: Set(true),
        failing_since: Set(None),
        created_at: Set(ctx.now),
        updated_at: Set(ctx.now),
    }
    .insert(ctx.db)
    .await?)
}

/// Every endpoint, oldest first.
pub async fn list<C: ConnectionTrait>(db: &C) -> AppResult<Vec<webhooks::Model>> {
    Ok(webhooks::Entity::find()
        .order_by_asc(webhooks::Column::CreatedAt)
        .order_by_asc(webhooks::Column::Id)
        .all(db)
        .await?)
}

pub async fn get<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<webhooks::Model> {
    webhooks::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Changes an endpoint. Turning it back on forgets that it was failing.
pub async fn update(
    ctx: Ctx<'_>,
    id: Uuid,
    ch: WebhookChanges,
    allow_private: bool,
) -> AppResult<webhooks::Model> {
    let url = match &ch.url {
        Some(u) => Some(checked_url(u, allow_private).await?),
        None => None,
    };
    let w = get(ctx.db, id).await?;
    let mut m: webhooks::ActiveModel = w.into();
    if let Some(u) = url {
        m.url = Set(u);
    }
    if let Some(e) = ch.events {
        m.events = Set(json!(e));
    }
    if let Some(d) = ch.description {
        m.description = Set(d);
    }
    if let Some(a) = ch.active {
        m.active = Set(a);
        if a {
            m.failing_since = Set(None);
        }
    }
    m.updated_at = Set(ctx.now);
    Ok(m.update(ctx.db).await?)
}

/// Deletes an endpoint, its delivery log and its queued deliveries.
pub async fn delete(ctx: Ctx<'_>, id: Uuid) -> AppResult<()> {
    let txn = begin_write(ctx.db).await?;
    get(&txn, id).await?;
    let ids: Vec<Uuid> = webhook_deliveries::Entity::find()
        .select_only()
        .column(webhook_deliveries::Column::Id)
        .filter(webhook_deliveries::Column::WebhookId.eq(id))
        .filter(webhook_deliveries::Column::Status.eq(DeliveryStatus::Pending))
        .into_tuple()
        .all(&txn)
        .await?;
    for chunk in ids.chunks(500) {
        outbox::Entity::delete_many()
            .filter(outbox::Column::Id.is_in(chunk.to_vec()))
            .filter(outbox::Column::Topic.eq(TOPIC))
            .exec(&txn)
            .await?;
    }
    webhooks::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// A new secret; the old one signs too for the next 24 hours.
pub async fn rotate_secret(ctx: Ctx<'_>, id: Uuid) -> AppResult<webhooks::Model> {
    let w = get(ctx.db, id).await?;
    let old = w.secret.clone();
    let mut m: webhooks::ActiveModel = w.into();
    m.secret = Set(new_secret());
    m.previous_secret = Set(Some(old));
    m.previous_secret_until = Set(Some(ctx.now + Duration::hours(OLD_SECRET_HOURS)));
    m.updated_at = Set(ctx.now);
    Ok(m.update(ctx.db).await?)
}

/// The secrets that sign a message at `now`: the current one, and the
/// previous one for a day after a rotation.
pub fn signing_secrets(w: &webhooks::Model, now: DateTime<Utc>) -> Vec<&str> {
    let mut s = vec![w.secret.as_str()];
    if let (Some(old), Some(until)) = (&w.previous_secret, w.previous_secret_until)
        && now < until
    {
        s.push(old.as_str());
    }
    s
}

/// An endpoint's deliveries, newest first, after `cursor`, `limit + 1` rows.
pub async fn deliveries<C: ConnectionTrait>(
    db: &C,
    webhook: Uuid,
    cursor: Option<Keyset>,
    limit: u64,
) -> AppResult<Vec<webhook_deliveries::Model>> {
    get(db, webhook).await?;
    Ok(newest_first(
        webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::WebhookId.eq(webhook)),
        webhook_deliveries::Column::CreatedAt,
        webhook_deliveries::Column::Id,
        cursor,
        limit,
    )
    .all(db)
    .await?)
}

/// Sends a failed delivery again, with a fresh retry schedule (the attempts
/// already made stay counted). Anything but a failed one is 409.
pub async fn retry(
    ctx: Ctx<'_>,
    webhook: Uuid,
    delivery: Uuid,
) -> AppResult<webhook_deliveries::Model> {
    let txn = begin_write(ctx.db).await?;
    let d = webhook_deliveries::Entity::find_by_id(delivery)
        .one(&txn)
        .await?
        .filter(|d| d.webhook_id == webhook)
        .ok_or(AppError::NotFound)?;
    if d.status != DeliveryStatus::Failed {
        return Err(AppError::Conflict(Msg::DeliveryNotFailed));
    }
    let mut m: webhook_deliveries::ActiveModel = d.into();
    m.status = Set(DeliveryStatus::Pending);
    m.next_attempt_at = Set(ctx.now);
    let d = m.update(&txn).await?;
    enqueue(&txn, d.id, ctx.now).await?;
    txn.commit().await?;
    Ok(d)
}

/// The outbox row that sends delivery `id` (reset if it is still there).
async fn enqueue<C: ConnectionTrait>(db: &C, id: Uuid, now: DateTime<Utc>) -> AppResult<()> {
    outbox::Entity::insert(outbox::ActiveModel {
        id: Set(id),
        topic: Set(TOPIC.into()),
        payload: Set(json!({ "delivery_id": id })),
        created_at: Set(now),
        attempts: Set(0),
        next_attempt_at: Set(now),
        delivered_at: Set(None),
        last_error: Set(None),
        status: Set(DeliveryStatus::Pending),
        locked_until: Set(None),
    })
    .on_conflict(
        OnConflict::column(outbox::Column::Id)
            .update_columns([
                outbox::Column::Attempts,
                outbox::Column::NextAttemptAt,
                outbox::Column::DeliveredAt,
                outbox::Column::LastError,
                outbox::Column::Status,
                outbox::Column::LockedUntil,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The body every endpoint gets for `event`, built once so that every retry
/// sends the same bytes: the public report without its timeline, reporter
/// or anything the citizen wrote, and the event (its public message only
/// when staff wrote it).
pub async fn body<C: ConnectionTrait>(
    db: &C,
    report: reports::Model,
    event: &report_events::Model,
    now: DateTime<Utc>,
) -> AppResult<serde_json::Value> {
    let by = By::of(event, &report);
    let public_message = match by {
        By::Staff | By::System => event.public_message.clone(),
        By::Reporter => None,
    };
    let report_body = bodies(
        db,
        // Nothing in memory: the category and unit are read with the report.
        &crate::org::reference::Reference::default(),
        vec![(report, Access::Public)],
        false,
        Locale::Vi,
        now,
    )
    .await?
    .pop()
    .ok_or(AppError::NotFound)?;
    Ok(json!({
        "type": event_type(event.kind),
        "timestamp": event.created_at,
        "data": {
            "report": report_body,
            "event": {
                "id": event.id,
                "kind": event.kind,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "public_message": public_message,
                "created_at": event.created_at,
            },
        },
    }))
}

/// One delivery (and its outbox row) per active endpoint subscribed to the
/// event; an endpoint that already has one for it gets none (expanding twice
/// is harmless). Returns how many were queued.
pub async fn expand<C: ConnectionTrait>(
    db: &C,
    report: &reports::Model,
    event: &report_events::Model,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let endpoints: Vec<webhooks::Model> = webhooks::Entity::find()
        .filter(webhooks::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .filter(|w| subscribed(&events_of(w), event.kind))
        .collect();
    if endpoints.is_empty() {
        return Ok(0);
    }
    let payload = body(db, report.clone(), event, now).await?;
    let mut queued = 0;
    for w in endpoints {
        let id = Uuid::now_v7();
        let inserted = webhook_deliveries::Entity::insert(webhook_deliveries::ActiveModel {
            id: Set(id),
            webhook_id: Set(w.id),
            event_id: Set(event.id),
            event_type: Set(event_type(event.kind)),
            payload: Set(payload.clone()),
            status: Set(DeliveryStatus::Pending),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_status_code: Set(None),
            last_error: Set(None),
            delivered_at: Set(None),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                webhook_deliveries::Column::WebhookId,
                webhook_deliveries::Column::EventId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        if inserted == 1 {
            enqueue(db, id, now).await?;
            queued += 1;
        }
    }
    Ok(queued)
}

/// A delivery and its endpoint (`None` when either is gone).
pub async fn delivery_with_endpoint(
    db: &DatabaseConnection,
    id: Uuid,
) -> AppResult<Option<(webhook_deliveries::Model, webhooks::Model)>> {
    let Some(d) = webhook_deliveries::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let w = webhooks::Entity::find_by_id(d.webhook_id).one(db).await?;
    Ok(w.map(|w| (d, w)))
}

/// Records one attempt of a delivery: its answer, its new status and when it
/// is due again; the endpoint's failure streak (set inactive after 5 days
/// of failures) or its recovery.
pub async fn record_attempt<C: ConnectionTrait>(
    db: &C,
    delivery: &webhook_deliveries::Model,
    status: DeliveryStatus,
    status_code: Option<u16>,
    error: Option<String>,
    next_attempt_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    webhook_deliveries::Entity::update_many()
        .col_expr(
            webhook_deliveries::Column::Attempts,
            Expr::col(webhook_deliveries::Column::Attempts).add(1),
        )
        .col_expr(webhook_deliveries::Column::Status, Expr::value(status))
        .col_expr(
            webhook_deliveries::Column::LastStatusCode,
            Expr::value(status_code.map(i32::from)),
        )
        .col_expr(
            webhook_deliveries::Column::LastError,
            Expr::value(error.clone()),
        )
        .col_expr(
            webhook_deliveries::Column::NextAttemptAt,
            Expr::value(next_attempt_at),
        )
        .col_expr(
            webhook_deliveries::Column::DeliveredAt,
            Expr::value((status == DeliveryStatus::Delivered).then_some(now)),
        )
        .filter(webhook_deliveries::Column::Id.eq(delivery.id))
        .exec(db)
        .await?;
    let Some(w) = webhooks::Entity::find_by_id(delivery.webhook_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    if error.is_none() {
        if w.failing_since.is_some() {
            webhooks::Entity::update_many()
                .col_expr(
                    webhooks::Column::FailingSince,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .filter(webhooks::Column::Id.eq(w.id))
                .exec(db)
                .await?;
        }
        return Ok(());
    }
    let (since, give_up) = super::rules::after_failure(w.failing_since, now);
    let mut upd = webhooks::Entity::update_many()
        .col_expr(webhooks::Column::FailingSince, Expr::value(Some(since)));
    if give_up && w.active {
        tracing::warn!(webhook = %w.id, url = %w.url, "webhook failing for 5 days; set inactive");
        upd = upd
            .col_expr(webhooks::Column::Active, Expr::value(false))
            .col_expr(webhooks::Column::UpdatedAt, Expr::value(now));
    }
    upd.filter(webhooks::Column::Id.eq(w.id)).exec(db).await?;
    Ok(())
}
