//! `GET /staff/stream`: the live queue as Server-Sent Events.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderName};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::DateTime;
use serde_json::json;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::ReceiverStream;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::feed::{Feed, FeedConfig, Item, Start};
use super::hub::hub_for;
use super::service::{Caller, event_time};
use crate::auth::extract::Staff;
use crate::error::{AppError, AppResult, ProblemBody};
use crate::messages::Msg;
use crate::reports::scope::StaffScope;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream))
}

pub const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// The live queue: report events in the caller's scope as they happen.
///
/// Server-Sent Events. Each event is `id: <event id>`, `event:
/// report.<kind>`, `data: {event_id, report_id, code, kind, status, unit_id,
/// at}` (a `StreamEvent`); notes included. A `: ready` comment says the
/// stream is live; a comment every `stream.heartbeat_secs` keeps proxies
/// from closing it. `Last-Event-ID` resumes after that event, at least once:
/// events from a few seconds before it are sent again, so drop `event_id`s
/// you already have. An id this server does not know replays only the last
/// few seconds, after an `event: stream.reset` (reload the queue); one that
/// is not a UUID is 422. The stream ends with `event: stream.end` (`data:
/// {reason, message}`; reasons `token_expired`, `account_closed`,
/// `account_changed`, `session_ended`, `server_shutdown`) or, when the client leaves
/// `stream.buffer` events unread for a heartbeat interval, `event:
/// stream.overflow`: reconnect with `Last-Event-ID` (and a fresh token).
#[utoipa::path(get, path = "/staff/stream", tag = "staff", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event received: resume after it")),
    responses(
        (status = 200, description = "An endless stream of events", content_type = "text/event-stream", body = String),
        (status = 401, description = "No valid token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not staff", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "`Last-Event-ID` is not an event id", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn stream(
    State(state): State<AppState>,
    Staff(user): Staff,
    headers: HeaderMap,
) -> AppResult<impl IntoResponse> {
    let now = state.clock.now();
    // `Staff` checked the token; its expiry ends the stream.
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(_, t)| t.trim())
        .ok_or(AppError::Unauthorized(Msg::Unauthorized))?;
    let claims = state
        .jwt
        .verify(token, now)
        .map_err(|_| AppError::Unauthorized(Msg::InvalidToken))?;
    let token_expires_at =
        DateTime::from_timestamp(claims.exp, 0).ok_or(AppError::Unauthorized(Msg::InvalidToken))?;
    let actor = user.actor();
    let scope = StaffScope::of(&state.db, &actor)
        .await?
        .ok_or(AppError::Forbidden)?;
    let start = match last_event_id(&headers)? {
        None => Start::Now,
        Some(id) => match event_time(&state.db, id).await? {
            Some(at) => Start::After { id, at },
            None => Start::UnknownLastEvent,
        },
    };
    let config = &state.config.stream;
    let feed = Feed {
        db: state.db.clone(),
        clock: state.clock.clone(),
        tz: state.config.city_tz,
        hub: hub_for(state.config.database_url.expose()),
        caller: Caller {
            actor,
            token_expires_at,
            session_id: Some(user.session_id),
        },
        scope,
        config: FeedConfig::from_config(config),
    };
    let events = ReceiverStream::new(feed.spawn(start)).map(|i| Ok::<_, Infallible>(sse_event(i)));
    let sse = Sse::new(events).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(config.heartbeat_secs))
            .text("heartbeat"),
    );
    // Proxies such as nginx would otherwise hold events back.
    Ok(([(HeaderName::from_static("x-accel-buffering"), "no")], sse))
}

/// The header, if sent and not empty; 422 if it is not a UUID.
fn last_event_id(headers: &HeaderMap) -> AppResult<Option<Uuid>> {
    let Some(v) = headers.get(LAST_EVENT_ID) else {
        return Ok(None);
    };
    let bad = || AppError::field("Last-Event-ID", Msg::InvalidValue);
    let s = v.to_str().map_err(|_| bad())?.trim();
    if s.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(s).map(Some).map_err(|_| bad())
}

fn sse_event(item: Item) -> Event {
    match item {
        Item::Ready => Event::default()
            .retry(Duration::from_secs(3))
            .comment("ready"),
        Item::Reset => Event::default().event("stream.reset").data(
            json!({
                "reason": "unknown_last_event_id",
                "message": "Last-Event-ID names no event here; only recent events follow. Reload the queue.",
            })
            .to_string(),
        ),
        Item::Event(e) => {
            let data = serde_json::to_string(&e).unwrap_or_default();
            Event::default()
                .id(e.event_id.to_string())
                .event(e.event_type())
                .data(data)
        }
        Item::End(reason) => Event::default().event("stream.end").data(
            json!({"reason": reason.as_str(), "message": reason.message()}).to_string(),
        ),
        Item::Overflow => Event::default().event("stream.overflow").data(
            json!({
                "reason": "overflow",
                "message": "The client fell too far behind; reconnect with Last-Event-ID.",
            })
            .to_string(),
        ),
    }
}
