//! `POST /media` and `GET /media/{id}`.

use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::inspect::Limits;
use super::service::{self, Caps};
use crate::auth::extract::{CurrentUser, MaybeUser};
use crate::error::{AppError, AppResult, ProblemBody};
use crate::messages::Msg;
use crate::state::AppState;

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
#[utoipa::path(post, path = "/media", tag = "reports", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = MediaBody),
        (status = 413, description = "Too large in bytes", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "Not an accepted image or video", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "No file, too many pixels, or damaged", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    mut form: Multipart,
) -> AppResult<(StatusCode, Json<MediaBody>)> {
    let cfg = &state.config.media;
    let cap = cfg.max_image_bytes.max(cfg.max_video_bytes);
    let mut data: Option<Vec<u8>> = None;
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let mut buf = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if buf.len() + chunk.len() > cap {
                return Err(AppError::PayloadTooLarge);
            }
            buf.extend_from_slice(&chunk);
        }
        data = Some(buf);
        break;
    }
    let data = data.ok_or(AppError::field("file", Msg::MissingFile))?;
    if data.is_empty() {
        return Err(AppError::field("file", Msg::MissingFile));
    }
    let limits = Limits {
        max_pixels: cfg.max_pixels,
        max_side: cfg.max_side,
    };
    let caps = Caps {
        image_bytes: cfg.max_image_bytes,
        video_bytes: cfg.max_video_bytes,
    };
    let row = service::upload(state.ctx(), &state.storage, user.id, data, limits, caps).await?;
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

fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest(Msg::MissingFile)
    }
}

/// A stored file. Visible to whoever may see the report it belongs to (its
/// uploader before it is attached); anyone else gets 404.
#[utoipa::path(get, path = "/media/{id}", tag = "reports",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn download(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    let actor = viewer.as_ref().map(|v| v.actor());
    let (m, public) = service::readable(&state.db, actor.as_ref(), id).await?;
    let bytes = state.storage.get(&m.storage_key).await?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&m.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if public {
            "public, max-age=3600"
        } else {
            "private, max-age=3600"
        }),
    );
    Ok(res)
}
