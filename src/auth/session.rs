//! Is the caller's session still alive? Asked on every authenticated request
//! and by open streams, so it is one query: the account row, returned only
//! when the account is active and the session (the refresh-token family named
//! by the access token's `sid`) still has a token that is neither revoked nor
//! expired. The partial index `ix_refresh_tokens_live_family` (migration
//! 000013) holds only unrevoked tokens, one per live session, so the check is
//! one index probe however many sessions and rotations the table keeps.
//!
//! A session ends when its refresh token is revoked: logout, reuse of a
//! rotated token (the whole family), a password change (the other sessions)
//! or reset (all), an admin's revocation, disabling or deleting the account;
//! or when its last refresh token expires.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::entities::{refresh_tokens, users};
use crate::error::AppResult;

fn alive_query(
    user_id: Uuid,
    sid: Uuid,
    now: DateTime<Utc>,
) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(refresh_tokens::Entity)
        .and_where(refresh_tokens::Column::FamilyId.eq(sid))
        .and_where(refresh_tokens::Column::RevokedAt.is_null())
        .and_where(refresh_tokens::Column::ExpiresAt.gt(now))
        .and_where(refresh_tokens::Column::UserId.eq(user_id))
        .to_owned()
}

/// Whether the session `sid` of `user_id` is alive (for open streams, which
/// read the account row themselves).
pub async fn session_alive<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    sid: Uuid,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    Ok(refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::FamilyId.eq(sid))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .filter(refresh_tokens::Column::ExpiresAt.gt(now))
        .filter(refresh_tokens::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .is_some())
}

/// The account `user_id`, if it is active and its session `sid` is alive.
pub async fn live_user<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    sid: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Option<users::Model>> {
    let alive = alive_query(user_id, sid, now);
    Ok(users::Entity::find_by_id(user_id)
        .filter(users::Column::DisabledAt.is_null())
        .filter(users::Column::DeletedAt.is_null())
        .filter(Expr::exists(alive))
        .one(db)
        .await?)
}
