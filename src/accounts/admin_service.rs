//! Admin transactions on accounts: staff members and API clients.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::rules::needs_unit;
use super::service::{NewUser, end_sessions, insert_user};
use crate::auth::Role;
use crate::auth::password::PasswordHasher;
use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::context::Ctx;
use crate::db::begin_write;
use crate::entities::{api_clients, users};
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

/// A change to an account; `None` leaves a field as it is, and
/// `unit_id: Some(None)` takes the account out of its unit.
#[derive(Default)]
pub struct StaffChanges {
    pub role: Option<Role>,
    pub unit_id: Option<Option<Uuid>>,
    /// `true` disables the account and ends its sessions; `false` enables it.
    pub disabled: Option<bool>,
    pub full_name: Option<String>,
}

/// Changes an account. Staff accounts: role, unit, name, disabled. Citizen
/// accounts: only `disabled` (422 for anything else). 404 for unknown and
/// deleted accounts; 422 when the result would be an officer or coordinator
/// without a known unit; 409 when it would leave no active admin.
/// Disabling ends every session of the account in the same transaction.
pub async fn update_staff(
    ctx: Ctx<'_>,
    id: Uuid,
    changes: StaffChanges,
) -> AppResult<users::Model> {
    let txn = begin_write(ctx.db).await?;
    let user = users::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .filter(|u| u.deleted_at.is_none())
        .ok_or(AppError::NotFound)?;
    if user.role == Role::Citizen {
        let refused = [
            ("role", changes.role.is_some()),
            ("unit_id", changes.unit_id.is_some()),
            ("full_name", changes.full_name.is_some()),
        ];
        if let Some((field, _)) = refused.iter().find(|(_, given)| *given) {
            return Err(AppError::field(*field, Msg::CitizenChangeNotAllowed));
        }
    } else {
        let role = changes.role.unwrap_or(user.role);
        let unit = changes.unit_id.unwrap_or(user.unit_id);
        if needs_unit(role) && unit.is_none() {
            return Err(AppError::field("unit_id", Msg::StaffNeedsUnit));
        }
        if let Some(u) = unit {
            ensure_unit(&txn, "unit_id", u).await?;
        }
    }
    let role = changes.role.unwrap_or(user.role);
    let unit = changes.unit_id.unwrap_or(user.unit_id);
    let active_admin = user.role == Role::Admin && user.disabled_at.is_none();
    let stays_active_admin = role == Role::Admin
        && match changes.disabled {
            Some(d) => !d,
            None => user.disabled_at.is_none(),
        };
    if active_admin && !stays_active_admin {
        ensure_another_admin(&txn, id).await?;
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
        // Disabling ends every session (and drops its push devices) in the
        // same transaction.
        end_sessions(&txn, id, None, ctx.now).await?;
    }
    let user = m.update(&txn).await?;
    txn.commit().await?;
    Ok(user)
}

/// 409 unless an active admin other than `id` remains. The active admins'
/// rows are locked (`FOR UPDATE` on PostgreSQL; SQLite's write transaction
/// already serializes), so two admins disabling each other at once cannot
/// both succeed.
async fn ensure_another_admin<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<()> {
    let admins = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Role.eq(Role::Admin))
        .filter(users::Column::DisabledAt.is_null())
        .filter(users::Column::DeletedAt.is_null())
        .lock_exclusive()
        .into_tuple::<Uuid>()
        .all(db)
        .await?;
    if admins.iter().any(|a| *a != id) {
        Ok(())
    } else {
        Err(AppError::Conflict(Msg::LastAdmin))
    }
}

/// Ends every session of an account (404 when there is no such account):
/// its access tokens and open streams stop, its push devices go.
pub async fn revoke_sessions(ctx: Ctx<'_>, id: Uuid) -> AppResult<()> {
    let txn = begin_write(ctx.db).await?;
    if users::Entity::find_by_id(id).one(&txn).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let ended = end_sessions(&txn, id, None, ctx.now).await?;
    txn.commit().await?;
    tracing::info!(user_id = %id, ended, "sessions revoked by an admin");
    Ok(())
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
