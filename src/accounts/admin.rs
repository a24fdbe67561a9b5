//! Administration of staff accounts and API clients.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::routes::{UserBody, check_new_account};
use super::service::{self, NewUser};
use crate::auth::Role;
use crate::auth::extract::Admin;
use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::entities::{api_clients, refresh_tokens, units, users};
use crate::error::{AppError, AppResult, ProblemBody};
use crate::http::extract::ValidatedJson;
use crate::i18n::Locale;
use crate::messages::Msg;
use crate::state::AppState;
use crate::validate::{Check, Validate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_staff, create_staff))
        .routes(routes!(update_staff))
        .routes(routes!(list_clients, create_client))
        .routes(routes!(revoke_client))
}

fn staff_role(s: &str) -> Option<Role> {
    Role::parse(s).filter(|r| r.is_staff())
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
            Some(Some(r)) if r != Role::Admin && self.unit_id.is_none() => {
                c.add("unit_id", Msg::StaffNeedsUnit)
            }
            _ => {}
        }
        c.finish()
    }
}

async fn ensure_unit(state: &AppState, id: Uuid) -> AppResult<()> {
    if units::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .is_none()
    {
        return Err(AppError::field("unit_id", Msg::UnknownUnit));
    }
    Ok(())
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
    ))]
async fn create_staff(
    State(state): State<AppState>,
    _admin: Admin,
    ValidatedJson(req): ValidatedJson<CreateStaff>,
) -> AppResult<(StatusCode, Json<UserBody>)> {
    let role = req
        .role
        .as_deref()
        .map(str::trim)
        .and_then(staff_role)
        .unwrap_or(Role::Officer);
    if let Some(u) = req.unit_id {
        ensure_unit(&state, u).await?;
    }
    let user = service::create_user(
        &state.db,
        &state.passwords,
        &state.clock,
        NewUser::from_input(
            &req.phone,
            &req.email,
            &req.full_name,
            req.password,
            role,
            req.unit_id,
            Locale::Vi,
        ),
    )
    .await?;
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

/// Change a staff member's role or unit, or disable the account.
#[utoipa::path(patch, path = "/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = UpdateStaff,
    responses(
        (status = 200, body = UserBody),
        (status = 404, description = "No such staff account (citizens are not managed here)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn update_staff(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<Uuid>,
    ValidatedJson(req): ValidatedJson<UpdateStaff>,
) -> AppResult<Json<UserBody>> {
    let user = users::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|u| u.role != Role::Citizen)
        .ok_or(AppError::NotFound)?;
    let role = req
        .role
        .as_deref()
        .map(str::trim)
        .and_then(staff_role)
        .or(Some(user.role));
    let unit = match req.unit_id {
        Some(u) => u,
        None => user.unit_id,
    };
    if role != Some(Role::Admin) && unit.is_none() {
        return Err(AppError::field("unit_id", Msg::StaffNeedsUnit));
    }
    if let Some(u) = unit {
        ensure_unit(&state, u).await?;
    }
    let now = state.clock.now();
    let mut m = user.into_active_model();
    if let Some(r) = role {
        m.role = Set(r);
    }
    m.unit_id = Set(unit);
    if let Some(name) = req.full_name.as_deref().map(str::trim) {
        m.full_name = Set(name.to_owned());
    }
    match req.disabled {
        Some(true) => m.disabled_at = Set(Some(now)),
        Some(false) => m.disabled_at = Set(None),
        None => {}
    }
    m.updated_at = Set(now);
    let txn = crate::db::begin_write(&state.db).await?;
    if req.disabled == Some(true) {
        // Disabling ends every session in the same transaction.
        refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
            .filter(refresh_tokens::Column::UserId.eq(id))
            .filter(refresh_tokens::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
    }
    let user = m.update(&txn).await?;
    txn.commit().await?;
    Ok(Json(user.into()))
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
    let key = format!("cfk_{}", new_refresh_token());
    let now = state.clock.now();
    let client = api_clients::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(req.name.as_deref().unwrap_or_default().trim().to_owned()),
        key_hash: Set(hash_refresh_token(&key)),
        key_prefix: Set(key.chars().take(10).collect()),
        created_by: Set(Some(admin.id)),
        created_at: Set(now),
        revoked_at: Set(None),
    }
    .insert(&state.db)
    .await?;
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
    let res = api_clients::Entity::update_many()
        .col_expr(
            api_clients::Column::RevokedAt,
            Expr::value(state.clock.now()),
        )
        .filter(api_clients::Column::Id.eq(id))
        .filter(api_clients::Column::RevokedAt.is_null())
        .exec(&state.db)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}
