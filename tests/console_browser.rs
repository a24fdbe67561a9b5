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

impl Driver {
    async fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver: install Debian's chromium and chromium-driver (.ci/run does)");
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

#[tokio::test]
async fn a_ward_coordinator_works_the_queue_in_a_browser() {
    if common::is_postgres() {
        return;
    }
    let app = TestApp::spawn().await;
    let city = app.city().await;
    app.user_with_role(Role::Coordinator, "coord.hk@hanoi.gov.vn", Some(city.ward))
        .await;
    let citizen = app.register("0912345678").await;
    let photo = id_of(
        &app.upload(&citizen.access, "den.png", "image/png", common::png(64, 48))
            .await
            .body,
    );
    let mut body = TestApp::report_body(city.lights);
    body["media_ids"] = json!([photo]);
    let first = app.file(&citizen.access, &body).await;
    let (id, code) = (
        id_of(&first),
        first["code"].as_str().expect("code").to_owned(),
    );

    let driver = Driver::start().await;
    let downloads = tempfile::tempdir().expect("tempdir");
    let c = driver.browser(downloads.path()).await;
    c.goto(&app.url("/console")).await.expect("goto");

    // Sign in: the queue of the ward appears, with the report.
    type_into(&c, "#login-form input[name=login]", "coord.hk@hanoi.gov.vn").await;
    type_into(&c, "#login-form input[name=password]", PASSWORD).await;
    click(&c, "#login-form button[type=submit]").await;
    wait_for(&c, &format!("#queue-rows tr[data-id='{id}']")).await;

    // Search without diacritics by its code: the filter goes into the URL.
    type_into(&c, "#filters input[name=q]", &code.to_lowercase()).await;
    click(&c, "#filters button[type=submit]").await;
    wait_for(&c, &format!("#queue-rows tr[data-id='{id}']")).await;
    let url = c.current_url().await.expect("url");
    assert!(url.as_str().contains("q="), "{url}");

    // Open it and accept it, taking it on: only the offered actions show.
    click(&c, &format!("#queue-rows tr[data-id='{id}']")).await;
    wait_for(&c, "#timeline li").await;
    wait_for(&c, "#report .photos img").await;
    screenshot(&c, "console-report").await;
    assert!(
        c.find(Locator::Css("#actions button[data-action=close]"))
            .await
            .is_err(),
        "close is not offered on a submitted report"
    );
    click(&c, "#actions button[data-action=accept]").await;
    click(&c, "form.act[data-action=accept] input[name=assign_me]").await;
    click(&c, "form.act[data-action=accept] button[type=submit]").await;
    // The page reloads the report, which now offers "start".
    wait_for(&c, "#actions button[data-action=start]").await;
    let r = app.report(id).await;
    assert_eq!(r.status.as_str(), "assigned");
    assert!(r.assignee_id.is_some());

    // Live: back in the queue, a report filed meanwhile shows up as new
    // without a reload.
    c.goto(&app.url("/console#/queue")).await.expect("goto");
    wait_for(&c, &format!("#queue-rows tr[data-id='{id}']")).await;
    wait_for(&c, "#live.on").await;
    app.file(&citizen.access, &TestApp::report_body(city.lights))
        .await;
    click(&c, "#new-changes").await;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#queue-rows tr:nth-child(2)"))
        .await
        .expect("two reports after reloading");
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
    let base = url::Url::parse(&app.url("/")).expect("url");
    let ours = base.origin().ascii_serialization();
    for o in origins.as_array().expect("list") {
        assert_eq!(o.as_str(), Some(ours.as_str()), "a request left for {o}");
    }
    c.close().await.expect("close");
}
