//! `PUT/GET/DELETE /me/devices`: the caller's push tokens.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::devices_service::{self, NewDevice};
use crate::auth::extract::CurrentUser;
use crate::domain::{Locale, Platform};
use crate::entities::devices;
use crate::error::{AppError, AppResult, ProblemBody};
use crate::http::extract::ValidatedJson;
use crate::messages::Msg;
use crate::state::AppState;
use crate::validate::{Check, Validate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_devices))
        .routes(routes!(put_device, delete_device))
}

fn platforms() -> utoipa::openapi::schema::Object {
    crate::http::openapi::one_of_exactly(Platform::ALL.iter().map(|p| p.as_str()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"platform": "android", "locale": "vi"}))]
pub struct DeviceRequest {
    /// `android`, `ios` or `web`.
    #[schema(required = true, schema_with = platforms)]
    pub platform: Option<String>,
    /// `vi` or `en`: the language of this device's messages. Default: the
    /// account's language.
    #[schema(schema_with = crate::http::openapi::locale_or_null)]
    pub locale: Option<String>,
}

impl Validate for DeviceRequest {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        if let Some(p) = c.required("platform", &self.platform)
            && Platform::parse(p.trim()).is_none()
        {
            c.add("platform", Msg::InvalidValue);
        }
        if let Some(l) = &self.locale
            && Locale::from_code(l).is_none()
        {
            c.add("locale", Msg::InvalidLocale);
        }
        c.finish()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceBody {
    /// The push token (FCM registration token).
    pub token: String,
    pub platform: Platform,
    pub locale: Locale,
    pub created_at: DateTime<Utc>,
    /// When it was registered again or last received a message.
    pub last_used_at: DateTime<Utc>,
}

impl From<devices::Model> for DeviceBody {
    fn from(d: devices::Model) -> Self {
        DeviceBody {
            token: d.token,
            platform: d.platform,
            locale: d.locale,
            created_at: d.created_at,
            last_used_at: d.last_used_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceList {
    pub items: Vec<DeviceBody>,
}

/// The token from the path: a path that does not decode is a bad token too.
fn token(path: Result<Path<String>, PathRejection>) -> AppResult<String> {
    let Path(token) = path.map_err(|_| AppError::field("token", Msg::InvalidValue))?;
    if let Some(msg) = devices_service::token_problem(&token) {
        return Err(AppError::field("token", msg));
    }
    Ok(token)
}

/// Register a push token for the caller (idempotent). A token registered by
/// another account moves to the caller. The device belongs to the caller's
/// session: logging out removes it.
#[utoipa::path(put, path = "/me/devices/{token}", tag = "accounts",
    security(("bearer" = [])),
    params(("token" = String, Path, description = "The FCM registration token: visible ASCII, at most 4096 bytes", pattern = r"^[!-~]{1,4096}$")),
    request_body = DeviceRequest,
    responses(
        (status = 204, description = "Registered"),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Bad token, platform or locale", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn put_device(
    State(state): State<AppState>,
    user: CurrentUser,
    path: Result<Path<String>, PathRejection>,
    ValidatedJson(req): ValidatedJson<DeviceRequest>,
) -> AppResult<StatusCode> {
    let token = token(path)?;
    let platform = req
        .platform
        .as_deref()
        .and_then(|p| Platform::parse(p.trim()))
        .ok_or_else(|| AppError::field("platform", Msg::InvalidValue))?;
    let locale = req
        .locale
        .as_deref()
        .and_then(Locale::from_code)
        .unwrap_or(user.user.locale);
    devices_service::register(
        state.ctx(),
        NewDevice {
            user_id: user.id,
            session_id: Some(user.session_id),
            token,
            platform,
            locale,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's registered devices, newest first.
#[utoipa::path(get, path = "/me/devices", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, body = DeviceList),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn list_devices(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Json<DeviceList>> {
    let items = devices_service::list(&state.db, user.id)
        .await?
        .into_iter()
        .map(DeviceBody::from)
        .collect();
    Ok(Json(DeviceList { items }))
}

/// Remove one of the caller's devices.
#[utoipa::path(delete, path = "/me/devices/{token}", tag = "accounts",
    security(("bearer" = [])),
    params(("token" = String, Path, description = "The FCM registration token", pattern = r"^[!-~]{1,4096}$")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "Not one of the caller's devices", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn delete_device(
    State(state): State<AppState>,
    user: CurrentUser,
    path: Result<Path<String>, PathRejection>,
) -> AppResult<StatusCode> {
    let token = token(path)?;
    devices_service::remove(state.ctx(), user.id, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
