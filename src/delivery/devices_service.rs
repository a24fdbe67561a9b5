//! The phones (and browsers) that receive a user's push messages. A device
//! belongs to the session (refresh-token family) that registered it: ending
//! the session removes it, and so does deleting the account.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::context::Ctx;
use crate::db::begin_write;
use crate::domain::{Locale, Platform};
use crate::entities::{devices, refresh_tokens};
use crate::error::{AppError, AppResult};
use crate::messages::Msg;

/// The longest token accepted (the column's limit).
pub const MAX_TOKEN_BYTES: usize = 4096;

/// How many devices one account keeps; registering another drops the one
/// used least recently, so one account cannot grow the table without bound.
pub const MAX_DEVICES_PER_USER: usize = 20;

/// A registration: who, from which session, and the device's settings.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub user_id: Uuid,
    /// The refresh-token family of the caller's access token, if it names one.
    pub session_id: Option<Uuid>,
    pub token: String,
    pub platform: Platform,
    pub locale: Locale,
}

/// Why a token is refused, if it is: empty, longer than the column, or with
/// anything but visible ASCII (FCM tokens are base64url with `:` and `-`).
pub fn token_problem(token: &str) -> Option<Msg> {
    if token.is_empty() {
        Some(Msg::Required)
    } else if token.len() > MAX_TOKEN_BYTES {
        Some(Msg::TooLong {
            max: MAX_TOKEN_BYTES as u64,
        })
    } else if !token.bytes().all(|b| b.is_ascii_graphic()) {
        Some(Msg::InvalidValue)
    } else {
        None
    }
}

/// Registers `device.token` for `device.user_id` (idempotent). A token that
/// another account registered moves to this one: a phone has one owner, the
/// account signed in on it last. Refused with 401 when the caller's session
/// has already ended (an access token outliving a logout).
pub async fn register(ctx: Ctx<'_>, device: NewDevice) -> AppResult<()> {
    if let Some(msg) = token_problem(&device.token) {
        return Err(AppError::field("token", msg));
    }
    let now = ctx.now;
    let txn = begin_write(ctx.db).await?;
    if let Some(session) = device.session_id {
        let live = refresh_tokens::Entity::find()
            .filter(refresh_tokens::Column::FamilyId.eq(session))
            .filter(refresh_tokens::Column::UserId.eq(device.user_id))
            .filter(refresh_tokens::Column::RevokedAt.is_null())
            .filter(refresh_tokens::Column::ExpiresAt.gt(now))
            .count(&txn)
            .await?;
        if live == 0 {
            return Err(AppError::Unauthorized(Msg::InvalidToken));
        }
    }
    let existing = devices::Entity::find_by_id(device.token.clone())
        .one(&txn)
        .await?;
    match existing {
        Some(old) => {
            let moved = old.user_id != device.user_id;
            let from = old.user_id;
            let mut m = old.into_active_model();
            m.user_id = Set(device.user_id);
            m.session_id = Set(device.session_id);
            m.platform = Set(device.platform);
            m.locale = Set(device.locale);
            m.last_used_at = Set(now);
            if moved {
                m.created_at = Set(now);
                tracing::info!(%from, to = %device.user_id, "push token moved to another account");
            }
            m.update(&txn).await?;
        }
        None => {
            // Another request may insert the same token between the read and
            // here (PostgreSQL, read committed): the last one wins.
            devices::Entity::insert(devices::ActiveModel {
                token: Set(device.token.clone()),
                user_id: Set(device.user_id),
                session_id: Set(device.session_id),
                platform: Set(device.platform),
                locale: Set(device.locale),
                created_at: Set(now),
                last_used_at: Set(now),
            })
            .on_conflict(
                OnConflict::column(devices::Column::Token)
                    .update_columns([
                        devices::Column::UserId,
                        devices::Column::SessionId,
                        devices::Column::Platform,
                        devices::Column::Locale,
                        devices::Column::LastUsedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        }
    }
    trim_to_limit(&txn, device.user_id).await?;
    txn.commit().await?;
    Ok(())
}

/// Drops the devices used least recently beyond [`MAX_DEVICES_PER_USER`].
async fn trim_to_limit<C: ConnectionTrait>(db: &C, user_id: Uuid) -> AppResult<()> {
    // At most one over the limit: read them all (SQLite has no OFFSET
    // without LIMIT).
    let tokens: Vec<String> = devices::Entity::find()
        .select_only()
        .column(devices::Column::Token)
        .filter(devices::Column::UserId.eq(user_id))
        .order_by_desc(devices::Column::LastUsedAt)
        .order_by_desc(devices::Column::CreatedAt)
        .order_by_asc(devices::Column::Token)
        .into_tuple()
        .all(db)
        .await?;
    let extra: Vec<String> = tokens.into_iter().skip(MAX_DEVICES_PER_USER).collect();
    if !extra.is_empty() {
        devices::Entity::delete_many()
            .filter(devices::Column::UserId.eq(user_id))
            .filter(devices::Column::Token.is_in(extra))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The user's devices, newest first.
pub async fn list<C: ConnectionTrait>(db: &C, user_id: Uuid) -> AppResult<Vec<devices::Model>> {
    Ok(devices::Entity::find()
        .filter(devices::Column::UserId.eq(user_id))
        .order_by_desc(devices::Column::CreatedAt)
        .order_by_asc(devices::Column::Token)
        .all(db)
        .await?)
}

/// Removes one of the user's devices; someone else's token (or an unknown
/// one) is 404.
pub async fn remove(ctx: Ctx<'_>, user_id: Uuid, token: &str) -> AppResult<()> {
    let gone = devices::Entity::delete_many()
        .filter(devices::Column::Token.eq(token))
        .filter(devices::Column::UserId.eq(user_id))
        .exec(ctx.db)
        .await?;
    if gone.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Removes the devices a session registered (its end: logout, revocation).
/// Runs inside the caller's transaction.
pub async fn forget_session<C: ConnectionTrait>(db: &C, session_id: Uuid) -> AppResult<u64> {
    Ok(devices::Entity::delete_many()
        .filter(devices::Column::SessionId.eq(session_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// Removes every device of a user (the account is deleted). Runs inside the
/// caller's transaction: the account row is kept, so the foreign key does
/// not cascade.
pub async fn forget_user<C: ConnectionTrait>(db: &C, user_id: Uuid) -> AppResult<u64> {
    Ok(devices::Entity::delete_many()
        .filter(devices::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// Removes every device of a user but those registered in the session
/// `keep` (a password change ends the other sessions, not the caller's).
pub async fn forget_user_except<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    keep: Uuid,
) -> AppResult<u64> {
    Ok(devices::Entity::delete_many()
        .filter(devices::Column::UserId.eq(user_id))
        .filter(
            devices::Column::SessionId
                .ne(keep)
                .or(devices::Column::SessionId.is_null()),
        )
        .exec(db)
        .await?
        .rows_affected)
}

/// Removes a token that FCM no longer knows, if it still belongs to `user_id`
/// (it may have moved to another account since it was read).
pub async fn forget_token<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    token: &str,
) -> AppResult<u64> {
    Ok(devices::Entity::delete_many()
        .filter(devices::Column::Token.eq(token))
        .filter(devices::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// Records a message delivered to `token`.
pub async fn touch<C: ConnectionTrait>(db: &C, token: &str, now: DateTime<Utc>) -> AppResult<()> {
    devices::Entity::update_many()
        .col_expr(devices::Column::LastUsedAt, Expr::value(now))
        .filter(devices::Column::Token.eq(token))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_visible_ascii_up_to_4096_bytes() {
        assert_eq!(token_problem("dGVzdA:APA91b-_x.y~z"), None);
        assert_eq!(token_problem(&"a".repeat(4096)), None);
        assert_eq!(
            token_problem(&"a".repeat(4097)),
            Some(Msg::TooLong { max: 4096 })
        );
        assert_eq!(token_problem(""), Some(Msg::Required));
        for bad in ["a b", "tab\there", "ü", "line\n", "nul\0"] {
            assert_eq!(token_problem(bad), Some(Msg::InvalidValue), "{bad:?}");
        }
    }
}
