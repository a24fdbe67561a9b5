//! `GET /notifications`, `POST /notifications/{id}/read`.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::extract::CurrentUser;
use crate::domain::EventKind;
use crate::entities::notifications;
use crate::error::{AppError, AppResult, ProblemBody};
use crate::http::extract::ValidatedQuery;
use crate::i18n::{self, Locale};
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

fn title(n: &notifications::Model, l: Locale) -> String {
    let code = &n.report_code;
    let (vi, en) = match n.kind {
        EventKind::Accepted | EventKind::Assigned => (
            "đã được tiếp nhận và chuyển xử lý",
            "was accepted and assigned",
        ),
        EventKind::Started => ("đang được xử lý", "is being handled"),
        EventKind::Resolved => ("đã được xử lý xong", "was resolved"),
        EventKind::Rejected => ("đã bị từ chối", "was rejected"),
        EventKind::MarkedDuplicate => (
            "được gộp với một phản ánh trùng",
            "was merged with a duplicate",
        ),
        EventKind::Reopened => ("đã được mở lại", "was reopened"),
        EventKind::Closed => ("đã đóng", "was closed"),
        EventKind::Extended => ("được gia hạn xử lý", "had its deadline extended"),
        EventKind::Recategorized => ("được chuyển lĩnh vực", "was moved to another category"),
        EventKind::Comment => ("có trả lời mới", "has a new reply"),
        _ => ("có cập nhật", "was updated"),
    };
    match l {
        Locale::Vi => format!("Phản ánh {code} {vi}."),
        Locale::En => format!("Report {code} {en}."),
    }
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
    let mut sel = notifications::Entity::find().filter(notifications::Column::UserId.eq(user.id));
    if let Some(k) = cursor {
        sel = sel.filter(
            Condition::any()
                .add(notifications::Column::CreatedAt.lt(k.created_at))
                .add(
                    Condition::all()
                        .add(notifications::Column::CreatedAt.eq(k.created_at))
                        .add(notifications::Column::Id.lt(k.id)),
                ),
        );
    }
    let rows = sel
        .order_by_desc(notifications::Column::CreatedAt)
        .order_by_desc(notifications::Column::Id)
        .limit(limit + 1)
        .all(&state.db)
        .await?;
    let (rows, next_cursor) = finish(rows, limit, |n| Keyset {
        created_at: n.created_at,
        id: n.id,
    });
    let locale = i18n::current();
    let items = rows
        .into_iter()
        .map(|n| NotificationBody {
            title: title(&n, locale),
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
    let n = notifications::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|n| n.user_id == user.id)
        .ok_or(AppError::NotFound)?;
    if n.read_at.is_none() {
        notifications::Entity::update_many()
            .col_expr(
                notifications::Column::ReadAt,
                Expr::value(state.clock.now()),
            )
            .filter(notifications::Column::Id.eq(id))
            .exec(&state.db)
            .await?;
    }
    Ok(axum::http::StatusCode::NO_CONTENT)
}
