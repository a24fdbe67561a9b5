//! Admin transactions on accounts: staff members and API clients.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use uuid::Uuid;

use super::rules::needs_unit;
use super::service::{NewUser, insert_user};
use crate::auth::Role;
use crate::auth::password::PasswordHasher;
use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::context::Ctx;
use crate::db::begin_write;
use crate::entities::{api_clients, refresh_tokens, users};
use crate::error::{AppError, AppResult};
use crate::messages::Msg;
use crate::org::service::ensure_unit;

/// Creates a staff account. 422 on an unknown unit, 409 naming the phone or
/// email when either is taken.
pub async fn create_staff(
    ctx: Ctx<'_>,
    passwords: &PasswordHasher,
    new: NewUser,
) -> AppResult<users::Model> {
    if let Some(u) = new.unit_id {
        ensure_unit(ctx.db, "unit_id", u).await?;
    }
    insert_user(ctx.db, passwords, ctx.now, new).await
}

/// A change to a staff account; `None` leaves a field as it is, and
/// `unit_id: Some(None)` takes the account out of its unit.
#[derive(Default)]
pub struct StaffChanges {
    pub role: Option<Role>,
    pub unit_id: Option<Option<Uuid>>,
    /// `true` disables the account and ends its sessions; `false` enables it.
    pub disabled: Option<bool>,
    pub full_name: Option<String>,
}

/// Changes a staff account. 404 for citizens and unknown ids; 422 when the
/// result would be an officer or coordinator without a known unit.
pub async fn update_staff(
    ctx: Ctx<'_>,
    id: Uuid,
    changes: StaffChanges,
) -> AppResult<users::Model> {
    let txn = begin_write(ctx.db).await?;
    let user = users::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .filter(|u| u.role != Role::Citizen)
        .ok_or(AppError::NotFound)?;
    let role = changes.role.unwrap_or(user.role);
    let unit = changes.unit_id.unwrap_or(user.unit_id);
    if needs_unit(role) && unit.is_none() {
        return Err(AppError::field("unit_id", Msg::StaffNeedsUnit));
    }
    if let Some(u) = unit {
        ensure_unit(&txn, "unit_id", u).await?;
    }
    let mut m = user.into_active_model();
    m.role = Set(role);
    m.unit_id = Set(unit);
    if let Some(name) = changes.full_name {
        m.full_name = Set(name);
    }
    match changes.disabled {
        Some(true) => m.disabled_at = Set(Some(ctx.now)),
        Some(false) => m.disabled_at = Set(None),
        None => {}
    }
    m.updated_at = Set(ctx.now);
    if changes.disabled == Some(true) {
        // Disabling ends every session in the same transaction.
        refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(ctx.now))
            .filter(refresh_tokens::Column::UserId.eq(id))
            .filter(refresh_tokens::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        // The sessions' phones stop receiving the account's messages too.
        crate::delivery::devices_service::forget_user(&txn, id).await?;
    }
    let user = m.update(&txn).await?;
    txn.commit().await?;
    Ok(user)
}

/// Issues an API key to another city system: the client row (which keeps
/// only the key's hash) and the key itself, to be shown once.
pub async fn create_api_client(
    ctx: Ctx<'_>,
    name: String,
    created_by: Uuid,
) -> AppResult<(api_clients::Model, String)> {
    let key = format!("cfk_{}", new_refresh_token());
    let client = api_clients::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        key_hash: Set(hash_refresh_token(&key)),
        key_prefix: Set(key.chars().take(10).collect()),
        created_by: Set(Some(created_by)),
        created_at: Set(ctx.now),
        revoked_at: Set(None),
    }
    .insert(ctx.db)
    .await?;
    Ok((client, key))
}

/// Revokes an API key; 404 when there is no such key still in force.
pub async fn revoke_api_client(ctx: Ctx<'_>, id: Uuid) -> AppResult<()> {
    let res = api_clients::Entity::update_many()
        .col_expr(api_clients::Column::RevokedAt, Expr::value(ctx.now))
        .filter(api_clients::Column::Id.eq(id))
        .filter(api_clients::Column::RevokedAt.is_null())
        .exec(ctx.db)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// The API client a key belongs to, while it is in force. Looked up on every
/// call, so a revoked key stops working at once.
pub async fn api_client_by_key(ctx: Ctx<'_>, key: &str) -> AppResult<Option<api_clients::Model>> {
    if key.is_empty() || key.len() > 256 {
        return Ok(None);
    }
    Ok(api_clients::Entity::find()
        .filter(api_clients::Column::KeyHash.eq(hash_refresh_token(key)))
        .filter(api_clients::Column::RevokedAt.is_null())
        .one(ctx.db)
        .await?)
}
