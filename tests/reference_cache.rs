//! Units and categories are kept in memory for reads (`org::reference`): a
//! change shows at once in the instance that made it, and in another
//! instance on the same PostgreSQL through `NOTIFY`, long before its copy
//! would expire by age.

mod common;

use std::time::{Duration, Instant};

use citizen_feedback::auth::Role;
use common::server::{Server, spare_port};
use common::{TestApp, id_of};
use serde_json::json;

#[tokio::test]
async fn a_change_shows_at_once_in_this_instance() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let admin = city.admin.access.clone();
    let citizen = app.register("0912345678").await;
    let id = id_of(
        &app.file(&citizen.access, &TestApp::report_body(city.lights))
            .await,
    );
    let name = |lang: &'static str| {
        let app = &app;
        async move {
            let r = app
                .get(&format!("/api/v1/reports/{id}"))
                .lang(lang)
                .send()
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.body["category"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    assert_eq!(name("vi").await, "Điện chiếu sáng");
    let r = app
        .patch(&format!("/api/v1/admin/categories/{}", city.lights))
        .token(&admin)
        .json(&json!({"name_vi": "Chiếu sáng công cộng"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(name("vi").await, "Chiếu sáng công cộng", "read right after");

    // A ward coordinator's scope follows a unit moved under the ward.
    let coord = app
        .user_with_role(Role::Coordinator, "ward@hanoi.gov.vn", Some(city.ward))
        .await
        .access;
    let team = id_of(
        &app.post("/api/v1/admin/units")
            .token(&admin)
            .json(&json!({"code": "HN-TEAM", "name": "Tổ đô thị", "kind": "other", "parent_id": city.root}))
            .send()
            .await
            .body,
    );
    let act = json!({"action": "accept", "unit_id": team});
    let r = app
        .post(&format!("/api/v1/staff/reports/{id}/actions"))
        .token(&coord)
        .json(&act)
        .send()
        .await;
    assert_eq!(r.status, 422, "the team is not the ward's yet: {}", r.body);
    let r = app
        .patch(&format!("/api/v1/admin/units/{team}"))
        .token(&admin)
        .json(&json!({"parent_id": city.ward}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .get(&format!("/api/v1/staff/reports?unit={team}"))
        .token(&coord)
        .send()
        .await;
    assert_eq!(r.status, 200, "the team is in the ward's scope: {}", r.body);
    let r = app
        .post(&format!("/api/v1/staff/reports/{id}/actions"))
        .token(&coord)
        .json(&act)
        .send()
        .await;
    assert_eq!(r.status, 200, "now it is: {}", r.body);
}

#[tokio::test]
async fn another_instance_hears_of_a_change_through_notify() {
    if !common::is_postgres() {
        eprintln!("skipped: instances hear of changes through PostgreSQL NOTIFY");
        return;
    }
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let citizen = app.register("0912345678").await;
    let id = id_of(
        &app.file(&citizen.access, &TestApp::report_body(city.lights))
            .await,
    );
    // Another instance whose copies would live an hour by age alone.
    let dir = tempfile::tempdir().expect("dir");
    let port = spare_port();
    let _other = Server::start(
        port,
        dir.path(),
        &[
            ("DATABASE_URL", app.database_url.clone()),
            (
                "JWT_SECRET",
                "another-instance-secret-another-instance".into(),
            ),
            ("APP_DATABASE__REFERENCE_MAX_AGE_MS", "3600000".into()),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let name = || {
        let client = client.clone();
        async move {
            let r = client
                .get(format!("http://127.0.0.1:{port}/api/v1/reports/{id}"))
                .header("accept-language", "vi")
                .send()
                .await
                .expect("get");
            assert_eq!(r.status(), 200);
            let body: serde_json::Value = r.json().await.expect("json");
            body["category"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    // Its copy is loaded, and loaded again once its listener connects
    // (changes may have been missed before): read until both have happened,
    // so what follows is heard through NOTIFY or not at all.
    for _ in 0..5 {
        assert_eq!(name().await, "Điện chiếu sáng", "its copy is loaded");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let r = app
        .patch(&format!("/api/v1/admin/categories/{}", city.lights))
        .token(&city.admin.access)
        .json(&json!({"name_vi": "Chiếu sáng công cộng"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if name().await == "Chiếu sáng công cộng" {
            break;
        }
        assert!(Instant::now() < deadline, "the other instance never heard");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
