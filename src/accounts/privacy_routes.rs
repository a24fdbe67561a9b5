//! The person's rights over their data: download it all, delete the account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::dto::UserBody;
use super::privacy_service;
use crate::auth::extract::{Citizen, CurrentUser};
use crate::error::{AppResult, ProblemBody};
use crate::i18n;
use crate::reports::scope::Access;
use crate::reports::view::{ReportBody, bodies};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export))
        .routes(routes!(delete_me))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportMedia {
    pub id: Uuid,
    pub content_type: String,
    pub byte_size: i64,
    pub url: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportSession {
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Everything held about the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportBody {
    pub exported_at: DateTime<Utc>,
    pub user: UserBody,
    /// The caller's reports with their timelines (comments included).
    pub reports: Vec<ReportBody>,
    /// Ids of the public reports the caller follows.
    pub following: Vec<Uuid>,
    pub media: Vec<ExportMedia>,
    pub sessions: Vec<ExportSession>,
}

/// Download everything held about you, as JSON.
#[utoipa::path(get, path = "/me/export", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = ExportBody), (status = 401, body = ProblemBody, content_type = "application/problem+json")))]
async fn export(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<ExportBody>> {
    let held = privacy_service::held_about(&state.db, user.id).await?;
    let reports = bodies(
        &state.db,
        &*crate::org::reference::current(&state.db).await?,
        held.reports
            .into_iter()
            .map(|r| (r, Access::Owner))
            .collect(),
        true,
        i18n::current(),
        state.clock.now(),
    )
    .await?;
    let following = held.following;
    let media = held
        .media
        .into_iter()
        .map(|m| ExportMedia {
            url: format!("/api/v1/media/{}", m.id),
            id: m.id,
            content_type: m.content_type,
            byte_size: m.byte_size,
            created_at: m.created_at,
        })
        .collect();
    let sessions = held
        .sessions
        .into_iter()
        .map(|t| ExportSession {
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        })
        .collect();
    Ok(Json(ExportBody {
        exported_at: state.clock.now(),
        user: user.user.into(),
        reports,
        following,
        media,
        sessions,
    }))
}

/// Delete your account. Your name, phone, email and password are erased and
/// every session ends; your reports stay, anonymized, so the city's figures do
/// not change. Files not attached to a report are deleted.
#[utoipa::path(delete, path = "/me", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Staff accounts are removed by an admin", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn delete_me(State(state): State<AppState>, Citizen(user): Citizen) -> AppResult<StatusCode> {
    privacy_service::delete_account(state.ctx(), &state.storage, user.user).await?;
    Ok(StatusCode::NO_CONTENT)
}
