//! Reading an upload off the request: the declared length is checked before a
//! byte is read; the body is guarded against stalls, slowness and excess as it
//! streams; the `file` field of the multipart form goes to a [`Spool`] (a
//! temporary file), never into memory.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, StatusCode, header};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use tokio::time::Instant;

use super::service::Caps;
use super::spool::{Spool, Spooled};
use crate::error::{AppError, AppResult};
use crate::messages::Msg;

/// Room for the multipart framing (boundaries, part headers, a small field
/// or two) on top of the largest file.
pub const MULTIPART_SLACK: usize = 64 * 1024;

/// How long an upload may take: between two pieces of the body, and in all.
#[derive(Debug, Clone, Copy)]
pub struct Patience {
    pub idle: Duration,
    pub total: Duration,
}

/// Why the guarded body stopped.
#[derive(Debug, Clone, Copy)]
enum Cut {
    Stalled,
    TooSlow,
    TooLarge,
}

fn body_cap(caps: Caps) -> u64 {
    caps.largest().saturating_add(MULTIPART_SLACK) as u64
}

fn too_large(caps: Caps) -> AppError {
    AppError::TooLarge(Msg::UploadTooLarge {
        max_bytes: caps.largest() as u64,
    })
}

/// 413 at once when the declared `Content-Length` cannot fit the largest
/// file: nothing of the body is read (nor a `100 Continue` sent).
pub fn refuse_declared_oversize(headers: &HeaderMap, caps: Caps) -> AppResult<()> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<u64>().ok());
    match declared {
        Some(len) if len > body_cap(caps) => Err(too_large(caps)),
        _ => Ok(()),
    }
}

/// Streams the `file` field of a multipart/form-data request into a
/// temporary file. 413 as soon as the body or the file passes its cap, 408
/// when no byte arrives for `patience.idle` or the body is not over after
/// `patience.total`, 415 as soon as the first bytes are not an accepted kind.
pub async fn read_upload(req: Request, caps: Caps, patience: Patience) -> AppResult<Spooled> {
    refuse_declared_oversize(req.headers(), caps)?;
    let cut: Arc<OnceLock<Cut>> = Arc::new(OnceLock::new());
    let (parts, body) = req.into_parts();
    let guarded = guard(body, patience, body_cap(caps), cut.clone());
    let req = Request::from_parts(parts, Body::from_stream(guarded));
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|_| AppError::BadRequest(Msg::MissingFile))?;
    let explain = |e: MultipartError| match cut.get() {
        Some(Cut::Stalled) => AppError::RequestTimeout(Msg::UploadStalled {
            secs: patience.idle.as_secs(),
        }),
        Some(Cut::TooSlow) => AppError::RequestTimeout(Msg::UploadTooSlow {
            secs: patience.total.as_secs(),
        }),
        Some(Cut::TooLarge) => too_large(caps),
        None if e.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(caps),
        None => AppError::BadRequest(Msg::MissingFile),
    };
    while let Some(mut field) = form.next_field().await.map_err(explain)? {
        if field.name() != Some("file") {
            continue;
        }
        let mut spool = Spool::new(caps).await?;
        while let Some(chunk) = field.chunk().await.map_err(explain)? {
            spool.write(&chunk).await?;
        }
        return spool.finish().await;
    }
    Err(AppError::field("file", Msg::MissingFile))
}

/// The request body, cut off with an error (and the reason in `cut`) when it
/// stalls for `idle`, runs past `total`, or passes `cap` bytes.
fn guard(
    body: Body,
    patience: Patience,
    cap: u64,
    cut: Arc<OnceLock<Cut>>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let deadline = Instant::now() + patience.total;
    let stop = move |cut: &OnceLock<Cut>, why: Cut| {
        let _ = cut.set(why);
        std::io::Error::other(format!("upload cut off: {why:?}"))
    };
    futures::stream::unfold(
        (body.into_data_stream(), 0u64, false),
        move |(mut inner, seen, done)| {
            let cut = cut.clone();
            async move {
                if done {
                    return None;
                }
                let wait = (Instant::now() + patience.idle).min(deadline);
                match tokio::time::timeout_at(wait, inner.next()).await {
                    Err(_) => {
                        let why = if Instant::now() >= deadline {
                            Cut::TooSlow
                        } else {
                            Cut::Stalled
                        };
                        Some((Err(stop(&cut, why)), (inner, seen, true)))
                    }
                    Ok(None) => None,
                    Ok(Some(Err(e))) => Some((Err(std::io::Error::other(e)), (inner, seen, true))),
                    Ok(Some(Ok(bytes))) => {
                        let seen = seen + bytes.len() as u64;
                        if seen > cap {
                            Some((Err(stop(&cut, Cut::TooLarge)), (inner, seen, true)))
                        } else {
                            Some((Ok(bytes), (inner, seen, false)))
                        }
                    }
                }
            }
        },
    )
}
