//! Operations endpoints: liveness, readiness, metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{AppError, ProblemBody};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics_text))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, body = Health),
    (status = 503, description = "The database does not answer", body = ProblemBody, content_type = "application/problem+json"),
))]
async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    if crate::db::ping(&state.db).await {
        Ok(Json(Health { status: "ok" }))
    } else {
        Err(AppError::Unavailable("database ping failed".into()))
    }
}

/// Prometheus text format: `http_requests_total`, `http_request_duration_seconds`
/// (by method, route template and status) and `db_pool_connections`.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Prometheus exposition format", body = String, content_type = "text/plain"),
))]
async fn metrics_text(State(state): State<AppState>) -> Response {
    let (in_use, idle, max) =
        crate::db::pool_usage(&state.db, state.config.database.max_connections);
    metrics::gauge!("db_pool_connections", "state" => "in_use").set(in_use as f64);
    metrics::gauge!("db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("db_pool_max_connections").set(max as f64);
    state.metrics.run_upkeep();
    let mut res = (StatusCode::OK, state.metrics.render()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}
