//! Account and session transactions.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

use crate::validate::nonblank;

use super::identity::{looks_like_email, normalize_email, normalize_phone};
use crate::auth::Role;
use crate::auth::password::PasswordHasher;
use crate::auth::rate_limit::Limiter;
use crate::auth::tokens::{JwtKeys, hash_refresh_token, new_refresh_token};
use crate::clock::Clock;
use crate::context::Ctx;
use crate::db::begin_write;
use crate::entities::{refresh_tokens, users};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::messages::Msg;

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

/// Creates an account (any role) at the clock's time. 409 when the phone or
/// email is taken.
pub async fn create_user<C: ConnectionTrait>(
    db: &C,
    passwords: &PasswordHasher,
    clock: &Clock,
    new: NewUser,
) -> AppResult<users::Model> {
    insert_user(db, passwords, clock.now(), new).await
}

/// Creates an account (any role) created at `now`. 409 naming the phone or
/// email when either is taken.
pub async fn insert_user<C: ConnectionTrait>(
    db: &C,
    passwords: &PasswordHasher,
    now: DateTime<Utc>,
    new: NewUser,
) -> AppResult<users::Model> {
    // A place in the hashing pool first: when it is saturated the answer is
    // a 503 at once, before any database work.
    let ticket = passwords.reserve()?;
    ensure_unique(db, new.phone.as_deref(), new.email.as_deref(), None).await?;
    let hash = ticket.hash(&new.password).await?;
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
    // A concurrent registration of the same phone or email loses on the
    // unique index, which answers with the same message as the check above.
    Ok(model.insert(db).await?)
}

/// A change to one's own profile; `None` leaves a field as it is.
#[derive(Default)]
pub struct ProfileChanges {
    pub full_name: Option<String>,
    pub locale: Option<Locale>,
}

pub async fn update_profile(
    ctx: Ctx<'_>,
    user: users::Model,
    changes: ProfileChanges,
) -> AppResult<users::Model> {
    let mut m = user.into_active_model();
    if let Some(name) = changes.full_name {
        m.full_name = Set(name);
    }
    if let Some(locale) = changes.locale {
        m.locale = Set(locale);
    }
    m.updated_at = Set(ctx.now);
    Ok(m.update(ctx.db).await?)
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

/// What issuing a session needs besides the database.
#[derive(Clone, Copy)]
pub struct SessionKeys<'a> {
    pub jwt: &'a JwtKeys,
    /// How long a refresh token lives.
    pub refresh_ttl: Duration,
}

/// Starts a new session (a new refresh-token family) for `user`.
pub async fn start_session(
    ctx: Ctx<'_>,
    keys: SessionKeys<'_>,
    user: users::Model,
) -> AppResult<Session> {
    let family = Uuid::now_v7();
    let refresh = new_refresh_row(ctx.db, ctx.now, keys, user.id, family).await?;
    session_for(ctx.now, keys, user, family, refresh)
}

async fn new_refresh_row<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    keys: SessionKeys<'_>,
    user_id: Uuid,
    family_id: Uuid,
) -> AppResult<(Uuid, String)> {
    let token = new_refresh_token();
    let id = Uuid::now_v7();
    refresh_tokens::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        family_id: Set(family_id),
        token_hash: Set(hash_refresh_token(&token)),
        created_at: Set(now),
        expires_at: Set(now + keys.refresh_ttl),
        revoked_at: Set(None),
        replaced_by: Set(None),
    }
    .insert(db)
    .await?;
    Ok((id, token))
}

fn session_for(
    now: DateTime<Utc>,
    keys: SessionKeys<'_>,
    user: users::Model,
    family: Uuid,
    refresh: (Uuid, String),
) -> AppResult<Session> {
    let access = keys
        .jwt
        .issue(user.id, user.role, user.unit_id, Some(family), now)?;
    Ok(Session {
        user,
        access_token: access,
        refresh_token: refresh.1,
        expires_in: keys.jwt.ttl_secs(),
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
pub async fn login(
    ctx: Ctx<'_>,
    keys: SessionKeys<'_>,
    passwords: &PasswordHasher,
    per_account: &Limiter<String>,
    login: &str,
    password: &str,
) -> AppResult<Session> {
    let key = login_key(login);
    // A place in the hashing pool first: a saturated pool answers 503 at
    // once, costs the database nothing and spends none of the account's
    // login tries (a retry after a 503 is not held against it).
    let ticket = passwords.reserve()?;
    per_account.check(&key)?;
    let column = if looks_like_email(login) {
        users::Column::Email
    } else {
        users::Column::Phone
    };
    let user = users::Entity::find()
        .filter(column.eq(key))
        .one(ctx.db)
        .await?;
    let ok = ticket
        .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
        .await?;
    match user {
        Some(u) if ok && u.disabled_at.is_none() => start_session(ctx, keys, u).await,
        _ => Err(AppError::Unauthorized(Msg::InvalidCredentials)),
    }
}

/// Rotates a refresh token. A token that was already rotated or revoked is a
/// sign of theft: the whole family is revoked and the caller gets 401.
pub async fn refresh(ctx: Ctx<'_>, keys: SessionKeys<'_>, token: &str) -> AppResult<Session> {
    let invalid = || AppError::Unauthorized(Msg::InvalidRefreshToken);
    let hash = hash_refresh_token(token);
    let now = ctx.now;
    let txn = begin_write(ctx.db).await?;
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
    let next = new_refresh_row(&txn, now, keys, user.id, row.family_id).await?;
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
    session_for(now, keys, user, row.family_id, next)
}

/// Ends a session: its refresh tokens are revoked and the push devices it
/// registered are removed.
pub async fn revoke_family<C: ConnectionTrait>(
    db: &C,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::FamilyId.eq(family_id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    crate::delivery::devices_service::forget_session(db, family_id).await?;
    Ok(())
}

/// Ends the session the refresh token belongs to, if it is the caller's.
/// Unknown tokens are ignored: logging out twice is not an error.
pub async fn logout(ctx: Ctx<'_>, user_id: Uuid, token: &str) -> AppResult<()> {
    let hash = hash_refresh_token(token);
    let txn = begin_write(ctx.db).await?;
    let row = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(hash))
        .filter(refresh_tokens::Column::UserId.eq(user_id))
        .one(&txn)
        .await?;
    if let Some(row) = row {
        revoke_family(&txn, row.family_id, ctx.now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Ends every session of `user_id` but `keep` (when given): their refresh
/// tokens are revoked, so their access tokens and open streams stop at once
/// (`auth::session`), and the push devices they registered are removed.
/// Runs inside the caller's transaction.
pub async fn end_sessions<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    keep: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let mut q = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::UserId.eq(user_id))
        .filter(refresh_tokens::Column::RevokedAt.is_null());
    if let Some(family) = keep {
        q = q.filter(refresh_tokens::Column::FamilyId.ne(family));
    }
    let ended = q.exec(db).await?.rows_affected;
    match keep {
        Some(family) => {
            crate::delivery::devices_service::forget_user_except(db, user_id, family).await?
        }
        None => crate::delivery::devices_service::forget_user(db, user_id).await?,
    };
    Ok(ended)
}

/// The password rules, with the account's own details as forbidden inputs;
/// 422 on `field`.
pub fn check_password_for(user: &users::Model, password: &str, field: &str) -> AppResult<()> {
    let inputs: Vec<&str> = [
        user.phone.as_deref(),
        user.email.as_deref(),
        Some(user.full_name.as_str()),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect();
    crate::auth::password::check_policy(password, &inputs).map_err(|m| AppError::field(field, m))
}

/// Changes the caller's password. A wrong current password is 422 on
/// `current_password` (tries are throttled per account with the login
/// limiter); the new one follows the password rules and must differ. Every
/// other session of the account ends; the caller's (`session`) stays.
pub async fn change_password(
    ctx: Ctx<'_>,
    passwords: &PasswordHasher,
    per_account: &Limiter<String>,
    user: &users::Model,
    session: Uuid,
    current: &str,
    new: &str,
) -> AppResult<()> {
    per_account.check(&format!("password-change:{}", user.id))?;
    if !passwords
        .verify(current, Some(user.password_hash.as_str()))
        .await?
    {
        return Err(AppError::field("current_password", Msg::WrongPassword));
    }
    if current == new {
        return Err(AppError::field("new_password", Msg::SamePassword));
    }
    check_password_for(user, new, "new_password")?;
    let hash = passwords.hash(new).await?;
    let txn = begin_write(ctx.db).await?;
    // The account may have been disabled or its session ended meanwhile.
    let updated = users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .col_expr(users::Column::UpdatedAt, Expr::value(ctx.now))
        .filter(users::Column::Id.eq(user.id))
        .filter(users::Column::DisabledAt.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::Unauthorized(Msg::SessionEnded));
    }
    end_sessions(&txn, user.id, Some(session), ctx.now).await?;
    txn.commit().await?;
    Ok(())
}
