//! Open311 GeoReport v2 handlers: the format comes from the extension; errors
//! are the spec's error list and skip the problem+json renderer.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{self, Format, Open311Error, RequestsQuery};
use super::{filing, form, service};
use crate::error::{AppError, AppResult};
use crate::http::middleware::Verbatim;
use crate::messages::Msg;
use crate::reports::service::FilingRules;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(document, file_request))
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
    errors(fmt, vec![e])
}

/// The spec's error list; the answer's status is the first error's code.
fn errors(fmt: Format, list: Vec<Open311Error>) -> Response {
    let code = list.first().map(|e| e.code).unwrap_or(400);
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    let body = match fmt {
        Format::Xml => model::errors_xml(&list),
        Format::Json => json_body(&list),
    };
    respond(status, fmt, body)
}

/// What the client did wrong, as the spec's error list; anything else stays
/// an error of ours.
fn client_errors(fmt: Format, e: AppError) -> AppResult<Response> {
    let locale = crate::i18n::current();
    Ok(match e {
        AppError::Validation(fields) => errors(fmt, model::field_errors(&fields, locale)),
        AppError::TooManyRequests { retry_after } => {
            let mut res = error(
                fmt,
                Open311Error {
                    code: 429,
                    description: Msg::TooManyRequests { retry_after }.render(locale),
                },
            );
            if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        other => return Err(other),
    })
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

/// Files a service request (`requests.xml` or `.json`), form-encoded as the
/// spec shows: `api_key`, `service_code`, `lat` + `long`, and optionally
/// `address_string`, `description` (≤ 4000 characters), `email`, `phone`,
/// `first_name`, `last_name`, `device_id`, `account_id`, `media_url`,
/// `jurisdiction_id`. The same content from the same `device_id` within 10
/// minutes answers the first request's `service_request_id`.
#[utoipa::path(post, path = "/{document}", tag = "open311",
    params(("document" = String, Path, description = "requests.xml or requests.json")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "The GeoReport v2 fields"),
    responses((status = 200, description = "service_requests with the new request's service_request_id and service_notice"),
        (status = 400, description = "Open311 error list: a bad or missing field"),
        (status = 403, description = "Open311 error list: missing, wrong or revoked api_key"),
        (status = 404, description = "Open311 error list: unknown service_code"),
        (status = 429, description = "Open311 error list: this key files too fast")))]
async fn file_request(
    State(state): State<AppState>,
    Path(document): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let fmt = match model::split_ext(&document) {
        Some(("requests", fmt)) => fmt,
        _ => return Ok(unknown()),
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/x-www-form-urlencoded");
    if !body.is_empty() && !content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok(error(
            fmt,
            Open311Error::bad("send the fields form-encoded (application/x-www-form-urlencoded)"),
        ));
    }
    // Fields may come in the query string too; the form wins.
    let fields = form_urlencoded::parse(&body).into_owned();
    let params: HashMap<String, String> = query.into_iter().chain(fields).collect();
    let ctx = state.ctx();
    let key = params.get("api_key").map(|k| k.trim()).unwrap_or_default();
    let Some(client) = crate::accounts::admin_service::api_client_by_key(ctx, key).await? else {
        return Ok(error(
            fmt,
            Open311Error {
                code: 403,
                description: "api_key: missing, wrong or revoked".to_owned(),
            },
        ));
    };
    let filing = match form::parse_filing(&params) {
        Ok(f) => f,
        Err(e) => return client_errors(fmt, e),
    };
    let rules = FilingRules {
        limit: &state.open311_limit,
        service_area: state.config.reports.service_area(),
    };
    let filed = match filing::file(ctx, &rules, &client, filing).await {
        Ok(f) => f,
        Err(e) => return client_errors(fmt, e),
    };
    let due = filed
        .report
        .ack_due_at
        .with_timezone(&ctx.tz)
        .format("%d/%m/%Y %H:%M")
        .to_string();
    let answer = model::FiledDoc {
        service_request_id: filed.report.code,
        service_notice: Some(Msg::Open311Notice { due }.render(crate::i18n::current())),
        account_id: filed.account_id,
    };
    let body = match fmt {
        Format::Xml => model::filed_xml(&answer),
        Format::Json => json_body(&[answer]),
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
