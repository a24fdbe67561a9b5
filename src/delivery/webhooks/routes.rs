//! `/admin/webhooks…`: endpoints of the city's other systems, their secrets
//! and their delivery logs. Thin: validate, call `service`, shape the answer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::rules::{is_known_event_type, parse_target};
use super::service::{self, NewWebhook, WebhookChanges, events_of};
use crate::auth::extract::Admin;
use crate::entities::{webhook_deliveries, webhooks};
use crate::error::{AppResult, ProblemBody};
use crate::http::extract::{ValidatedJson, ValidatedQuery};
use crate::messages::Msg;
use crate::pagination::{Keyset, Page, PageQuery, finish, parse_cursor, parse_limit};
use crate::state::AppState;
use crate::validate::{Check, Validate, nonblank};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(update_webhook, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(list_deliveries))
        .routes(routes!(retry_delivery))
}

/// An endpoint, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookBody {
    pub id: Uuid,
    #[schema(example = "https://hotline1022.hanoi.gov.vn/hooks/citizen-feedback")]
    pub url: String,
    /// `report.<kind>` types, or `["*"]` for all.
    #[schema(example = json!(["report.created", "report.resolved"]))]
    pub events: Vec<String>,
    pub description: Option<String>,
    /// Inactive endpoints get nothing (set by an admin, or after 5 days of
    /// failing every attempt).
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An endpoint with its signing secret: in the answers to creation and
/// rotation only.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecretBody {
    #[serde(flatten)]
    pub webhook: WebhookBody,
    /// `whsec_` + base64 of 32 random bytes; the HMAC key is the decoded part.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

impl From<webhooks::Model> for WebhookBody {
    fn from(w: webhooks::Model) -> Self {
        WebhookBody {
            events: events_of(&w),
            id: w.id,
            url: w.url,
            description: w.description,
            active: w.active,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

fn with_secret(w: webhooks::Model) -> WebhookWithSecretBody {
    let secret = w.secret.clone();
    WebhookWithSecretBody {
        webhook: w.into(),
        secret,
    }
}

/// One event to one endpoint, and how its delivery went.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryBody {
    pub id: Uuid,
    pub event_id: Uuid,
    #[schema(example = "report.created")]
    pub event_type: String,
    /// `pending` | `delivered` | `failed`
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<webhook_deliveries::Model> for DeliveryBody {
    fn from(d: webhook_deliveries::Model) -> Self {
        let pending = d.status == crate::domain::DeliveryStatus::Pending;
        DeliveryBody {
            id: d.id,
            event_id: d.event_id,
            event_type: d.event_type,
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            next_attempt_at: pending.then_some(d.next_attempt_at),
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        }
    }
}

const MAX_URL: usize = 2048;
const MAX_DESCRIPTION: usize = 500;

fn check_url(c: &mut Check, url: &Option<String>, required: bool) {
    match url {
        None if required => c.add("url", Msg::Required),
        None => {}
        Some(u) if u.chars().count() > MAX_URL => c.add(
            "url",
            Msg::TooLong {
                max: MAX_URL as u64,
            },
        ),
        Some(u) if parse_target(u).is_none() => c.add("url", Msg::InvalidWebhookUrl),
        Some(_) => {}
    }
}

fn check_events(c: &mut Check, events: &Option<Vec<String>>, required: bool) {
    match events {
        None if required => c.add("events", Msg::Required),
        None => {}
        Some(e) if e.is_empty() => c.add("events", Msg::Required),
        Some(e) if e.iter().any(|t| !is_known_event_type(t.trim())) => {
            c.add("events", Msg::UnknownEventType)
        }
        Some(_) => {}
    }
}

fn clean_events(e: Vec<String>) -> Vec<String> {
    let mut e: Vec<String> = e.into_iter().map(|t| t.trim().to_owned()).collect();
    if e.iter().any(|t| t == "*") {
        return vec!["*".to_owned()];
    }
    e.sort();
    e.dedup();
    e
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"url": "https://hotline1022.hanoi.gov.vn/hooks/citizen-feedback", "events": ["report.created", "report.resolved"], "description": "Tổng đài 1022"}))]
pub struct CreateWebhook {
    /// An absolute `http(s)` URL on a public address.
    #[schema(required = true)]
    pub url: Option<String>,
    /// `report.<kind>` types (every kind but `note`), or `["*"]`.
    #[schema(required = true)]
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
}

impl Validate for CreateWebhook {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        check_url(&mut c, &self.url, true);
        check_events(&mut c, &self.events, true);
        if let Some(d) = &self.description {
            c.max_len("description", d, MAX_DESCRIPTION);
        }
        c.finish()
    }
}

/// Register an endpoint. Its secret is in this answer only.
#[utoipa::path(post, path = "/admin/webhooks", tag = "admin", security(("bearer" = [])),
    request_body = CreateWebhook,
    responses(
        (status = 201, body = WebhookWithSecretBody),
        (status = 422, description = "Not an absolute http(s) URL, not a public address, or an unknown event type", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn create_webhook(
    State(state): State<AppState>,
    _admin: Admin,
    ValidatedJson(req): ValidatedJson<CreateWebhook>,
) -> AppResult<(StatusCode, Json<WebhookWithSecretBody>)> {
    let new = NewWebhook {
        url: req.url.unwrap_or_default(),
        events: clean_events(req.events.unwrap_or_default()),
        description: nonblank(&req.description),
    };
    let w = service::create(
        state.ctx(),
        new,
        state.config.delivery.allow_private_targets,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(with_secret(w))))
}

/// Every endpoint, without secrets.
#[utoipa::path(get, path = "/admin/webhooks", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Page<WebhookBody>)))]
async fn list_webhooks(
    State(state): State<AppState>,
    _admin: Admin,
) -> AppResult<Json<Page<WebhookBody>>> {
    let items = service::list(&state.db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// `false` stops deliveries; `true` starts them again.
    pub active: Option<bool>,
}

impl Validate for UpdateWebhook {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        check_url(&mut c, &self.url, false);
        check_events(&mut c, &self.events, false);
        if let Some(Some(d)) = &self.description {
            c.max_len("description", d, MAX_DESCRIPTION);
        }
        c.finish()
    }
}

/// Change an endpoint, or turn it off (`active: false`) and on.
#[utoipa::path(patch, path = "/admin/webhooks/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = UpdateWebhook,
    responses(
        (status = 200, body = WebhookBody),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn update_webhook(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<Uuid>,
    ValidatedJson(req): ValidatedJson<UpdateWebhook>,
) -> AppResult<Json<WebhookBody>> {
    let changes = WebhookChanges {
        url: req.url,
        events: req.events.map(clean_events),
        description: req.description.map(|d| nonblank(&d)),
        active: req.active,
    };
    let w = service::update(
        state.ctx(),
        id,
        changes,
        state.config.delivery.allow_private_targets,
    )
    .await?;
    Ok(Json(w.into()))
}

/// Delete an endpoint with its delivery log; queued deliveries are dropped.
#[utoipa::path(delete, path = "/admin/webhooks/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn delete_webhook(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<Uuid>,
) -> AppResult<StatusCode> {
    service::delete(state.ctx(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new secret, in this answer only. The old one keeps signing, as a
/// second `v1,` signature, for 24 hours.
#[utoipa::path(post, path = "/admin/webhooks/{id}/rotate-secret", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = WebhookWithSecretBody),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn rotate_secret(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<Uuid>,
) -> AppResult<Json<WebhookWithSecretBody>> {
    let w = service::rotate_secret(state.ctx(), id).await?;
    Ok(Json(with_secret(w)))
}

/// An endpoint's deliveries, newest first.
#[utoipa::path(get, path = "/admin/webhooks/{id}/deliveries", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path), PageQuery),
    responses(
        (status = 200, body = Page<DeliveryBody>),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn list_deliveries(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<Uuid>,
    ValidatedQuery(q): ValidatedQuery<PageQuery>,
) -> AppResult<Json<Page<DeliveryBody>>> {
    let mut c = Check::new();
    let limit = parse_limit(&mut c, &q.limit);
    let cursor = parse_cursor(&mut c, &q.cursor);
    let rows = service::deliveries(&state.db, id, cursor, limit).await?;
    let (rows, next_cursor) = finish(rows, limit, |d| Keyset {
        created_at: d.created_at,
        id: d.id,
    });
    Ok(Json(Page {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Send a failed delivery again (a fresh retry schedule, the same
/// `webhook-id` and body).
#[utoipa::path(post, path = "/admin/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)),
    responses(
        (status = 202, body = DeliveryBody),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The delivery has not failed", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn retry_delivery(
    State(state): State<AppState>,
    _admin: Admin,
    Path((id, delivery_id)): Path<(Uuid, Uuid)>,
) -> AppResult<(StatusCode, Json<DeliveryBody>)> {
    let d = service::retry(state.ctx(), id, delivery_id).await?;
    Ok((StatusCode::ACCEPTED, Json(d.into())))
}
