//! The binary: create-admin, migrate, configuration errors.

mod common;

use std::process::Command;

use common::TestApp;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_citizen-feedback"));
    // Nothing from the developer's environment leaks into these runs.
    for (k, _) in std::env::vars() {
        if k.starts_with("APP_")
            || [
                "DATABASE_URL",
                "JWT_SECRET",
                "LISTEN_ADDR",
                "MEDIA_DIR",
                "CITY_TZ",
            ]
            .contains(&k.as_str())
        {
            c.env_remove(k);
        }
    }
    c
}

#[tokio::test]
async fn create_admin_makes_an_admin_who_can_log_in() {
    let app = TestApp::spawn().await;
    let out = bin()
        .args([
            "create-admin",
            "--email",
            "Root@City.gov.vn",
            "--password",
            common::PASSWORD,
        ])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = app.login("root@city.gov.vn", common::PASSWORD).await;
    let me = app.get("/api/v1/me").token(&s.access).send().await;
    assert_eq!(me.body["role"], "admin");

    // Twice: refused, and still one admin.
    let out = bin()
        .args([
            "create-admin",
            "--email",
            "root@city.gov.vn",
            "--password",
            common::PASSWORD,
        ])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .expect("run");
    assert!(!out.status.success());
    // A weak password is refused before anything is written.
    let out = bin()
        .args([
            "create-admin",
            "--email",
            "other@city.gov.vn",
            "--password",
            "password",
        ])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--password"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role = 'admin'")
            .await,
        1
    );
}

#[test]
fn production_without_a_secret_refuses_to_start_with_one_clear_line() {
    let out = bin()
        .arg("migrate")
        .env("APP_ENVIRONMENT", "production")
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("jwt_secret"), "{stderr}");
}

#[test]
fn invalid_settings_are_named() {
    let out = bin()
        .arg("migrate")
        .env("CITY_TZ", "Mars/Olympus")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("city_tz"), "{stderr}");
    let out = bin()
        .arg("migrate")
        .env("APP_HTTP__REQUEST_TIMEOUT_SECS", "soon")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("http.request_timeout_secs"));
}

#[test]
fn openapi_prints_the_spec() {
    let out = bin().arg("openapi").output().expect("run");
    assert!(out.status.success());
    let spec: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(spec["paths"]["/api/v1/auth/register"].is_object());
}
