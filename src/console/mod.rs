//! The staff console at `/console`: a page, a script and a style sheet,
//! embedded in the binary at build time, that work the public API like any
//! other client (no build step, nothing from another host). Served under a
//! strict Content-Security-Policy: scripts, styles and connections from this
//! origin only, no inline script, photos as `blob:` URLs (they are fetched
//! with the caller's token).

use std::borrow::Cow;
use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::config::ConsoleConfig;
use crate::state::AppState;

/// Where the console lives.
pub const PATH: &str = "/console";

/// The policy every console response carries; `tiles` is the map's tile
/// origin, the one other place images may come from.
pub fn content_security_policy(tiles: Option<&str>) -> String {
    let img = match tiles {
        Some(origin) => format!("'self' blob: data: {origin}"),
        None => "'self' blob: data:".to_owned(),
    };
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src {img}; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

struct Asset {
    body: Cow<'static, str>,
    content_type: &'static str,
    etag: HeaderValue,
}

impl Asset {
    fn new(body: impl Into<Cow<'static, str>>, content_type: &'static str) -> Asset {
        let body = body.into();
        let hash = Sha256::digest(body.as_bytes());
        let etag = format!("\"{}\"", hex::encode(&hash[..8]));
        Asset {
            body,
            content_type,
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
        }
    }

    fn respond(&self, headers: &HeaderMap, csp: &HeaderValue) -> Response {
        let fresh = headers
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == self.etag.as_bytes());
        let common = [
            (header::CONTENT_SECURITY_POLICY, csp.clone()),
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
            self.body.clone(),
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

/// The console's routes, with the map settings of `config`.
pub fn router(config: &ConsoleConfig) -> Router<AppState> {
    let tiles = config.tile_origin();
    let csp = HeaderValue::from_str(&content_security_policy(tiles.as_deref()))
        .unwrap_or(HeaderValue::from_static("default-src 'self'"));
    // What the script needs to know before signing in.
    let settings = Asset::new(
        serde_json::json!({ "tile_url": tiles.map(|_| config.tile_url.clone()) }).to_string(),
        "application/json",
    );
    let settings = std::sync::Arc::new(settings);
    let serve = |asset: &'static LazyLock<Asset>| respond_with(LazyLock::force(asset), csp.clone());
    Router::new()
        .route(PATH, serve(&INDEX))
        .route("/console/", serve(&INDEX))
        .route("/console/app.js", serve(&SCRIPT))
        .route("/console/app.css", serve(&STYLE))
        .route("/console/config.json", respond_with(settings, csp.clone()))
}

/// A GET route answering with `asset` under the policy `csp`.
fn respond_with<A>(asset: A, csp: HeaderValue) -> axum::routing::MethodRouter<AppState>
where
    A: std::ops::Deref<Target = Asset> + Clone + Send + Sync + 'static,
{
    get(move |h: HeaderMap| async move { asset.respond(&h, &csp) })
}
