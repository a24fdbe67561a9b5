//! The staff console in a real browser: headless Chromium driven through
//! WebDriver (Debian's `chromium` and `chromium-driver`; `.ci/run` installs
//! them when missing). Runs on SQLite only: the console is a client of the
//! API, which the rest of the suite holds on both databases. Every step
//! waits for what a person would wait for, never for a fixed time.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use citizen_feedback::auth::Role;
use common::{PASSWORD, TestApp, id_of};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// A chromedriver on a free loopback port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

/// Installs the browser once per test process when it is missing
/// (`tests/install-browser.sh`: Debian packages, never a download).
async fn ensure_browser() {
    static DONE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    DONE.get_or_init(|| async {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/install-browser.sh");
        let status = tokio::process::Command::new(script)
            .status()
            .await
            .expect("run tests/install-browser.sh");
        assert!(
            status.success(),
            "tests/install-browser.sh could not install chromium and chromium-driver"
        );
    })
    .await;
}

impl Driver {
    async fn start() -> Driver {
        ensure_browser().await;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (tests/install-browser.sh installs it)");
        // Owned at once, so it is stopped (Drop) whatever happens next.
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http
                .get(format!("{}/status", driver.url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start");
    }

    /// A headless Chromium that saves downloads into `downloads`.
    async fn browser(&self, downloads: &std::path::Path) -> Client {
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "prefs": {
                    "download.default_directory": downloads,
                    "download.prompt_for_download": false
                },
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1400,1000",
                         "--no-proxy-server", "--lang=vi"]
            }
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a browser session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A map tile server on loopback: every tile is the same small PNG.
struct Tiles {
    base: String,
    served: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Tiles {
    async fn start() -> Tiles {
        use axum::http::header;
        let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = served.clone();
        let png = common::png(8, 8);
        let app = axum::Router::new().route(
            "/tiles/{z}/{x}/{file}",
            axum::routing::get(move || {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let png = png.clone();
                async move { ([(header::CONTENT_TYPE, "image/png")], png) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Tiles { base, served }
    }

    fn served(&self) -> usize {
        self.served.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// With `CONSOLE_SCREENSHOTS=<dir>`, saves what the browser shows as
/// `<dir>/<name>.png` (the README's pictures come from here).
async fn screenshot(c: &Client, name: &str) {
    if let Ok(dir) = std::env::var("CONSOLE_SCREENSHOTS") {
        let png = c.screenshot().await.expect("screenshot");
        std::fs::write(format!("{dir}/{name}.png"), png).expect("write screenshot");
    }
}

async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("waiting for {css}: {e}"))
}

async fn click(c: &Client, css: &str) {
    wait_for(c, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

async fn type_into(c: &Client, css: &str, text: &str) {
    let el = wait_for(c, css).await;
    el.clear().await.ok();
    el.send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
}

async fn act(app: &TestApp, token: &str, id: uuid::Uuid, body: serde_json::Value) {
    let res = app
        .post(&format!("/api/v1/staff/reports/{id}/actions"))
        .token(token)
        .json(&body)
        .send()
        .await;
    assert_eq!(res.status, 200, "{body}: {}", res.body);
}

async fn wait_for_text(c: &Client, css: &str, text: &str) {
    for _ in 0..200 {
        if let Ok(el) = c.find(Locator::Css(css)).await
            && el.text().await.is_ok_and(|t| t.contains(text))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never said {text:?}");
}

/// The walk-through: a ward coordinator signs in, filters to
/// overdue reports, opens one (photos, timeline) and assigns it; accepts and
/// assigns a new one found by its code; sees an officer's work and a new
/// filing arrive without reloading; reads the statistics and downloads last
/// month's XLSX; and no request leaves for another host.
#[tokio::test]
async fn a_ward_coordinator_works_the_queue_in_a_browser() {
    if common::is_postgres() {
        return;
    }
    let tiles = Tiles::start().await;
    let tile_url = format!("{}/tiles/{{z}}/{{x}}/{{y}}.png", tiles.base);
    let app = TestApp::spawn_with(|f| {
        f.merge(figment::providers::Serialized::default(
            "console.tile_url",
            tile_url,
        ))
    })
    .await;
    let city = app.city().await;
    app.user_with_role(Role::Coordinator, "coord.hk@hanoi.gov.vn", Some(city.ward))
        .await;
    let officer = app
        .user_with_role(Role::Officer, "officer.hk@hanoi.gov.vn", Some(city.ward))
        .await;
    let officer_id = officer.user_id;
    let citizen = app.register("0912345678").await;
    let photo = id_of(
        &app.upload(&citizen.access, "den.png", "image/png", common::png(64, 48))
            .await
            .body,
    );
    let mut body = TestApp::report_body(city.lights);
    body["media_ids"] = json!([photo]);
    let late = id_of(&app.file(&citizen.access, &body).await);
    act(&app, &city.admin.access, late, json!({"action": "accept"})).await;
    let fresh = app
        .file(&citizen.access, &TestApp::report_body(city.lights))
        .await;
    let (fresh_id, fresh_code) = (
        id_of(&fresh),
        fresh["code"].as_str().expect("code").to_owned(),
    );
    // A month later the accepted one is overdue (and the sessions made
    // before have expired: the citizen signs in again).
    app.clock.set(app.clock.now() + chrono::Duration::days(30));
    let citizen = app.login("0912345678", PASSWORD).await;

    let driver = Driver::start().await;
    let downloads = tempfile::tempdir().expect("tempdir");
    let c = driver.browser(downloads.path()).await;
    c.goto(&app.url("/console")).await.expect("goto");

    // Sign in: the ward's queue.
    type_into(&c, "#login-form input[name=login]", "coord.hk@hanoi.gov.vn").await;
    type_into(&c, "#login-form input[name=password]", PASSWORD).await;
    click(&c, "#login-form button[type=submit]").await;
    let row = |id: uuid::Uuid| format!("#queue-rows tr[data-id='{id}']");
    wait_for(&c, &row(fresh_id)).await;
    wait_for(&c, &row(late)).await;

    // Overdue only: the filter goes into the URL.
    click(&c, "#filters input[name=overdue]").await;
    click(&c, "#filters button[type=submit]").await;
    wait_for_text(&c, &row(late), "Quá hạn").await;
    let url = c.current_url().await.expect("url");
    assert!(url.as_str().contains("overdue=true"), "{url}");
    assert!(c.find(Locator::Css(&row(fresh_id))).await.is_err());

    // Open it: photo and timeline; reassign it to the officer.
    click(&c, &row(late)).await;
    wait_for(&c, "#timeline li").await;
    wait_for(&c, "#report .photos img").await;
    // The map: tiles from the configured tile server, allowed by the policy.
    wait_for(&c, "#map img").await;
    let loaded = || async {
        c.execute(
            "return [...document.querySelectorAll('#map img')].every(i => i.complete && i.naturalWidth > 0)",
            vec![],
        )
        .await
        .expect("script")
            == json!(true)
    };
    for _ in 0..100 {
        if loaded().await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(loaded().await, "the map's tiles load");
    assert_eq!(tiles.served(), 9);
    screenshot(&c, "console-report").await;
    assert!(
        c.find(Locator::Css("#actions button[data-action=accept]"))
            .await
            .is_err(),
        "accept is not offered on an assigned report"
    );
    click(&c, "#actions button[data-action=assign]").await;
    wait_for(
        &c,
        &format!(
            "form.act[data-action=assign] select[name=assignee_id] option[value='{officer_id}']"
        ),
    )
    .await;
    click(
        &c,
        &format!(
            "form.act[data-action=assign] select[name=assignee_id] option[value='{officer_id}']"
        ),
    )
    .await;
    click(&c, "form.act[data-action=assign] button[type=submit]").await;
    wait_for_text(&c, "#flash", "Đã thực hiện").await;
    assert_eq!(app.report(late).await.assignee_id, Some(officer_id));

    // The new one, found by its code without diacritics: accept and assign.
    c.goto(&app.url("/console#/queue")).await.expect("goto");
    type_into(&c, "#filters input[name=q]", &fresh_code.to_lowercase()).await;
    click(&c, "#filters button[type=submit]").await;
    click(&c, &row(fresh_id)).await;
    click(&c, "#actions button[data-action=accept]").await;
    click(
        &c,
        &format!(
            "form.act[data-action=accept] select[name=assignee_id] option[value='{officer_id}']"
        ),
    )
    .await;
    click(&c, "form.act[data-action=accept] button[type=submit]").await;
    wait_for(&c, "#actions button[data-action=start]").await;
    let r = app.report(fresh_id).await;
    assert_eq!(r.status.as_str(), "assigned");
    assert_eq!(r.assignee_id, Some(officer_id));

    // Live: the officer (elsewhere) starts and resolves the late one, and a
    // citizen files another; the queue shows both without a reload.
    c.goto(&app.url("/console#/queue")).await.expect("goto");
    wait_for(&c, &row(late)).await;
    wait_for(&c, "#live.on").await;
    // The officer, in a window of their own: start, then resolve with the
    // public answer the form asks for.
    let o = driver.browser(downloads.path()).await;
    o.goto(&app.url(&format!("/console#/report/{late}")))
        .await
        .expect("goto");
    type_into(
        &o,
        "#login-form input[name=login]",
        "officer.hk@hanoi.gov.vn",
    )
    .await;
    type_into(&o, "#login-form input[name=password]", PASSWORD).await;
    click(&o, "#login-form button[type=submit]").await;
    click(&o, "#actions button[data-action=start]").await;
    click(&o, "form.act[data-action=start] button[type=submit]").await;
    wait_for_text(&o, "#report", "Đang xử lý").await;
    click(&o, "#actions button[data-action=resolve]").await;
    type_into(
        &o,
        "form.act[data-action=resolve] textarea[name=public_message]",
        "Đã thay bóng đèn.",
    )
    .await;
    click(&o, "form.act[data-action=resolve] button[type=submit]").await;
    wait_for_text(&o, "#report", "Đã xử lý").await;
    o.close().await.expect("close");
    // The coordinator's queue shows it without a reload.
    wait_for_text(&c, &row(late), "Đã xử lý").await;
    assert_eq!(app.report(late).await.status.as_str(), "resolved");
    let third = id_of(
        &app.file(&citizen.access, &TestApp::report_body(city.lights))
            .await,
    );
    click(&c, "#new-changes").await;
    wait_for(&c, &row(third)).await;
    screenshot(&c, "console-queue").await;

    // Statistics: the chart and the monthly table.
    c.goto(&app.url("/console#/stats")).await.expect("goto");
    wait_for(&c, "#chart").await;
    wait_for(&c, "#monthly tbody tr").await;
    let flash = c.find(Locator::Css("#flash")).await.expect("flash");
    assert_ne!(
        flash.attr("class").await.expect("attr").as_deref(),
        Some("error"),
        "{}",
        flash.text().await.unwrap_or_default()
    );
    // Last month as XLSX: the file arrives in the download folder.
    click(&c, "#download-xlsx").await;
    let mut saved = None;
    for _ in 0..200 {
        saved = std::fs::read_dir(downloads.path())
            .expect("downloads")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "xlsx"));
        if saved.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let saved = saved.expect("an .xlsx file downloaded");
    let bytes = std::fs::read(&saved).expect("read");
    assert!(bytes.starts_with(b"PK"), "an XLSX (zip) file");

    // Nothing was asked of another host.
    let origins = c
        .execute(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)",
            vec![],
        )
        .await
        .expect("script");
    // Only this server, and the tile server the settings name.
    let base = url::Url::parse(&app.url("/")).expect("url");
    let ours = base.origin().ascii_serialization();
    for o in origins.as_array().expect("list") {
        let o = o.as_str().unwrap_or_default();
        assert!(o == ours || o == tiles.base, "a request left for {o}");
    }
    c.close().await.expect("close");
}

/// In English at a click; and when the session ends (an administrator
/// revokes it), the console says so on the sign-in page and, signed in
/// again, returns to the same filtered queue.
#[tokio::test]
async fn a_session_ended_returns_to_the_same_queue_in_the_chosen_language() {
    if common::is_postgres() {
        return;
    }
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let coord = app
        .user_with_role(Role::Coordinator, "coord.hk@hanoi.gov.vn", Some(city.ward))
        .await;
    let citizen = app.register("0912345678").await;
    let id = id_of(
        &app.file(&citizen.access, &TestApp::report_body(city.lights))
            .await,
    );

    let driver = Driver::start().await;
    let downloads = tempfile::tempdir().expect("tempdir");
    let c = driver.browser(downloads.path()).await;
    // A link to a filtered queue asks for sign-in first, then opens it.
    c.goto(&app.url("/console#/queue?q=den+duong"))
        .await
        .expect("goto");
    let sign_in = || async {
        type_into(&c, "#login-form input[name=login]", "coord.hk@hanoi.gov.vn").await;
        type_into(&c, "#login-form input[name=password]", PASSWORD).await;
        click(&c, "#login-form button[type=submit]").await;
        wait_for(&c, &format!("#queue-rows tr[data-id='{id}']")).await;
        let url = c.current_url().await.expect("url");
        assert!(url.as_str().ends_with("#/queue?q=den+duong"), "{url}");
    };
    sign_in().await;
    let q = wait_for(&c, "#filters input[name=q]").await;
    assert_eq!(
        q.prop("value").await.expect("value").as_deref(),
        Some("den duong")
    );

    // English at a click.
    click(&c, "#lang").await;
    wait_for_text(&c, "#nav", "Queue").await;
    wait_for_text(&c, "#filters", "Search").await;

    // An administrator ends every session of the account: the next call is
    // refused, the refresh too, and the console says so.
    let res = app
        .post(&format!(
            "/api/v1/admin/users/{}/revoke-sessions",
            coord.user_id
        ))
        .token(&city.admin.access)
        .send()
        .await;
    assert_eq!(res.status, 204, "{}", res.body);
    click(&c, "#filters button[type=submit]").await;
    wait_for(&c, "#login-form").await;
    wait_for_text(&c, "#flash", "Your session has ended").await;
    sign_in().await;
    c.close().await.expect("close");
}
