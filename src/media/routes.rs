//! `POST /media` and `GET /media/{id}`.

use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt, stream};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{Patience, read_upload, refuse_declared_oversize};
use super::inspect::Limits;
use super::ranges::{self, Answer, ByteRange, Conditions, Multipart, Validators};
use super::service::{self, Caps};
use crate::auth::extract::{CurrentUser, MaybeUser};
use crate::error::{AppError, AppResult, ProblemBody};
use crate::state::AppState;

/// Where uploads are posted, as the router sees it (the upload timeout
/// replaces the flat request timeout there).
pub const UPLOAD_PATH: &str = "/api/v1/media";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        // The upload handler enforces the configured file caps as it streams.
        .layer(DefaultBodyLimit::disable())
        .merge(OpenApiRouter::new().routes(routes!(download)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MediaBody {
    pub id: Uuid,
    #[schema(example = "image/jpeg")]
    pub content_type: String,
    pub byte_size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    #[schema(example = "/api/v1/media/0199a1b2-0000-7000-8000-000000000003")]
    pub url: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The photo or video.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
}

/// Upload a photo (JPEG, PNG, WebP, HEIC) or a short MP4 video, to attach to
/// a report. The type is judged from the bytes; GPS and other location
/// metadata are removed before the file is stored.
///
/// The body streams to a temporary file. A declared `Content-Length` past
/// the largest file (`media.max_video_bytes`, plus 64 KiB of multipart
/// framing) is refused at once, and a chunked body as soon as it passes it;
/// a file whose first bytes say it is an image is held to
/// `media.max_image_bytes`. The upload fails with 408 when no byte arrives
/// for `media.upload_idle_timeout_secs`, or when it is not over after
/// `media.upload_timeout_secs`. Uploads are rate-limited per user.
#[utoipa::path(post, path = "/media", tag = "reports", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = MediaBody),
        (status = 400, description = "Not a multipart/form-data body", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 408, description = "The upload stalled or took too long", body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "Too large in bytes (declared, sent, or for its kind)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "Not an accepted image or video", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "No file, too many pixels, or damaged", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many uploads; see Retry-After", body = ProblemBody, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    req: Request,
) -> AppResult<(StatusCode, Json<MediaBody>)> {
    let cfg = &state.config.media;
    let caps = Caps {
        image_bytes: cfg.max_image_bytes,
        video_bytes: cfg.max_video_bytes,
    };
    // Refused before it costs the caller a token.
    refuse_declared_oversize(req.headers(), caps)?;
    state.upload_limit.check(&user.id)?;
    let patience = Patience {
        idle: Duration::from_secs(cfg.upload_idle_timeout_secs),
        total: Duration::from_secs(cfg.upload_timeout_secs),
    };
    let spooled = read_upload(req, caps, patience).await?;
    let limits = Limits {
        max_pixels: cfg.max_pixels,
        max_side: cfg.max_side,
    };
    let row = service::upload(state.ctx(), &state.storage, user.id, spooled, limits, caps).await?;
    Ok((
        StatusCode::CREATED,
        Json(MediaBody {
            id: row.id,
            content_type: row.content_type,
            byte_size: row.byte_size,
            width: row.width,
            height: row.height,
            url: format!("/api/v1/media/{}", row.id),
        }),
    ))
}

/// A stored file. Visible to whoever may see the report it belongs to (its
/// uploader before it is attached); anyone else gets 404.
///
/// Streamed from storage, with byte ranges (`Range: bytes=0-1`, `100-`,
/// `-500`, several at once as multipart/byteranges; a `Range` that cannot be
/// parsed is ignored), a strong `ETag` (the SHA-256 of the stored bytes),
/// `Last-Modified`, `If-None-Match` / `If-Modified-Since` (304) and
/// `If-Range`.
#[utoipa::path(get, path = "/media/{id}", tag = "reports",
    params(
        ("id" = Uuid, Path),
        ("Range" = Option<String>, Header, description = "bytes=first-last, first-, -suffix; comma-separated for several"),
        ("If-Range" = Option<String>, Header, description = "The ETag or Last-Modified the client holds: the range applies only if it still matches"),
        ("If-None-Match" = Option<String>, Header, description = "ETags the client holds: 304 if one matches"),
        ("If-Modified-Since" = Option<String>, Header, description = "304 if not changed since (ignored with If-None-Match)"),
    ),
    responses(
        (status = 200, description = "The whole file", content(
            ("image/jpeg"), ("image/png"), ("image/webp"), ("image/heic"), ("video/mp4")),
            headers(
                ("ETag" = String, description = "Strong: the SHA-256 of the stored bytes"),
                ("Last-Modified" = String),
                ("Accept-Ranges" = String, description = "bytes"),
                ("Cache-Control" = String, description = "private"),
            )),
        (status = 206, description = "One range (with Content-Range), or several as multipart/byteranges", content(
            ("image/jpeg"), ("image/png"), ("image/webp"), ("image/heic"), ("video/mp4"), ("multipart/byteranges")),
            headers(
                ("Content-Range" = String, description = "bytes first-last/length (single range)"),
                ("ETag" = String),
                ("Last-Modified" = String),
                ("Accept-Ranges" = String),
            )),
        (status = 304, description = "Not modified (If-None-Match or If-Modified-Since)",
            headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 416, description = "No requested range lies within the file", body = ProblemBody, content_type = "application/problem+json",
            headers(("Content-Range" = String, description = "bytes */length"))),
    ))]
async fn download(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let actor = viewer.as_ref().map(|v| v.actor());
    let (m, _public) = service::readable(&state.db, actor.as_ref(), id).await?;
    let len = u64::try_from(m.byte_size).unwrap_or(0);
    let validators = Validators::new(&m.sha256, m.created_at);
    let text = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let conditions = Conditions {
        if_none_match: text(header::IF_NONE_MATCH),
        if_modified_since: text(header::IF_MODIFIED_SINCE),
        if_range: text(header::IF_RANGE),
        range: text(header::RANGE),
    };
    let answer = ranges::decide(&conditions, &validators, len);

    let content_type = HeaderValue::from_str(&m.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let (status, body, content_type, length, content_range) = match answer {
        Answer::Unsatisfiable => return Err(AppError::RangeNotSatisfiable { len }),
        Answer::NotModified => (StatusCode::NOT_MODIFIED, Body::empty(), None, None, None),
        Answer::Whole => {
            let bytes = state.storage.stream(&m.storage_key, None).await?;
            (
                StatusCode::OK,
                Body::from_stream(bytes),
                Some(content_type),
                Some(len),
                None,
            )
        }
        Answer::Partial(parts) if parts.len() == 1 => {
            let r = parts[0];
            let bytes = state
                .storage
                .stream(&m.storage_key, Some(r.start..r.end + 1))
                .await?;
            (
                StatusCode::PARTIAL_CONTENT,
                Body::from_stream(bytes),
                Some(content_type),
                Some(r.len()),
                Some(r.content_range(len)),
            )
        }
        Answer::Partial(parts) => {
            let framing = Multipart {
                boundary: Uuid::new_v4().simple().to_string(),
                content_type: m.content_type.clone(),
                total: len,
            };
            let length = framing.body_len(&parts);
            let multipart_type = HeaderValue::from_str(&framing.header())
                .map_err(|e| AppError::internal(e.to_string()))?;
            (
                StatusCode::PARTIAL_CONTENT,
                multipart_body(&state, &m.storage_key, &framing, parts),
                Some(multipart_type),
                Some(length),
                None,
            )
        }
    };

    let mut res = Response::new(body);
    *res.status_mut() = status;
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&validators.etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&validators.last_modified_header()) {
        h.insert(header::LAST_MODIFIED, v);
    }
    // Who may read a file can change (a report made private): never shared.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(ct) = content_type {
        h.insert(header::CONTENT_TYPE, ct);
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("inline"),
        );
    }
    if let Some(n) = length {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    if let Some(cr) = content_range.and_then(|cr| HeaderValue::from_str(&cr).ok()) {
        h.insert(header::CONTENT_RANGE, cr);
    }
    Ok(res)
}

/// The parts of a multipart/byteranges answer, each range read from storage
/// only when the client has taken the one before.
fn multipart_body(state: &AppState, key: &str, framing: &Multipart, parts: Vec<ByteRange>) -> Body {
    let storage = state.storage.clone();
    let key = key.to_owned();
    let heads: Vec<(Bytes, ByteRange)> = parts
        .into_iter()
        .map(|r| (Bytes::from(framing.part_head(r)), r))
        .collect();
    let tail = Bytes::from(framing.tail());
    let body = stream::iter(heads)
        .then(move |(head, r)| {
            let storage = storage.clone();
            let key = key.clone();
            async move {
                let bytes = storage
                    .stream(&key, Some(r.start..r.end + 1))
                    .await
                    .map_err(std::io::Error::other)?;
                let part = stream::once(async move { Ok(head) })
                    .chain(bytes.map(|c| c.map_err(std::io::Error::other)));
                Ok::<_, std::io::Error>(part)
            }
        })
        .try_flatten()
        .chain(stream::once(async move { Ok(tail) }));
    Body::from_stream(body)
}
