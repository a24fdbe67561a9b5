//! Who is calling. A handler asks for `CurrentUser` (anyone signed in),
//! `Citizen`, `Staff` or `Admin`, and its signature says who may call it.
//!
//! The token is checked (HS256 only, issuer, audience, expiry on the app clock),
//! then the account is loaded together with the token's session
//! (`auth::session::live_user`, one query), so a disabled or deleted account,
//! and a session that ended (logout, refresh-token reuse, password change or
//! reset, an admin's revocation) lose access at once, and role or unit
//! changes take effect on the next request. A token that names no session
//! cannot be ended, so it is refused.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use uuid::Uuid;

use super::Role;
use super::session::live_user;
use super::tokens::TokenError;
use crate::domain::Actor;
use crate::entities::users;
use crate::error::AppError;
use crate::messages::Msg;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: Uuid,
    pub role: Role,
    pub unit_id: Option<Uuid>,
    /// The session (refresh-token family) of the access token.
    pub session_id: Uuid,
    pub user: users::Model,
}

impl CurrentUser {
    /// The caller as the services know them.
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.id,
            role: self.role,
            unit_id: self.unit_id,
        }
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let state = AppState::from_ref(state);
        let token = bearer(parts).ok_or(AppError::Unauthorized(Msg::Unauthorized))?;
        let claims = state
            .jwt
            .verify(token, state.clock.now())
            .map_err(|e| match e {
                TokenError::Expired => AppError::Unauthorized(Msg::TokenExpired),
                TokenError::Invalid => AppError::Unauthorized(Msg::InvalidToken),
            })?;
        let sid = claims
            .sid
            .ok_or(AppError::Unauthorized(Msg::InvalidToken))?;
        let user = live_user(&state.db, claims.sub, sid, state.clock.now())
            .await?
            .ok_or(AppError::Unauthorized(Msg::SessionEnded))?;
        let role = user.role;
        let current = CurrentUser {
            id: user.id,
            role,
            unit_id: user.unit_id,
            session_id: sid,
            user,
        };
        parts.extensions.insert(current.clone());
        Ok(current)
    }
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub CurrentUser);

        impl<S> FromRequestParts<S> for $name
        where
            S: Send + Sync,
            AppState: FromRef<S>,
        {
            type Rejection = AppError;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
                let user = CurrentUser::from_request_parts(parts, state).await?;
                let allowed: &[Role] = &$allowed;
                if allowed.contains(&user.role) {
                    Ok($name(user))
                } else {
                    Err(AppError::Forbidden)
                }
            }
        }
    };
}

role_extractor!(
    /// A signed-in citizen.
    Citizen,
    [Role::Citizen]
);
role_extractor!(
    /// An officer, coordinator or admin.
    Staff,
    [Role::Officer, Role::Coordinator, Role::Admin]
);
role_extractor!(
    /// A coordinator or admin.
    Coordinator,
    [Role::Coordinator, Role::Admin]
);
role_extractor!(
    /// An administrator.
    Admin,
    [Role::Admin]
);

/// The caller if a token was sent, `None` for anonymous callers. A token that
/// is sent but invalid is still 401: the client should know.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<CurrentUser>);

impl<S> FromRequestParts<S> for MaybeUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.headers.get(AUTHORIZATION).is_none() {
            return Ok(MaybeUser(None));
        }
        Ok(MaybeUser(Some(
            CurrentUser::from_request_parts(parts, state).await?,
        )))
    }
}
