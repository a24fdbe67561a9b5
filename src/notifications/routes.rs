//! `GET /notifications`, `POST /notifications/{id}/read`.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::rules::title;
use super::service;
use crate::auth::extract::CurrentUser;
use crate::error::{AppResult, ProblemBody};
use crate::http::extract::ValidatedQuery;
use crate::i18n;
use crate::pagination::{Keyset, Page, PageQuery, finish, parse_cursor, parse_limit};
use crate::state::AppState;
use crate::validate::Check;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(inbox))
        .routes(routes!(mark_read))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationBody {
    pub id: Uuid,
    pub report_id: Uuid,
    #[schema(example = "PA-7K3M9Q")]
    pub report_code: String,
    /// The event kind: `assigned`, `resolved`, `comment`, …
    pub kind: String,
    pub to_status: Option<String>,
    /// A sentence for the person, in the request's language.
    pub title: String,
    /// The public message of the event, if any.
    pub message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// The caller's inbox, newest first.
#[utoipa::path(get, path = "/notifications", tag = "notifications", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<NotificationBody>)))]
async fn inbox(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidatedQuery(q): ValidatedQuery<PageQuery>,
) -> AppResult<Json<Page<NotificationBody>>> {
    let mut c = Check::new();
    let limit = parse_limit(&mut c, &q.limit);
    let cursor = parse_cursor(&mut c, &q.cursor);
    let rows = service::inbox(&state.db, user.id, cursor, limit).await?;
    let (rows, next_cursor) = finish(rows, limit, |n| Keyset {
        created_at: n.created_at,
        id: n.id,
    });
    let locale = i18n::current();
    let items = rows
        .into_iter()
        .map(|n| NotificationBody {
            title: title(n.kind, &n.report_code, locale),
            id: n.id,
            report_id: n.report_id,
            report_code: n.report_code,
            kind: n.kind.as_str().to_owned(),
            to_status: n.to_status.map(|s| s.as_str().to_owned()),
            message: n.message,
            created_at: n.created_at,
            read_at: n.read_at,
        })
        .collect();
    Ok(Json(Page { items, next_cursor }))
}

/// Mark one notification read (marking it again changes nothing).
#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ProblemBody, content_type = "application/problem+json")))]
async fn mark_read(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> AppResult<axum::http::StatusCode> {
    service::mark_read(state.ctx(), user.id, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
