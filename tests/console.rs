//! The staff console at `/console`: served by the binary, under a strict
//! Content-Security-Policy, with nothing that reaches another host.

mod common;

use common::TestApp;

const ASSETS: [(&str, &str); 4] = [
    ("/console", "text/html"),
    ("/console/", "text/html"),
    ("/console/app.js", "text/javascript"),
    ("/console/app.css", "text/css"),
];

#[tokio::test]
async fn the_console_is_served_under_a_strict_policy() {
    let app = TestApp::spawn().await;
    for (path, kind) in ASSETS {
        let res = app.client.get(app.url(path)).send().await.expect("sent");
        assert_eq!(res.status(), 200, "{path}");
        let header = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(header("content-type").starts_with(kind), "{path}");
        let csp = header("content-security-policy");
        assert!(csp.starts_with("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
        assert_eq!(header("x-content-type-options"), "nosniff");
        let etag = header("etag");
        let body = res.text().await.expect("body");
        // Nothing names another host: no CDN, no web fonts, no tiles.
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path} names another host"
        );
        let again = app
            .client
            .get(app.url(path))
            .header("If-None-Match", &etag)
            .send()
            .await
            .expect("sent");
        assert_eq!(again.status(), 304, "{path}");
    }
}

/// The text the server answers at `path`.
async fn served(app: &TestApp, path: &str) -> String {
    let res = app.client.get(app.url(path)).send().await.expect("sent");
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.expect("body")
}

/// No inline script or style, which the policy would block: the page only
/// loads the script and the style sheet, and the script never keeps a token
/// in `localStorage`.
#[tokio::test]
async fn the_page_has_no_inline_script_and_keeps_tokens_out_of_local_storage() {
    let app = TestApp::spawn().await;
    let html = served(&app, "/console").await;
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains(r#"<script src="/console/app.js" defer></script>"#));
    assert!(!html.contains("<style") && !html.contains(" style="));
    assert!(!html.contains(" onclick=") && !html.contains(" onload="));
    assert!(
        html.contains(r#"<html lang="vi">"#),
        "Vietnamese by default"
    );
    let js = served(&app, "/console/app.js").await;
    for line in js.lines().filter(|l| l.contains("localStorage.setItem")) {
        assert!(line.contains("\"cf.lang\""), "only the language: {line}");
    }
    assert!(!js.contains("eval(") && !js.contains("new Function"));
}

/// A map is a setting: its tile origin, and only that, joins the policy's
/// images, and the script learns the template from `/console/config.json`.
#[tokio::test]
async fn the_map_tiles_are_a_setting() {
    let app = TestApp::spawn().await;
    let res = app.get("/console/config.json").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body, serde_json::json!({"tile_url": null}));

    let template = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png";
    let app = TestApp::spawn_with(|f| {
        f.merge(figment::providers::Serialized::default(
            "console.tile_url",
            template,
        ))
    })
    .await;
    let res = app.get("/console/config.json").send().await;
    assert_eq!(res.body, serde_json::json!({"tile_url": template}));
    let page = app.get("/console").send().await;
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("img-src 'self' blob: data: http://127.0.0.1:9;"),
        "{csp}"
    );
    assert!(csp.contains("connect-src 'self';"), "{csp}");
}

/// A tile URL that is not an http(s) template is refused at start.
#[test]
fn a_bad_tile_url_is_refused() {
    use citizen_feedback::config::Config;
    for bad in [
        "ftp://127.0.0.1/{z}/{x}/{y}.png",
        "http://127.0.0.1/tiles.png",
        "not a url {z}{x}{y}",
    ] {
        let f = Config::figment().merge(figment::providers::Serialized::default(
            "console.tile_url",
            bad,
        ));
        let err = Config::from_figment(f).expect_err(bad);
        assert!(err.0.contains("console.tile_url"), "{bad}: {}", err.0);
    }
}
