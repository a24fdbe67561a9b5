//! Passwords: change one's own (`POST /me/password`), and reset a forgotten
//! one by a one-time code (`POST /auth/password-reset`, `…/confirm`).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service;
use crate::auth::extract::CurrentUser;
use crate::auth::password;
use crate::error::{AppResult, ProblemBody};
use crate::http::extract::{ClientIp, ValidatedJson};
use crate::messages::Msg;
use crate::state::AppState;
use crate::validate::{Check, Validate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(change_password))
        .routes(routes!(request_reset))
        .routes(routes!(confirm_reset))
}

/// Refuses a password longer than any accepted before hashing anything.
fn password_field(c: &mut Check, field: &str, value: &Option<String>) {
    if let Some(p) = c.required(field, value) {
        c.max_len(field, p, password::MAX_LEN * 4);
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "mây trôi qua hồ gươm", "new_password": "gió mùa thu qua phố cổ"}))]
pub struct ChangePassword {
    #[schema(required = true)]
    pub current_password: Option<String>,
    /// 8 to 128 characters; common passwords and ones built from the
    /// account's own details are refused.
    #[schema(required = true)]
    pub new_password: Option<String>,
}

impl Validate for ChangePassword {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        password_field(&mut c, "current_password", &self.current_password);
        password_field(&mut c, "new_password", &self.new_password);
        c.finish()
    }
}

/// Change the caller's password. Every other session of the account ends
/// (their tokens stop working, their push devices are removed); the
/// caller's session goes on.
#[utoipa::path(post, path = "/me/password", tag = "accounts",
    request_body = ChangePassword,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed; the other sessions have ended"),
        (status = 401, description = "Not signed in, or the session has ended", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Wrong `current_password`, or `new_password` breaks the rules or equals the current one", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many tries for this account; see Retry-After", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "every password-hashing thread is busy and its queue is full; nothing was changed, try again after Retry-After", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidatedJson(req): ValidatedJson<ChangePassword>,
) -> AppResult<StatusCode> {
    service::change_password(
        state.ctx(),
        &state.passwords,
        &state.auth_limits.login_account,
        &user.user,
        user.session_id,
        req.current_password.as_deref().unwrap_or_default(),
        req.new_password.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"login": "0912345678"}))]
pub struct ResetRequest {
    /// The account's phone (any usual form) or e-mail.
    #[schema(required = true)]
    pub login: Option<String>,
}

impl Validate for ResetRequest {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        c.text("login", &self.login, 254);
        c.finish()
    }
}

/// Ask for a password reset code. The answer is 202 whether or not an
/// account has this phone or e-mail, and also when a limit is reached: it
/// says nothing about accounts. If an active account matches (and its
/// limits allow), a 6-digit code is sent to it by SMS (phone) or e-mail
/// (e-mail address): valid `password_reset.code_ttl_minutes` (15), for
/// `password_reset.max_attempts` (5) tries, once. A new request replaces the
/// previous code.
#[utoipa::path(post, path = "/auth/password-reset", tag = "accounts",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "Accepted: a code is on its way if an account matches"),
        (status = 422, description = "Missing or malformed `login`", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn request_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ValidatedJson(req): ValidatedJson<ResetRequest>,
) -> StatusCode {
    state
        .resets
        .request(ip, req.login.as_deref().unwrap_or_default());
    StatusCode::ACCEPTED
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"login": "0912345678", "code": "482913", "new_password": "gió mùa thu qua phố cổ"}))]
pub struct ResetConfirm {
    /// The phone or e-mail the code was asked for.
    #[schema(required = true)]
    pub login: Option<String>,
    /// The 6 digits received.
    #[schema(required = true, example = "482913")]
    pub code: Option<String>,
    #[schema(required = true)]
    pub new_password: Option<String>,
}

impl Validate for ResetConfirm {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        c.text("login", &self.login, 254);
        if let Some(code) = c.required("code", &self.code)
            && !(code.trim().len() == 6 && code.trim().bytes().all(|b| b.is_ascii_digit()))
        {
            c.add("code", Msg::InvalidResetCode);
        }
        password_field(&mut c, "new_password", &self.new_password);
        c.finish()
    }
}

/// Set a new password with a reset code. Every session of the account ends.
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "accounts",
    request_body = ResetConfirm,
    responses(
        (status = 204, description = "Password set; every session has ended"),
        (status = 422, description = "Wrong, expired, used or exhausted `code` (the same answer for an unknown account), or `new_password` breaks the rules", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many tries from this address or for this login; see Retry-After", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "every password-hashing thread is busy and its queue is full; no try of the code was counted, try again after Retry-After", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn confirm_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ValidatedJson(req): ValidatedJson<ResetConfirm>,
) -> AppResult<StatusCode> {
    state
        .resets
        .confirm(
            state.ctx(),
            &state.passwords,
            ip,
            req.login.as_deref().unwrap_or_default(),
            req.code.as_deref().unwrap_or_default(),
            req.new_password.as_deref().unwrap_or_default(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
