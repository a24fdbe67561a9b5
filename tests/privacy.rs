//! A person's data: export it, delete the account.

mod common;

use common::{PASSWORD, TestApp, id_of, png};
use serde_json::json;

#[tokio::test]
async fn export_has_everything_about_the_caller() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let other = app.register("0987654321").await;
    let m = id_of(
        &app.upload(&s.access, "a.png", "image/png", png(2, 2))
            .await
            .body,
    );
    let mut body = TestApp::report_body(city.lights);
    body["media_ids"] = json!([m]);
    let mine = id_of(&app.file(&s.access, &body).await);
    app.post(&format!("/api/v1/reports/{mine}/comments"))
        .token(&s.access)
        .json(&json!({"message": "Bổ sung ảnh"}))
        .send()
        .await;
    let theirs = id_of(
        &app.file(&other.access, &TestApp::report_body(city.lights))
            .await,
    );
    app.put(&format!("/api/v1/reports/{theirs}/follow"))
        .token(&s.access)
        .send()
        .await;

    let res = app.get("/api/v1/me/export").token(&s.access).send().await;
    assert_eq!(res.status, 200, "{}", res.body);
    let e = &res.body;
    assert_eq!(e["user"]["phone"], "+84912345678");
    assert_eq!(e["reports"].as_array().map(Vec::len), Some(1));
    assert_eq!(e["reports"][0]["id"], mine.to_string());
    let kinds: Vec<&str> = e["reports"][0]["timeline"]
        .as_array()
        .expect("t")
        .iter()
        .filter_map(|x| x["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["created", "comment"]);
    assert_eq!(e["following"], json!([theirs]));
    assert_eq!(e["media"][0]["id"], m.to_string());
    assert_eq!(e["sessions"].as_array().map(Vec::len), Some(1));
    assert!(!e.to_string().contains("password_hash") && !e.to_string().contains("argon2"));
    app.get("/api/v1/me/export")
        .send()
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn deleting_the_account_keeps_the_reports_and_removes_the_person() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let other = app.register("0987654321").await;
    let attached = id_of(
        &app.upload(&s.access, "a.png", "image/png", png(2, 2))
            .await
            .body,
    );
    let loose = id_of(
        &app.upload(&s.access, "b.png", "image/png", png(2, 2))
            .await
            .body,
    );
    let mut body = TestApp::report_body(city.lights);
    body["media_ids"] = json!([attached]);
    let report = id_of(&app.file(&s.access, &body).await);
    let theirs = id_of(
        &app.file(&other.access, &TestApp::report_body(city.lights))
            .await,
    );
    app.put(&format!("/api/v1/reports/{theirs}/follow"))
        .token(&s.access)
        .send()
        .await;
    let sessions_before = app
        .count("SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL")
        .await;
    let files_before = app.count("SELECT COUNT(*) FROM media").await;
    assert_eq!(files_before, 2);

    // Staff accounts are not deleted this way.
    app.req(reqwest::Method::DELETE, "/api/v1/me")
        .token(&city.admin.access)
        .send()
        .await
        .assert_problem(403, "forbidden");

    let res = app
        .req(reqwest::Method::DELETE, "/api/v1/me")
        .token(&s.access)
        .send()
        .await;
    assert_eq!(res.status, 204, "{}", res.body);

    // The person is gone ...
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE phone = '+84912345678'")
            .await,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL AND phone IS NULL AND email IS NULL AND full_name = ''").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL")
            .await,
        sessions_before - 1,
        "the deleted person's session is gone"
    );
    app.get("/api/v1/me")
        .token(&s.access)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.post("/api/v1/auth/refresh")
        .json(&json!({"refresh_token": s.refresh}))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.post("/api/v1/auth/login")
        .json(&json!({"login": "0912345678", "password": PASSWORD}))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    // ... the phone can register again as a new person ...
    app.register("0912345678").await;
    // ... the report stays, anonymized, with its photo; the loose file is gone.
    let row = app.report(report).await;
    assert!(row.is_anonymous);
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 2);
    let staff_view = app
        .get(&format!("/api/v1/reports/{report}"))
        .token(&city.admin.access)
        .send()
        .await;
    assert!(
        staff_view.body.get("reporter").is_none(),
        "{}",
        staff_view.body
    );
    assert_eq!(staff_view.body["media"][0]["id"], attached.to_string());
    assert_eq!(app.count("SELECT COUNT(*) FROM media").await, 1);
    let _ = loose;
    // The follow is gone and the count is right.
    assert_eq!(
        app.get(&format!("/api/v1/reports/{theirs}"))
            .send()
            .await
            .body["follower_count"],
        0
    );
}
