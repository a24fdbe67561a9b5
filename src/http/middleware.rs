//! The problem middleware: every error response leaves as problem+json in the
//! request's language.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::REQUEST_ID;
use crate::error::{Problem, ProblemKind};
use crate::i18n::{self, Locale};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Marks an error response whose body is already what the client expects
/// (e.g. Open311's error list): the middleware leaves it as it is.
#[derive(Debug, Clone, Copy)]
pub struct Verbatim;

pub async fn problems(req: Request, next: Next) -> Response {
    let locale = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Locale::from_accept_language)
        .unwrap_or_default();
    let too_long = req
        .uri()
        .path_and_query()
        .is_some_and(|pq| pq.as_str().len() > crate::error::MAX_URI_BYTES);
    // An over-long path is not echoed back.
    let instance = (!too_long).then(|| req.uri().path().to_owned());
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);

    let mut res = if too_long {
        // Refused before routing, as a problem like any other.
        let mut r = Response::new(Body::empty());
        *r.status_mut() = axum::http::StatusCode::URI_TOO_LONG;
        r
    } else {
        i18n::scope(locale, next.run(req)).await
    };
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error())
        || res.extensions().get::<Verbatim>().is_some()
    {
        return res;
    }
    let problem = match res.extensions_mut().remove::<Problem>() {
        Some(p) => p,
        None => {
            let already = res
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
            if already {
                return res;
            }
            let (kind, detail) = ProblemKind::for_status(status);
            Problem {
                status,
                kind,
                detail,
                errors: vec![],
                current_version: None,
            }
        }
    };
    let body = problem.render(locale, instance, request_id);
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(locale.as_str()),
    );
    Response::from_parts(parts, Body::from(bytes))
}

/// The request timeouts: one for every route but `long_route`, which gets
/// `long`.
#[derive(Debug, Clone)]
pub struct Timeouts {
    pub default: Duration,
    pub long: Duration,
    pub long_route: (Method, &'static str),
}

/// 408 (rendered as a problem by [`problems`]) when the handler is not done
/// within the route's timeout.
pub async fn timeout(State(t): State<Timeouts>, req: Request, next: Next) -> Response {
    let long = req.method() == t.long_route.0
        && req
            .extensions()
            .get::<MatchedPath>()
            .is_some_and(|p| p.as_str() == t.long_route.1);
    let limit = if long { t.long } else { t.default };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}
