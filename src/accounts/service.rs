//! Account and session transactions.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::identity::{looks_like_email, normalize_email, normalize_phone};
use crate::auth::Role;
use crate::auth::password::PasswordHasher;
use crate::clock::Clock;
use crate::db::begin_write;
use crate::entities::{refresh_tokens, users};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::messages::Msg;
use crate::state::AppState;

/// What a new account is made of; phone and email already normalized.
pub struct NewUser {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub password: String,
    pub full_name: String,
    pub role: Role,
    pub unit_id: Option<Uuid>,
    pub locale: Locale,
}

impl NewUser {
    /// From what a client sent (already validated): phone to E.164, email
    /// case-folded, names trimmed.
    pub fn from_input(
        phone: &Option<String>,
        email: &Option<String>,
        full_name: &Option<String>,
        password: Option<String>,
        role: Role,
        unit_id: Option<Uuid>,
        locale: Locale,
    ) -> NewUser {
        use crate::validate::nonblank;
        NewUser {
            phone: nonblank(phone).and_then(|p| normalize_phone(&p)),
            email: nonblank(email).map(|e| normalize_email(&e)),
            password: password.unwrap_or_default(),
            full_name: nonblank(full_name).unwrap_or_default(),
            role,
            unit_id,
            locale,
        }
    }
}

pub struct Session {
    pub user: users::Model,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

/// Creates an account (any role). 409 when the phone or email is taken.
pub async fn create_user<C: ConnectionTrait>(
    db: &C,
    passwords: &PasswordHasher,
    clock: &Clock,
    new: NewUser,
) -> AppResult<users::Model> {
    ensure_unique(db, new.phone.as_deref(), new.email.as_deref(), None).await?;
    let hash = passwords.hash(&new.password).await?;
    let now = clock.now();
    let model = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        phone: Set(new.phone),
        email: Set(new.email),
        password_hash: Set(hash),
        full_name: Set(new.full_name),
        role: Set(new.role),
        unit_id: Set(new.unit_id),
        locale: Set(new.locale),
        created_at: Set(now),
        updated_at: Set(now),
        disabled_at: Set(None),
        deleted_at: Set(None),
    };
    // A concurrent registration of the same phone or email loses on the unique
    // index and gets the generic 409.
    Ok(model.insert(db).await?)
}

/// 409 naming the phone or email when another account (not `except`) has it.
pub async fn ensure_unique<C: ConnectionTrait>(
    db: &C,
    phone: Option<&str>,
    email: Option<&str>,
    except: Option<Uuid>,
) -> AppResult<()> {
    let taken = |col: users::Column, value: &str| {
        let mut q = users::Entity::find().filter(col.eq(value));
        if let Some(id) = except {
            q = q.filter(users::Column::Id.ne(id));
        }
        q
    };
    if let Some(p) = phone
        && taken(users::Column::Phone, p).one(db).await?.is_some()
    {
        return Err(AppError::Conflict(Msg::PhoneTaken));
    }
    if let Some(e) = email
        && taken(users::Column::Email, e).one(db).await?.is_some()
    {
        return Err(AppError::Conflict(Msg::EmailTaken));
    }
    Ok(())
}

/// Starts a new session (a new refresh-token family) for `user`.
pub async fn start_session(state: &AppState, user: users::Model) -> AppResult<Session> {
    let family = Uuid::now_v7();
    let refresh = new_refresh_row(state, user.id, family, &state.db).await?;
    session_for(state, user, refresh)
}

async fn new_refresh_row<C: ConnectionTrait>(
    state: &AppState,
    user_id: Uuid,
    family_id: Uuid,
    db: &C,
) -> AppResult<(Uuid, String)> {
    let token = crate::auth::tokens::new_refresh_token();
    let now = state.clock.now();
    let id = Uuid::now_v7();
    refresh_tokens::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        family_id: Set(family_id),
        token_hash: Set(crate::auth::tokens::hash_refresh_token(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(state.config.auth.refresh_token_ttl_days as i64)),
        revoked_at: Set(None),
        replaced_by: Set(None),
    }
    .insert(db)
    .await?;
    Ok((id, token))
}

fn session_for(
    state: &AppState,
    user: users::Model,
    refresh: (Uuid, String),
) -> AppResult<Session> {
    let role = user.role;
    let access = state
        .jwt
        .issue(user.id, role, user.unit_id, state.clock.now())?;
    Ok(Session {
        user,
        access_token: access,
        refresh_token: refresh.1,
        expires_in: state.jwt.ttl_secs(),
    })
}

/// The key an account is found (and throttled) by: folded email or E.164 phone.
pub fn login_key(login: &str) -> String {
    if looks_like_email(login) {
        normalize_email(login)
    } else {
        normalize_phone(login).unwrap_or_else(|| login.trim().to_lowercase())
    }
}

/// Checks the password. Unknown account, wrong password and disabled account
/// all get the same 401 after the same amount of work.
pub async fn login(state: &AppState, login: &str, password: &str) -> AppResult<Session> {
    let key = login_key(login);
    state.auth_limits.login_account.check(&key)?;
    let column = if looks_like_email(login) {
        users::Column::Email
    } else {
        users::Column::Phone
    };
    let user = users::Entity::find()
        .filter(column.eq(key))
        .one(&state.db)
        .await?;
    let ok = state
        .passwords
        .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
        .await?;
    match user {
        Some(u) if ok && u.disabled_at.is_none() => start_session(state, u).await,
        _ => Err(AppError::Unauthorized(Msg::InvalidCredentials)),
    }
}

/// Rotates a refresh token. A token that was already rotated or revoked is a
/// sign of theft: the whole family is revoked and the caller gets 401.
pub async fn refresh(state: &AppState, token: &str) -> AppResult<Session> {
    let invalid = || AppError::Unauthorized(Msg::InvalidRefreshToken);
    let hash = crate::auth::tokens::hash_refresh_token(token);
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let Some(row) = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(hash))
        .one(&txn)
        .await?
    else {
        return Err(invalid());
    };
    if row.revoked_at.is_some() || row.replaced_by.is_some() {
        revoke_family(&txn, row.family_id, now).await?;
        txn.commit().await?;
        tracing::warn!(user_id = %row.user_id, family_id = %row.family_id, "refresh token reuse: session family revoked");
        return Err(invalid());
    }
    if row.expires_at <= now {
        return Err(invalid());
    }
    let user = users::Entity::find_by_id(row.user_id)
        .one(&txn)
        .await?
        .filter(|u| u.disabled_at.is_none())
        .ok_or_else(invalid)?;
    let next = new_refresh_row(state, user.id, row.family_id, &txn).await?;
    // Only one rotation of a token can win; a concurrent one sees no row to
    // update and is treated as reuse.
    let updated = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::ReplacedBy, Expr::value(next.0))
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::Id.eq(row.id))
        .filter(refresh_tokens::Column::ReplacedBy.is_null())
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        revoke_family(&txn, row.family_id, now).await?;
        txn.commit().await?;
        return Err(invalid());
    }
    txn.commit().await?;
    session_for(state, user, next)
}

pub async fn revoke_family<C: ConnectionTrait>(
    db: &C,
    family_id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::FamilyId.eq(family_id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends the session the refresh token belongs to, if it is the caller's.
/// Unknown tokens are ignored: logging out twice is not an error.
pub async fn logout(state: &AppState, user_id: Uuid, token: &str) -> AppResult<()> {
    let hash = crate::auth::tokens::hash_refresh_token(token);
    let row = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(hash))
        .filter(refresh_tokens::Column::UserId.eq(user_id))
        .one(&state.db)
        .await?;
    if let Some(row) = row {
        revoke_family(&state.db, row.family_id, state.clock.now()).await?;
    }
    Ok(())
}
