//! `GET/PUT /admin/calendar`.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::{self, CalendarData};
use crate::auth::extract::{Admin, Staff};
use crate::error::{AppError, AppResult, ProblemBody};
use crate::http::extract::ValidatedJson;
use crate::messages::Msg;
use crate::state::AppState;
use crate::validate::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_calendar, put_calendar))
}

impl Validate for CalendarData {
    fn validate(&self) -> AppResult<()> {
        self.to_calendar(chrono_tz::UTC)
            .map(|_| ())
            .map_err(|field| AppError::field(field, Msg::InvalidWorkingHours))
    }
}

/// The working calendar deadlines are counted in (staff may read it).
#[utoipa::path(get, path = "/admin/calendar", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = CalendarData)))]
async fn get_calendar(
    State(state): State<AppState>,
    _staff: Staff,
) -> AppResult<Json<CalendarData>> {
    let cal = store::load(&state.db, state.config.city_tz).await?;
    Ok(Json(CalendarData::from_calendar(&cal)))
}

/// Replace the working calendar. New deadlines use it; existing ones stay.
#[utoipa::path(put, path = "/admin/calendar", tag = "admin", security(("bearer" = [])),
    request_body = CalendarData,
    responses(
        (status = 200, body = CalendarData),
        (status = 422, description = "An interval is not HH:MM–HH:MM, or intervals overlap", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn put_calendar(
    State(state): State<AppState>,
    _admin: Admin,
    ValidatedJson(data): ValidatedJson<CalendarData>,
) -> AppResult<Json<CalendarData>> {
    store::save(&state.db, &data, state.clock.now()).await?;
    let cal = store::load(&state.db, state.config.city_tz).await?;
    Ok(Json(CalendarData::from_calendar(&cal)))
}
