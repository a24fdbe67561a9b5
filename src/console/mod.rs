//! The staff console at `/console`: a page, a script and a style sheet,
//! embedded in the binary at build time, that work the public API like any
//! other client (no build step, nothing from another host). Served under a
//! strict Content-Security-Policy: scripts, styles and connections from this
//! origin only, no inline script, photos as `blob:` URLs (they are fetched
//! with the caller's token).

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// Where the console lives.
pub const PATH: &str = "/console";

/// The policy every console response carries.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct Asset {
    body: &'static str,
    content_type: &'static str,
    etag: HeaderValue,
}

impl Asset {
    fn new(body: &'static str, content_type: &'static str) -> Asset {
        let hash = Sha256::digest(body.as_bytes());
        let etag = format!("\"{}\"", hex::encode(&hash[..8]));
        Asset {
            body,
            content_type,
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
        }
    }

    fn respond(&self, headers: &HeaderMap) -> Response {
        let fresh = headers
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == self.etag.as_bytes());
        let common = [
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            // Revalidated every time: a new binary serves a new console.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::ETAG, self.etag.clone()),
        ];
        if fresh {
            return (StatusCode::NOT_MODIFIED, common).into_response();
        }
        (
            common,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            )],
            self.body,
        )
            .into_response()
    }
}

static INDEX: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_str!("assets/index.html"),
        "text/html; charset=utf-8",
    )
});
static SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_str!("assets/app.js"),
        "text/javascript; charset=utf-8",
    )
});
static STYLE: LazyLock<Asset> =
    LazyLock::new(|| Asset::new(include_str!("assets/app.css"), "text/css; charset=utf-8"));

pub fn router() -> Router<AppState> {
    Router::new()
        .route(PATH, get(|h: HeaderMap| async move { INDEX.respond(&h) }))
        .route(
            "/console/",
            get(|h: HeaderMap| async move { INDEX.respond(&h) }),
        )
        .route(
            "/console/app.js",
            get(|h: HeaderMap| async move { SCRIPT.respond(&h) }),
        )
        .route(
            "/console/app.css",
            get(|h: HeaderMap| async move { STYLE.respond(&h) }),
        )
}
