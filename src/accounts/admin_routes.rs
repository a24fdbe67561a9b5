//! Administration of staff accounts and API clients.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::admin_service::{self, StaffChanges};
use super::dto::UserBody;
use super::rules::{check_new_account, needs_unit, staff_role};
use super::service::NewUser;
use crate::auth::Role;
use crate::auth::extract::Admin;
use crate::entities::{api_clients, users};
use crate::error::{AppResult, ProblemBody};
use crate::http::extract::ValidatedJson;
use crate::i18n::Locale;
use crate::messages::Msg;
use crate::state::AppState;
use crate::validate::{Check, Validate, nonblank};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_staff, create_staff))
        .routes(routes!(update_staff))
        .routes(routes!(revoke_sessions))
        .routes(routes!(list_clients, create_client))
        .routes(routes!(revoke_client))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "officer.hk@hanoi.gov.vn", "password": "một mật khẩu dài", "full_name": "Phạm Văn Cường", "role": "officer", "unit_id": "0199a1b2-0000-7000-8000-000000000002"}))]
pub struct CreateStaff {
    pub email: Option<String>,
    pub phone: Option<String>,
    #[schema(required = true)]
    pub password: Option<String>,
    #[schema(required = true)]
    pub full_name: Option<String>,
    /// `officer` | `coordinator` | `admin`
    #[schema(required = true)]
    pub role: Option<String>,
    /// Required for officers and coordinators.
    pub unit_id: Option<Uuid>,
}

impl Validate for CreateStaff {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        check_new_account(
            &mut c,
            &self.phone,
            &self.email,
            &self.full_name,
            &self.password,
            "email",
        );
        match c.text("role", &self.role, 16).map(staff_role) {
            Some(None) => c.add("role", Msg::InvalidRole),
            Some(Some(r)) if needs_unit(r) && self.unit_id.is_none() => {
                c.add("unit_id", Msg::StaffNeedsUnit)
            }
            _ => {}
        }
        c.finish()
    }
}

/// Staff accounts (officers, coordinators, admins).
#[utoipa::path(get, path = "/admin/users", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<UserBody>)))]
async fn list_staff(
    State(state): State<AppState>,
    _admin: Admin,
) -> AppResult<Json<Vec<UserBody>>> {
    let all = users::Entity::find()
        .filter(users::Column::Role.ne(Role::Citizen))
        .order_by_asc(users::Column::CreatedAt)
        .all(&state.db)
        .await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Create a staff account.
#[utoipa::path(post, path = "/admin/users", tag = "admin", security(("bearer" = [])),
    request_body = CreateStaff,
    responses(
        (status = 201, body = UserBody),
        (status = 409, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "every password-hashing thread is busy and its queue is full; try again after Retry-After", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn create_staff(
    State(state): State<AppState>,
    _admin: Admin,
    ValidatedJson(req): ValidatedJson<CreateStaff>,
) -> AppResult<(StatusCode, Json<UserBody>)> {
    let role = nonblank(&req.role)
        .as_deref()
        .and_then(staff_role)
        .unwrap_or(Role::Officer);
    let new = NewUser::from_input(
        &req.phone,
        &req.email,
        &req.full_name,
        req.password,
        role,
        req.unit_id,
        Locale::Vi,
    );
    let user = admin_service::create_staff(state.ctx(), &state.passwords, new).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStaff {
    /// `officer` | `coordinator` | `admin`
    pub role: Option<String>,
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub unit_id: Option<Option<Uuid>>,
    /// `true` disables the account (its sessions end at once); `false` enables it.
    pub disabled: Option<bool>,
    pub full_name: Option<String>,
}

impl Validate for UpdateStaff {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        if let Some(r) = &self.role
            && staff_role(r.trim()).is_none()
        {
            c.add("role", Msg::InvalidRole);
        }
        if self.full_name.is_some() {
            c.text("full_name", &self.full_name, 255);
        }
        c.finish()
    }
}

/// Change a staff member's role, unit or name, or disable (re-enable) any
/// account, a citizen's too. Disabling ends every session of the account at
/// once (tokens, open streams, push devices). A citizen account takes only
/// `disabled`. The last active admin can be neither disabled nor demoted.
#[utoipa::path(patch, path = "/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = UpdateStaff,
    responses(
        (status = 200, body = UserBody),
        (status = 401, description = "Not signed in", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account (or a deleted one)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "It would leave no active admin", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields; a role, unit or name change for a citizen account", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn update_staff(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<Uuid>,
    ValidatedJson(req): ValidatedJson<UpdateStaff>,
) -> AppResult<Json<UserBody>> {
    let changes = StaffChanges {
        role: nonblank(&req.role).as_deref().and_then(staff_role),
        unit_id: req.unit_id,
        disabled: req.disabled,
        full_name: nonblank(&req.full_name),
    };
    let user = admin_service::update_staff(state.ctx(), id, changes).await?;
    Ok(Json(user.into()))
}

/// End every session of an account: its access tokens stop working, its
/// open streams end, its push devices are removed. It can sign in again
/// (unless disabled).
#[utoipa::path(post, path = "/admin/users/{id}/revoke-sessions", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Every session of the account has ended"),
        (status = 401, description = "Not signed in", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn revoke_sessions(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<Uuid>,
) -> AppResult<StatusCode> {
    admin_service::revoke_sessions(state.ctx(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiClientBody {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the key, to tell keys apart.
    pub key_prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewApiClientBody {
    pub id: Uuid,
    pub name: String,
    /// Shown once: only its hash is kept.
    pub api_key: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateApiClient {
    #[schema(required = true, example = "Cổng dịch vụ công thành phố")]
    pub name: Option<String>,
}

impl Validate for CreateApiClient {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        c.text("name", &self.name, 255);
        c.finish()
    }
}

/// API clients (Open311 `api_key` holders).
#[utoipa::path(get, path = "/admin/api-clients", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<ApiClientBody>)))]
async fn list_clients(
    State(state): State<AppState>,
    _admin: Admin,
) -> AppResult<Json<Vec<ApiClientBody>>> {
    let all = api_clients::Entity::find()
        .order_by_asc(api_clients::Column::CreatedAt)
        .all(&state.db)
        .await?;
    Ok(Json(
        all.into_iter()
            .map(|c| ApiClientBody {
                id: c.id,
                name: c.name,
                key_prefix: c.key_prefix,
                created_at: c.created_at,
                revoked_at: c.revoked_at,
            })
            .collect(),
    ))
}

/// Issue an API key to another city system. The key is in this answer only.
#[utoipa::path(post, path = "/admin/api-clients", tag = "admin", security(("bearer" = [])),
    request_body = CreateApiClient,
    responses(
        (status = 201, body = NewApiClientBody),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn create_client(
    State(state): State<AppState>,
    Admin(admin): Admin,
    ValidatedJson(req): ValidatedJson<CreateApiClient>,
) -> AppResult<(StatusCode, Json<NewApiClientBody>)> {
    let name = nonblank(&req.name).unwrap_or_default();
    let (client, key) = admin_service::create_api_client(state.ctx(), name, admin.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewApiClientBody {
            id: client.id,
            name: client.name,
            api_key: key,
            created_at: client.created_at,
        }),
    ))
}

/// Revoke an API key.
#[utoipa::path(delete, path = "/admin/api-clients/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ProblemBody, content_type = "application/problem+json")))]
async fn revoke_client(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<Uuid>,
) -> AppResult<StatusCode> {
    admin_service::revoke_api_client(state.ctx(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
