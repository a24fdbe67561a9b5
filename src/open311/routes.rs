//! Open311 GeoReport v2 handlers: the format comes from the extension; errors
//! are the spec's error list and skip the problem+json renderer.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{self, Format, Open311Error, RequestsQuery};
use super::service;
use crate::error::AppResult;
use crate::http::middleware::Verbatim;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(document))
        .routes(routes!(one_service))
        .routes(routes!(one_request))
}

const XML: &str = "text/xml; charset=utf-8";
const JSON: &str = "application/json";

fn respond(status: StatusCode, fmt: Format, body: String) -> Response {
    let ct = match fmt {
        Format::Xml => XML,
        Format::Json => JSON,
    };
    let mut res = (status, [(header::CONTENT_TYPE, ct)], body).into_response();
    // Open311 errors are the spec's list, not problem+json.
    res.extensions_mut().insert(Verbatim);
    res
}

fn json_body<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn error(fmt: Format, e: Open311Error) -> Response {
    let status = StatusCode::from_u16(e.code).unwrap_or(StatusCode::BAD_REQUEST);
    let body = match fmt {
        Format::Xml => model::errors_xml(std::slice::from_ref(&e)),
        Format::Json => json_body(&[e]),
    };
    respond(status, fmt, body)
}

fn unknown() -> Response {
    error(Format::Xml, Open311Error::not_found("no such document"))
}

fn base_url(state: &AppState) -> String {
    state
        .config
        .http
        .public_base_url
        .trim_end_matches('/')
        .to_owned()
}

/// `discovery`, `services` or `requests`, as `.xml` or `.json`. `requests`
/// takes `service_request_id` (comma list, overrides the rest),
/// `service_code` (comma list), `start_date`, `end_date`, `status`
/// (`open`|`closed`); `jurisdiction_id` is accepted and ignored.
#[utoipa::path(get, path = "/{document}", tag = "open311",
    params(("document" = String, Path, description = "discovery.xml|json, services.xml|json, requests.xml|json")),
    responses((status = 200, description = "The Open311 document"),
        (status = 400, description = "Open311 error list"),
        (status = 404, description = "Open311 error list")))]
async fn document(
    State(state): State<AppState>,
    Path(document): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let Some((stem, fmt)) = model::split_ext(&document) else {
        return Ok(unknown());
    };
    let ctx = state.ctx();
    Ok(match stem {
        "discovery" => {
            let base = base_url(&state);
            let body = match fmt {
                Format::Xml => model::discovery_xml(&base, ctx.now),
                Format::Json => json_body(&model::discovery_json(&base, ctx.now)),
            };
            respond(StatusCode::OK, fmt, body)
        }
        "services" => {
            let items = service::services(ctx).await?;
            let body = match fmt {
                Format::Xml => model::services_xml(&items),
                Format::Json => json_body(&items),
            };
            respond(StatusCode::OK, fmt, body)
        }
        "requests" => match model::parse_requests_query(&q, ctx.now) {
            Err(e) => error(fmt, e),
            Ok(rq) => requests_answer(&state, fmt, &rq, false).await?,
        },
        _ => unknown(),
    })
}

async fn requests_answer(
    state: &AppState,
    fmt: Format,
    rq: &RequestsQuery,
    one: bool,
) -> AppResult<Response> {
    let items = service::requests(state.ctx(), rq, &base_url(state)).await?;
    if one && items.is_empty() {
        return Ok(error(
            fmt,
            Open311Error::not_found("service_request_id not found"),
        ));
    }
    let body = match fmt {
        Format::Xml => model::requests_xml(&items),
        Format::Json => json_body(&items),
    };
    Ok(respond(StatusCode::OK, fmt, body))
}

/// A service definition (no extra attributes).
#[utoipa::path(get, path = "/services/{service}", tag = "open311",
    params(("service" = String, Path, description = "service_code with .xml or .json")),
    responses((status = 200, description = "service_definition"),
        (status = 404, description = "Open311 error list")))]
async fn one_service(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> AppResult<Response> {
    let Some((code, fmt)) = model::split_ext(&file) else {
        return Ok(unknown());
    };
    Ok(match service::service(state.ctx(), code).await? {
        Err(e) => error(fmt, e),
        Ok(s) => {
            let body = match fmt {
                Format::Xml => model::definition_xml(&s.service_code),
                Format::Json => json_body(&model::definition_json(&s.service_code)),
            };
            respond(StatusCode::OK, fmt, body)
        }
    })
}

/// One public service request, as a one-element list.
#[utoipa::path(get, path = "/requests/{request}", tag = "open311",
    params(("request" = String, Path, description = "service_request_id with .xml or .json")),
    responses((status = 200, description = "service_requests with one request"),
        (status = 404, description = "Open311 error list")))]
async fn one_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> AppResult<Response> {
    let Some((id, fmt)) = model::split_ext(&file) else {
        return Ok(unknown());
    };
    requests_answer(&state, fmt, &RequestsQuery::Ids(vec![id.to_owned()]), true).await
}
