//! One error type for every handler, rendered as RFC 9457 problem+json.
//!
//! `AppError::into_response` only records *what* went wrong (a [`Problem`] in the
//! response extensions); the problem middleware in `http::middleware` renders the
//! body in the request's language and adds the request id. The same middleware
//! turns the bare error responses produced by axum and tower-http (unknown
//! route, wrong method, body limit, timeout) into problem+json, so every error
//! the server can produce has the same shape.

use std::panic::Location;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;

use crate::i18n::Locale;
use crate::messages::Msg;

/// A field that failed validation, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: Msg,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: Msg) -> Self {
        Self {
            field: field.into(),
            message,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("no route")]
    RouteNotFound,
    #[error("unauthorized: {0:?}")]
    Unauthorized(Msg),
    #[error("forbidden")]
    Forbidden,
    #[error("bad request: {0:?}")]
    BadRequest(Msg),
    #[error("malformed json at line {line}, column {column}")]
    /// Not JSON at all: where it stops being JSON.
    MalformedJson { line: usize, column: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType(Msg),
    #[error("payload too large")]
    PayloadTooLarge,
    /// 413 with a message naming the limit.
    #[error("too large: {0:?}")]
    TooLarge(Msg),
    /// 408: the client stopped sending, or sent too slowly.
    #[error("request timeout: {0:?}")]
    RequestTimeout(Msg),
    /// 416, with `Content-Range: bytes */len`.
    #[error("range not satisfiable")]
    RangeNotSatisfiable { len: u64 },
    #[error("too many requests")]
    TooManyRequests { retry_after: u64 },
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    #[error("conflict: {0:?}")]
    Conflict(Msg),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 503 with `Retry-After`: every password-hashing thread is busy and its
    /// queue is full (a login flood); refused at once rather than queued.
    #[error("password hashing busy")]
    HashingBusy { retry_after: u64 },
    /// A bug or a failure we cannot name to the client: logged with its
    /// cause and the place it was raised, answered as a bare 500.
    #[error("internal error at {at}: {cause:#}")]
    Internal {
        cause: anyhow::Error,
        at: &'static Location<'static>,
    },
}

impl AppError {
    /// An internal error raised here (the caller's line goes to the log).
    #[track_caller]
    pub fn internal(what: impl std::fmt::Display + Send + Sync + 'static) -> Self {
        AppError::Internal {
            cause: anyhow::anyhow!("{what}"),
            at: Location::caller(),
        }
    }

    pub fn field(field: impl Into<String>, message: Msg) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }
}

/// What the problem middleware needs to render an error body.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub kind: ProblemKind,
    pub detail: Msg,
    pub errors: Vec<FieldError>,
    /// An extra member for a stale write: the version the resource is at now.
    pub current_version: Option<i32>,
}

/// The problem `type`s this API uses; each has a stable URI and a title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    NotFound,
    MethodNotAllowed,
    Unauthorized,
    Forbidden,
    BadRequest,
    MalformedJson,
    UnsupportedMediaType,
    PayloadTooLarge,
    RequestTimeout,
    TooManyRequests,
    Validation,
    Conflict,
    Internal,
    Unavailable,
    UriTooLong,
    HeadersTooLarge,
    RangeNotSatisfiable,
}

/// The longest request target (path and query) we read. Longer ones get a
/// 414 problem (up to the HTTP parser's own cap of 64 KiB, past which the
/// connection layer answers a bare 414 before any of our code runs).
pub const MAX_URI_BYTES: usize = 8192;

pub const PROBLEM_TYPE_BASE: &str = "https://citizen-feedback.example/problems/";

impl ProblemKind {
    pub fn slug(self) -> &'static str {
        use ProblemKind::*;
        match self {
            NotFound => "not-found",
            MethodNotAllowed => "method-not-allowed",
            Unauthorized => "unauthorized",
            Forbidden => "forbidden",
            BadRequest => "bad-request",
            MalformedJson => "malformed-json",
            UnsupportedMediaType => "unsupported-media-type",
            PayloadTooLarge => "payload-too-large",
            RequestTimeout => "request-timeout",
            TooManyRequests => "too-many-requests",
            Validation => "validation-error",
            Conflict => "conflict",
            Internal => "internal-error",
            Unavailable => "service-unavailable",
            UriTooLong => "uri-too-long",
            HeadersTooLarge => "headers-too-large",
            RangeNotSatisfiable => "range-not-satisfiable",
        }
    }

    pub fn title(self, locale: Locale) -> &'static str {
        use ProblemKind::*;
        let (vi, en) = match self {
            NotFound => ("Không tìm thấy", "Not found"),
            MethodNotAllowed => ("Phương thức không được phép", "Method not allowed"),
            Unauthorized => ("Chưa xác thực", "Unauthorized"),
            Forbidden => ("Không có quyền", "Forbidden"),
            BadRequest => ("Yêu cầu không hợp lệ", "Bad request"),
            MalformedJson => ("JSON không hợp lệ", "Malformed JSON"),
            UnsupportedMediaType => ("Kiểu nội dung không được hỗ trợ", "Unsupported media type"),
            PayloadTooLarge => ("Nội dung quá lớn", "Payload too large"),
            RequestTimeout => ("Quá thời gian", "Request timeout"),
            TooManyRequests => ("Quá nhiều yêu cầu", "Too many requests"),
            Validation => ("Dữ liệu không hợp lệ", "Validation error"),
            Conflict => ("Xung đột", "Conflict"),
            Internal => ("Lỗi hệ thống", "Internal server error"),
            Unavailable => ("Dịch vụ không sẵn sàng", "Service unavailable"),
            UriTooLong => ("Địa chỉ (URL) quá dài", "URI too long"),
            HeadersTooLarge => ("Phần đầu yêu cầu quá lớn", "Request headers too large"),
            RangeNotSatisfiable => ("Khoảng byte không hợp lệ", "Range not satisfiable"),
        };
        match locale {
            Locale::Vi => vi,
            Locale::En => en,
        }
    }

    /// The problem for a bare error status produced outside our handlers.
    pub fn for_status(status: StatusCode) -> (ProblemKind, Msg) {
        match status {
            StatusCode::NOT_FOUND => (ProblemKind::NotFound, Msg::RouteNotFound),
            StatusCode::METHOD_NOT_ALLOWED => {
                (ProblemKind::MethodNotAllowed, Msg::MethodNotAllowed)
            }
            StatusCode::UNAUTHORIZED => (ProblemKind::Unauthorized, Msg::Unauthorized),
            StatusCode::FORBIDDEN => (ProblemKind::Forbidden, Msg::Forbidden),
            StatusCode::PAYLOAD_TOO_LARGE => (ProblemKind::PayloadTooLarge, Msg::PayloadTooLarge),
            StatusCode::REQUEST_TIMEOUT => (ProblemKind::RequestTimeout, Msg::RequestTimeout),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                ProblemKind::UnsupportedMediaType,
                Msg::UnsupportedContentType,
            ),
            StatusCode::UNPROCESSABLE_ENTITY => (ProblemKind::Validation, Msg::ValidationFailed),
            StatusCode::CONFLICT => (ProblemKind::Conflict, Msg::Conflict),
            StatusCode::TOO_MANY_REQUESTS => (
                ProblemKind::TooManyRequests,
                Msg::TooManyRequests { retry_after: 1 },
            ),
            StatusCode::SERVICE_UNAVAILABLE => (ProblemKind::Unavailable, Msg::ServiceUnavailable),
            StatusCode::URI_TOO_LONG => (
                ProblemKind::UriTooLong,
                Msg::UriTooLong {
                    max: crate::error::MAX_URI_BYTES,
                },
            ),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
                (ProblemKind::HeadersTooLarge, Msg::HeadersTooLarge)
            }
            s if s.is_server_error() => (ProblemKind::Internal, Msg::Internal),
            _ => (ProblemKind::BadRequest, Msg::BadRequest),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        use ProblemKind as K;
        let mut headers: Vec<(header::HeaderName, HeaderValue)> = Vec::new();
        let mut current_version_member = None;
        let (status, kind, detail, errors) = match self {
            AppError::NotFound => (StatusCode::NOT_FOUND, K::NotFound, Msg::NotFound, vec![]),
            AppError::RouteNotFound => (
                StatusCode::NOT_FOUND,
                K::NotFound,
                Msg::RouteNotFound,
                vec![],
            ),
            AppError::Unauthorized(msg) => {
                let challenge = if msg == Msg::Unauthorized {
                    "Bearer"
                } else {
                    "Bearer error=\"invalid_token\""
                };
                headers.push((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                ));
                (StatusCode::UNAUTHORIZED, K::Unauthorized, msg, vec![])
            }
            AppError::Forbidden => (StatusCode::FORBIDDEN, K::Forbidden, Msg::Forbidden, vec![]),
            AppError::BadRequest(msg) => (StatusCode::BAD_REQUEST, K::BadRequest, msg, vec![]),
            AppError::MalformedJson { line, column } => (
                StatusCode::BAD_REQUEST,
                K::MalformedJson,
                Msg::MalformedJson { line, column },
                vec![],
            ),
            AppError::UnsupportedMediaType(msg) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                K::UnsupportedMediaType,
                msg,
                vec![],
            ),
            AppError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                K::PayloadTooLarge,
                Msg::PayloadTooLarge,
                vec![],
            ),
            AppError::TooLarge(msg) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                K::PayloadTooLarge,
                msg,
                vec![],
            ),
            AppError::RequestTimeout(msg) => {
                (StatusCode::REQUEST_TIMEOUT, K::RequestTimeout, msg, vec![])
            }
            AppError::RangeNotSatisfiable { len } => {
                headers.push((
                    header::CONTENT_RANGE,
                    HeaderValue::from_str(&format!("bytes */{len}"))
                        .unwrap_or(HeaderValue::from_static("bytes */0")),
                ));
                (
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    K::RangeNotSatisfiable,
                    Msg::RangeNotSatisfiable { len },
                    vec![],
                )
            }
            AppError::TooManyRequests { retry_after } => {
                let retry_after = retry_after.max(1);
                headers.push((header::RETRY_AFTER, HeaderValue::from(retry_after)));
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    K::TooManyRequests,
                    Msg::TooManyRequests { retry_after },
                    vec![],
                )
            }
            AppError::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                K::Validation,
                Msg::ValidationFailed,
                errors,
            ),
            AppError::Conflict(msg) => {
                if let Msg::ReportChanged { current_version } = msg {
                    current_version_member = Some(current_version);
                }
                (StatusCode::CONFLICT, K::Conflict, msg, vec![])
            }
            AppError::Unavailable(cause) => {
                tracing::warn!(%cause, "service unavailable");
                headers.push((
                    header::RETRY_AFTER,
                    HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECS),
                ));
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    K::Unavailable,
                    Msg::ServiceUnavailable,
                    vec![],
                )
            }
            AppError::HashingBusy { retry_after } => {
                let retry_after = retry_after.max(1);
                headers.push((header::RETRY_AFTER, HeaderValue::from(retry_after)));
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    K::Unavailable,
                    Msg::HashingBusy { retry_after },
                    vec![],
                )
            }
            AppError::Internal { cause, at } => {
                // The cause and where it was raised go to the log (inside the
                // request's span, so with its request id), never to the client.
                tracing::error!(error = ?cause, at = %at, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    K::Internal,
                    Msg::Internal,
                    vec![],
                )
            }
        };
        let mut response = status.into_response();
        for (name, value) in headers {
            response.headers_mut().insert(name, value);
        }
        response.extensions_mut().insert(Problem {
            status,
            kind,
            detail,
            errors,
            current_version: current_version_member,
        });
        response
    }
}

impl From<anyhow::Error> for AppError {
    #[track_caller]
    fn from(cause: anyhow::Error) -> Self {
        AppError::Internal {
            cause,
            at: Location::caller(),
        }
    }
}

impl From<DbErr> for AppError {
    /// `#[track_caller]`: a `?` on a database call records its own line.
    #[track_caller]
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(message)) => {
                return unique_violation(db_constraint(&err), &message);
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                return AppError::Validation(vec![FieldError::new("", Msg::InvalidValue)]);
            }
            _ => {}
        }
        // Two transactions that waited on each other: one of them is told to
        // try again, never a 500.
        if is_contention(&err) {
            return AppError::Conflict(Msg::TryAgain);
        }
        // The database is down, restarting or unreachable: the client may
        // try again shortly (503 with `Retry-After`), never a 500.
        if is_unavailable(&err) {
            return AppError::Unavailable(err.to_string());
        }
        match err {
            DbErr::RecordNotFound(_) => AppError::NotFound,
            other => AppError::Internal {
                cause: anyhow::Error::new(other),
                at: Location::caller(),
            },
        }
    }
}

/// A unique constraint a client can run into, and what to tell them. The two
/// backends name it differently: PostgreSQL reports the constraint's name,
/// SQLite only `UNIQUE constraint failed: <table.column, ...>`.
struct UniqueConstraint {
    /// The name PostgreSQL gives it (`<table>_<column>_key` for a column's
    /// own `UNIQUE`, else the index name in the migration).
    postgres: &'static str,
    /// The columns SQLite lists.
    sqlite: &'static str,
    message: Msg,
}

/// Every unique constraint of migrations/ that a request can violate. The
/// services check most of them first; these messages answer the request that
/// loses a race past that check, so it reads the same. Constraints not listed
/// (primary keys, idempotency keys, random codes) stay a plain 409 that their
/// callers recognise.
const UNIQUE_CONSTRAINTS: &[UniqueConstraint] = &[
    UniqueConstraint {
        postgres: "users_phone_key",
        sqlite: "users.phone",
        message: Msg::PhoneTaken,
    },
    UniqueConstraint {
        postgres: "users_email_key",
        sqlite: "users.email",
        message: Msg::EmailTaken,
    },
    UniqueConstraint {
        postgres: "units_code_key",
        sqlite: "units.code",
        message: Msg::UnitCodeTaken,
    },
    UniqueConstraint {
        postgres: "categories_code_key",
        sqlite: "categories.code",
        message: Msg::CategoryCodeTaken,
    },
    UniqueConstraint {
        postgres: "uq_routing_rules_category_area",
        sqlite: "routing_rules.category_id, routing_rules.area_code",
        message: Msg::RuleExists,
    },
];

/// A deadlock or serialization failure (PostgreSQL 40P01, 40001), or SQLite
/// still busy after its timeout: the work was refused because of other work,
/// not because it was wrong.
fn is_contention(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as SqlxError;
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match &**e {
                SqlxError::Database(d) => matches!(
                    d.code().as_deref(),
                    Some("40P01" | "40001" | "5" | "517" | "6")
                ),
                _ => false,
            }
        }
        _ => false,
    }
}

/// The database could not be reached, or dropped the connection under the
/// request: no connection within `database.acquire_timeout_secs`, a refused or
/// broken connection (I/O), or PostgreSQL shutting down, restarting or
/// refusing connections (SQLSTATE class 08, 57P01–57P03, 53300). Nothing says
/// the request was wrong; the same request may work in a few seconds.
fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(RuntimeErr::SqlxError(_)) => true,
        // sea-orm's word for a pool that was closed.
        DbErr::Conn(RuntimeErr::Internal(m)) => m == "Disconnected",
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            sqlx_unavailable(e)
        }
        _ => false,
    }
}

fn sqlx_unavailable(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error as SqlxError;
    match err {
        SqlxError::Io(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => true,
        SqlxError::Database(d) => d.code().is_some_and(|c| unavailable_sqlstate(&c)),
        _ => false,
    }
}

/// PostgreSQL's codes for "not now": connection exceptions (class 08),
/// administrator or crash shutdown (57P01, 57P02), starting up or shutting
/// down (57P03), too many connections (53300). SQLite's codes are numbers and
/// never match.
fn unavailable_sqlstate(code: &str) -> bool {
    code.len() == 5
        && (code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300"))
}

/// Seconds a client is told to wait (`Retry-After`) when the database is
/// unavailable: about how long a restart or failover takes.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// The constraint's name when the backend reports one (PostgreSQL).
fn db_constraint(err: &DbErr) -> Option<String> {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as SqlxError;
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match &**e {
                SqlxError::Database(d) => d.constraint().map(str::to_owned),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The 409 for a unique violation: the constraint's own message when it is
/// one of [`UNIQUE_CONSTRAINTS`], found by name (PostgreSQL) or by the
/// columns in the message (SQLite); the generic conflict otherwise.
fn unique_violation(constraint: Option<String>, message: &str) -> AppError {
    let columns = message
        .split_once("UNIQUE constraint failed: ")
        .map(|(_, cols)| cols.trim());
    let known = UNIQUE_CONSTRAINTS
        .iter()
        .find(|c| match (&constraint, columns) {
            (Some(name), _) => name == c.postgres,
            (None, Some(cols)) => cols == c.sqlite,
            (None, None) => false,
        });
    AppError::Conflict(known.map_or(Msg::Conflict, |c| c.message.clone()))
}

/// The RFC 9457 body, as documented in the OpenAPI spec.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "https://citizen-feedback.example/problems/validation-error",
    "title": "Validation error",
    "status": 422,
    "detail": "The submitted data is invalid.",
    "instance": "/api/v1/auth/register",
    "request_id": "0b8f5d0e-6a55-4a0e-9f59-2f3cfb7a4b1c",
    "errors": [{"field": "password", "message": "Must be at least 8 characters."}]
}))]
pub struct ProblemBody {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldErrorBody>>,
    /// On a 409 for a stale write (`If-Match`, `expected_version`, or a change
    /// committed meanwhile): the version the report is at now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldErrorBody {
    /// The JSON path of the field (`password`, `items[2].lat`).
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn render(
        &self,
        locale: Locale,
        instance: Option<String>,
        request_id: Option<String>,
    ) -> ProblemBody {
        ProblemBody {
            type_: format!("{PROBLEM_TYPE_BASE}{}", self.kind.slug()),
            title: self.kind.title(locale).to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.render(locale),
            instance,
            request_id,
            errors: (self.kind == ProblemKind::Validation).then(|| {
                self.errors
                    .iter()
                    .map(|e| FieldErrorBody {
                        field: e.field.clone(),
                        message: e.message.render(locale),
                    })
                    .collect()
            }),
            current_version: self.current_version,
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn conflict_msg(e: AppError) -> Msg {
        match e {
            AppError::Conflict(m) => m,
            other => panic!("not a conflict: {other:?}"),
        }
    }

    #[test]
    fn database_outages_are_unavailable_not_internal() {
        use sea_orm::sqlx::Error as SqlxError;
        use sea_orm::{ConnAcquireErr, RuntimeErr};
        use std::sync::Arc;
        let io = || SqlxError::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        let down = [
            DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
            DbErr::Conn(RuntimeErr::SqlxError(Arc::new(io()))),
            DbErr::Conn(RuntimeErr::Internal("Disconnected".into())),
            DbErr::Query(RuntimeErr::SqlxError(Arc::new(io()))),
            DbErr::Exec(RuntimeErr::SqlxError(Arc::new(SqlxError::PoolTimedOut))),
            DbErr::Exec(RuntimeErr::SqlxError(Arc::new(SqlxError::PoolClosed))),
        ];
        for err in down {
            let shown = err.to_string();
            assert!(
                matches!(AppError::from(err), AppError::Unavailable(_)),
                "{shown}"
            );
        }
        let not_down = [
            DbErr::Query(RuntimeErr::SqlxError(Arc::new(SqlxError::RowNotFound))),
            DbErr::Conn(RuntimeErr::Internal("Dropping a locked Transaction".into())),
            DbErr::Custom("bug".into()),
        ];
        for err in not_down {
            let shown = err.to_string();
            assert!(
                matches!(AppError::from(err), AppError::Internal { .. }),
                "{shown}"
            );
        }
        for code in ["57P01", "57P02", "57P03", "53300", "08006", "08001"] {
            assert!(unavailable_sqlstate(code), "{code}");
        }
        for code in ["40001", "23505", "5", "517", "42P01"] {
            assert!(!unavailable_sqlstate(code), "{code}");
        }
    }

    #[test]
    fn unavailable_says_when_to_retry() {
        let res = AppError::Unavailable("down".into()).into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            res.headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("5")
        );
    }

    #[test]
    fn postgres_unique_violations_are_known_by_constraint_name() {
        let pg = |name: &str| {
            conflict_msg(unique_violation(
                Some(name.into()),
                &format!("duplicate key value violates unique constraint \"{name}\""),
            ))
        };
        assert_eq!(pg("users_phone_key"), Msg::PhoneTaken);
        assert_eq!(pg("users_email_key"), Msg::EmailTaken);
        assert_eq!(pg("units_code_key"), Msg::UnitCodeTaken);
        assert_eq!(pg("categories_code_key"), Msg::CategoryCodeTaken);
        assert_eq!(pg("uq_routing_rules_category_area"), Msg::RuleExists);
        assert_eq!(pg("units_pkey"), Msg::Conflict);
    }

    #[test]
    fn sqlite_unique_violations_are_known_by_columns() {
        let lite = |cols: &str| {
            conflict_msg(unique_violation(
                None,
                &format!("UNIQUE constraint failed: {cols}"),
            ))
        };
        assert_eq!(lite("users.phone"), Msg::PhoneTaken);
        assert_eq!(lite("users.email"), Msg::EmailTaken);
        assert_eq!(lite("units.code"), Msg::UnitCodeTaken);
        assert_eq!(lite("categories.code"), Msg::CategoryCodeTaken);
        assert_eq!(
            lite("routing_rules.category_id, routing_rules.area_code"),
            Msg::RuleExists
        );
        assert_eq!(lite("units.id"), Msg::Conflict);
        assert_eq!(conflict_msg(unique_violation(None, "")), Msg::Conflict);
    }
}
