//! Router assembly and the HTTP plumbing around it.

pub mod decode_errors;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod ops;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, Request, header};
use axum::response::IntoResponse;
use tower::ServiceBuilder;
use tower_http::LatencyUnit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate as _};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::AppError;
use crate::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every documented route, with its OpenAPI description.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest(
            "/api/v1",
            crate::accounts::routes::router()
                .merge(crate::accounts::admin_routes::router())
                .merge(crate::accounts::privacy_routes::router())
                .merge(crate::accounts::reset_routes::router())
                .merge(crate::org::routes::router())
                .merge(crate::reports::routes::router())
                .merge(crate::reports::staff_routes::router())
                .merge(crate::notifications::routes::router())
                .merge(crate::calendar::routes::router())
                .merge(crate::stats::routes::router())
                .merge(crate::media::routes::router())
                .merge(crate::delivery::devices_routes::router())
                .merge(crate::delivery::webhooks::routes::router())
                .merge(crate::stream::routes::router()),
        )
        .nest("/open311/v2", crate::open311::routes::router())
        .merge(ops::router())
}

/// The OpenAPI document, as served at `/openapi.json` and checked in.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut api = api_router().split_for_parts().1;
    openapi::complete(&mut api);
    api
}

/// The whole application: routes, `/openapi.json`, `/docs`, and the middleware.
pub fn build_app(state: AppState) -> Router {
    let (router, mut api) = api_router().split_for_parts();
    openapi::complete(&mut api);
    let http = &state.config.http;

    let cors = {
        let origins: Vec<HeaderValue> = http
            .cors_allowed_origins
            .iter()
            .filter(|o| o.as_str() != "*")
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        let allow = if http.cors_allowed_origins.iter().any(|o| o == "*") {
            AllowOrigin::any()
        } else {
            AllowOrigin::list(origins)
        };
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT_LANGUAGE,
                HeaderName::from_static("idempotency-key"),
                crate::stream::routes::LAST_EVENT_ID,
                REQUEST_ID,
                // Media downloads: ranges and conditional requests.
                header::RANGE,
                header::IF_RANGE,
                header::IF_NONE_MATCH,
                header::IF_MODIFIED_SINCE,
            ])
            .expose_headers([
                REQUEST_ID,
                header::RETRY_AFTER,
                header::LOCATION,
                header::CONTENT_RANGE,
                header::ACCEPT_RANGES,
                header::ETAG,
                header::LAST_MODIFIED,
            ])
            .max_age(Duration::from_secs(600))
    };

    router
        .merge(SwaggerUi::new("/docs").url("/openapi.json", api))
        .merge(crate::console::router(&state.config.console))
        .fallback(fallback)
        // Inner layers (apply per route, so MatchedPath is known to metrics).
        .layer(
            ServiceBuilder::new()
                .layer(axum::middleware::from_fn(metrics::track))
                .layer(axum::middleware::from_fn_with_state(
                    middleware::Timeouts {
                        default: Duration::from_secs(http.request_timeout_secs),
                        // Uploads time themselves (idle and overall, with
                        // their own messages); this is the backstop for the
                        // whole request, storing included.
                        long: Duration::from_secs(
                            state.config.media.upload_timeout_secs + http.request_timeout_secs,
                        ),
                        long_route: (Method::POST, crate::media::routes::UPLOAD_PATH),
                    },
                    middleware::timeout,
                ))
                .layer(DefaultBodyLimit::max(http.body_limit_bytes)),
        )
        .with_state(state)
        // Outer layers, outermost first.
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                    let id = req
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("http", request_id = %id, method = %req.method(), path = %req.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO).latency_unit(LatencyUnit::Millis))
                .on_failure(DefaultOnFailure::new().level(Level::ERROR)))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(cors)
                // Never compress what is sent by byte ranges (video, the
                // parts of a multipart/byteranges answer): Content-Length and
                // Content-Range count the stored bytes. Images are already
                // left alone by the default predicate.
                .layer(CompressionLayer::new().compress_when(
                    DefaultPredicate::new()
                        .and(NotForContentType::const_new("video/"))
                        .and(NotForContentType::const_new("multipart/byteranges")),
                ))
                .layer(axum::middleware::from_fn(middleware::problems))
                // A panic is a bug: answer 500 (as problem+json) and log it,
                // rather than dropping the connection.
                .layer(CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
                    tracing::error!("handler panicked");
                    AppError::internal("handler panicked").into_response()
                })),
        )
}

async fn fallback() -> AppError {
    AppError::RouteNotFound
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
