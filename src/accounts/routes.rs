//! HTTP handlers and request/response types for accounts and sessions.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Duration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::UserBody;
use super::rules::check_new_account;
use super::service::{self, NewUser, ProfileChanges, Session, SessionKeys};
use crate::auth::Role;
use crate::auth::extract::CurrentUser;
use crate::auth::password;
use crate::error::{AppResult, ProblemBody};
use crate::http::extract::{ClientIp, ValidatedJson};
use crate::i18n::Locale;
use crate::messages::Msg;
use crate::state::AppState;
use crate::validate::{Check, Validate, nonblank};

/// What the session services need from the application state.
fn session_keys(state: &AppState) -> SessionKeys<'_> {
    SessionKeys {
        jwt: &state.jwt,
        refresh_ttl: Duration::days(state.config.auth.refresh_token_ttl_days as i64),
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(get_me, patch_me))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenBody {
    pub user: UserBody,
    /// JWT for `Authorization: Bearer`, valid for `expires_in` seconds.
    pub access_token: String,
    /// Opaque; exchange at `/auth/refresh` for a new pair. Single use.
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    #[schema(example = 900)]
    pub expires_in: i64,
}

impl From<Session> for TokenBody {
    fn from(s: Session) -> Self {
        TokenBody {
            user: s.user.into(),
            access_token: s.access_token,
            refresh_token: s.refresh_token,
            token_type: "Bearer",
            expires_in: s.expires_in,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"phone": "0912345678", "password": "mây trôi qua hồ gươm", "full_name": "Nguyễn Văn An"}))]
pub struct RegisterRequest {
    /// Vietnamese numbers in any usual form (`0912345678`); stored as E.164.
    pub phone: Option<String>,
    pub email: Option<String>,
    /// 8 to 128 characters; common passwords are refused.
    #[schema(required = true)]
    pub password: Option<String>,
    #[schema(required = true)]
    pub full_name: Option<String>,
    /// `vi` (default) or `en`: the language of notifications.
    pub locale: Option<String>,
}

impl Validate for RegisterRequest {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        check_new_account(
            &mut c,
            &self.phone,
            &self.email,
            &self.full_name,
            &self.password,
            "phone",
        );
        if let Some(l) = &self.locale
            && Locale::from_code(l).is_none()
        {
            c.add("locale", Msg::InvalidLocale);
        }
        c.finish()
    }
}

/// Register a citizen account.
#[utoipa::path(post, path = "/auth/register", tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created and signed in", body = TokenBody),
        (status = 409, description = "Phone or email already registered", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "every password-hashing thread is busy and its queue is full (a login flood); nothing was done, try again after Retry-After", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ValidatedJson(req): ValidatedJson<RegisterRequest>,
) -> AppResult<(StatusCode, Json<TokenBody>)> {
    state.auth_limits.auth_ip.check(&ip)?;
    let locale = req
        .locale
        .as_deref()
        .and_then(Locale::from_code)
        .unwrap_or_default();
    let ctx = state.ctx();
    let user = service::insert_user(
        ctx.db,
        &state.passwords,
        ctx.now,
        NewUser::from_input(
            &req.phone,
            &req.email,
            &req.full_name,
            req.password,
            Role::Citizen,
            None,
            locale,
        ),
    )
    .await?;
    let session = service::start_session(ctx, session_keys(&state), user).await?;
    Ok((StatusCode::CREATED, Json(session.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"login": "0912345678", "password": "mây trôi qua hồ gươm"}))]
pub struct LoginRequest {
    /// Phone (any usual form) or email.
    #[schema(required = true)]
    pub login: Option<String>,
    #[schema(required = true)]
    pub password: Option<String>,
}

impl Validate for LoginRequest {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        c.text("login", &self.login, 254);
        if let Some(p) = c.required("password", &self.password) {
            // Longer than any password we accept: refuse before hashing it.
            c.max_len("password", p, password::MAX_LEN * 4);
        }
        c.finish()
    }
}

/// Log in with phone or email and password.
#[utoipa::path(post, path = "/auth/login", tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenBody),
        (status = 401, description = "Wrong login or password (the same answer whether or not the account exists)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Missing fields", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address or against this account; see Retry-After", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "every password-hashing thread is busy and its queue is full (a login flood); try again after Retry-After", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ValidatedJson(req): ValidatedJson<LoginRequest>,
) -> AppResult<Json<TokenBody>> {
    state.auth_limits.login_ip.check(&ip)?;
    let session = service::login(
        state.ctx(),
        session_keys(&state),
        &state.passwords,
        &state.auth_limits.login_account,
        req.login.as_deref().unwrap_or_default(),
        req.password.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(Json(session.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    #[schema(required = true)]
    pub refresh_token: Option<String>,
}

impl Validate for RefreshRequest {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        c.text("refresh_token", &self.refresh_token, 256);
        c.finish()
    }
}

/// Exchange a refresh token for a new pair. The old refresh token stops
/// working; presenting it again revokes every token of that session.
#[utoipa::path(post, path = "/auth/refresh", tag = "accounts",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenBody),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn refresh(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ValidatedJson(req): ValidatedJson<RefreshRequest>,
) -> AppResult<Json<TokenBody>> {
    state.auth_limits.auth_ip.check(&ip)?;
    let token = req.refresh_token.as_deref().unwrap_or_default().trim();
    let session = service::refresh(state.ctx(), session_keys(&state), token).await?;
    Ok(Json(session.into()))
}

/// End the session the refresh token belongs to.
#[utoipa::path(post, path = "/auth/logout", tag = "accounts",
    request_body = RefreshRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out; the refresh token and its session are revoked"),
        (status = 401, description = "Not signed in", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidatedJson(req): ValidatedJson<RefreshRequest>,
) -> AppResult<StatusCode> {
    let token = req.refresh_token.as_deref().unwrap_or_default().trim();
    service::logout(state.ctx(), user.id, token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own profile.
#[utoipa::path(get, path = "/me", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserBody),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn get_me(user: CurrentUser) -> Json<UserBody> {
    Json(user.user.into())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchMeRequest {
    #[schema(schema_with = crate::http::openapi::nonblank_or_null)]
    pub full_name: Option<String>,
    #[schema(schema_with = crate::http::openapi::locale_or_null)]
    pub locale: Option<String>,
}

impl Validate for PatchMeRequest {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        if self.full_name.is_some() {
            c.text("full_name", &self.full_name, 255);
        }
        if let Some(l) = &self.locale
            && Locale::from_code(l).is_none()
        {
            c.add("locale", Msg::InvalidLocale);
        }
        c.finish()
    }
}

/// Change the caller's name or language. Absent fields stay as they are.
#[utoipa::path(patch, path = "/me", tag = "accounts",
    request_body = PatchMeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserBody),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn patch_me(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidatedJson(req): ValidatedJson<PatchMeRequest>,
) -> AppResult<Json<UserBody>> {
    let changes = ProfileChanges {
        full_name: nonblank(&req.full_name),
        locale: req.locale.as_deref().and_then(Locale::from_code),
    };
    let updated = service::update_profile(state.ctx(), user.user, changes).await?;
    Ok(Json(updated.into()))
}
