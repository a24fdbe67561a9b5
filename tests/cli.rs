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

// Multi-threaded: the command blocks one thread while the app under test
// (its server and background jobs) goes on on another. On one thread, a job
// caught holding the SQLite write lock would keep the command waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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

/// The image runs the binary in production mode unless told otherwise, and
/// the compose file demands a secret (so the start above is what an image
/// without one does).
#[test]
fn the_container_is_in_production_mode_by_default() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).expect("Dockerfile");
    assert!(
        dockerfile.contains("APP_ENVIRONMENT=production"),
        "{dockerfile}"
    );
    let compose = std::fs::read_to_string(root.join("docker-compose.yml")).expect("compose");
    assert!(compose.contains("APP_ENVIRONMENT: production"));
    assert!(compose.contains("JWT_SECRET: ${JWT_SECRET:?"), "{compose}");
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

#[tokio::test]
async fn serve_uses_sqlite_under_data_by_default_logs_request_ids_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_citizen-feedback"))
        .arg("serve")
        .current_dir(dir.path())
        .env_clear()
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("APP_LOG__FORMAT", "json")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..300 {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "server did not come up");
    assert!(
        dir.path().join("data/citizen-feedback.db").exists(),
        "SQLite file under ./data/"
    );
    let res = client
        .get(format!("{base}/api/v1/me"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 401);

    let pid = child.id().expect("pid");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait())
        .await
        .expect("exits after SIGTERM")
        .expect("status");
    assert!(status.success(), "{status:?}");
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use tokio::io::AsyncReadExt as _;
        e.read_to_string(&mut stderr).await.expect("stderr");
    }
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(!lines.is_empty(), "JSON log lines: {stderr}");
    let traced: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["span"]["request_id"] == "trace-me-123")
        .collect();
    assert!(
        !traced.is_empty(),
        "a log line carries the request id: {stderr}"
    );
}

// Multi-threaded: the command blocks one thread while the app under test
// (its server and background jobs) goes on on another. On one thread, a job
// caught holding the SQLite write lock would keep the command waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_demo_builds_a_consistent_city() {
    let app = TestApp::spawn().await;
    let out = bin()
        .args(["seed-demo", "--reports", "600", "--months", "6"])
        .env("DATABASE_URL", &app.database_url)
        .env("MEDIA_DIR", app.media_dir.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 600);
    assert_eq!(app.count("SELECT COUNT(*) FROM categories").await, 12);
    // `stats check` pages through the reports by id: pages of every size
    // add up to the same, each report once.
    let tz = app.state.config.city_tz;
    let whole = citizen_feedback::stats::check::recompute(&app.db, tz)
        .await
        .expect("recompute");
    let filed: i64 = whole
        .counters
        .values()
        .map(|c| c.received + c.duplicates)
        .sum();
    assert_eq!(filed, 600);
    for page in [1, 7, 599, 600, 601] {
        let paged = citizen_feedback::stats::check::recompute_by_pages(&app.db, tz, page)
            .await
            .expect("recompute");
        assert!(paged == whole, "pages of {page} add up to something else");
    }
    for status in [
        "submitted",
        "assigned",
        "in_progress",
        "resolved",
        "closed",
        "rejected",
        "duplicate",
    ] {
        let n = app
            .count(&format!(
                "SELECT COUNT(*) FROM reports WHERE status = '{status}'"
            ))
            .await;
        assert!(n > 0, "no {status} report");
    }
    // Timelines agree with the reports.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM report_events WHERE kind = 'created'")
            .await,
        600
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM reports WHERE status IN ('resolved','closed','rejected') AND handled_at IS NULL").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM reports WHERE status IN ('submitted','assigned','in_progress') AND handled_at IS NOT NULL").await, 0);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM reports WHERE status = 'duplicate' AND duplicate_of IS NULL"
        )
        .await,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM reports WHERE status <> 'submitted' AND status <> 'duplicate' AND status <> 'rejected' AND due_at IS NULL").await, 0);
    // One version per change staff act on, as the API counts them: every
    // status event after `created` (a rating alone is none; so are the
    // deadline reminders the app under test may send about the seeded
    // reports meanwhile).
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM reports r WHERE r.version <> (SELECT COUNT(*) FROM report_events e \
             WHERE e.report_id = r.id AND e.kind NOT IN \
             ('created', 'rated', 'comment', 'note', 'deadline_near', 'escalated'))"
        )
        .await,
        0
    );
    // Duplicates point at a report that is none, filed before the marking,
    // and their reporters follow it as `mark_duplicate` makes them.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM reports d JOIN reports o ON o.id = d.duplicate_of \
             WHERE o.status = 'duplicate' OR o.created_at >= d.updated_at"
        )
        .await,
        0
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM reports r WHERE r.follower_count <> \
             (SELECT COUNT(*) FROM report_followers f WHERE f.report_id = r.id)"
        )
        .await,
        0
    );
    assert!(app.count("SELECT COUNT(*) FROM report_followers").await > 0);
    assert!(
        app.count("SELECT COUNT(*) FROM report_events WHERE kind = 'reopened'")
            .await
            > 0
    );
    // The demo accounts work, and a ward coordinator sees the ward's queue.
    let coord = app
        .login(
            "dieuphoi.hoankiem@demo.hanoi.gov.vn",
            citizen_feedback::seed::DEMO_PASSWORD,
        )
        .await;
    let q = app
        .get("/api/v1/staff/reports?limit=100")
        .token(&coord.access)
        .send()
        .await;
    assert_eq!(q.status, 200);
    let items = q.body["items"].as_array().expect("items");
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["unit"]["code"] == "HN-HOANKIEM"));
    app.login("0980000000", citizen_feedback::seed::DEMO_PASSWORD)
        .await;
    // Running it again adds reports to the same city; here in chunks of
    // 30, and as a large load does, without the secondary indexes, built
    // again at the end as they were.
    let indexes = app.count(&secondary_indexes()).await;
    assert!(indexes >= 10, "{indexes} secondary indexes");
    let out = bin()
        .args(["seed-demo", "--reports", "100", "--months", "1"])
        .args(["--chunk", "30", "--drop-indexes-from", "50"])
        .env("DATABASE_URL", &app.database_url)
        .env("MEDIA_DIR", app.media_dir.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 700);
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT code) FROM reports").await,
        700
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM units").await, 151);
    assert_eq!(app.count(&secondary_indexes()).await, indexes);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM seed_dropped_indexes").await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM seed_runs WHERE finished_at IS NULL")
            .await,
        0
    );
    assert_references_hold(&app).await;
    app.assert_rollup_consistent().await;
}

/// Every reference the seed writes points at a row (on PostgreSQL a seed
/// run by a superuser loads without foreign-key triggers).
async fn assert_references_hold(app: &TestApp) {
    for (table, column, parent) in [
        ("reports", "reporter_id", "users"),
        ("reports", "category_id", "categories"),
        ("reports", "unit_id", "units"),
        ("reports", "assignee_id", "users"),
        ("reports", "duplicate_of", "reports"),
        ("report_events", "report_id", "reports"),
        ("report_events", "actor_id", "users"),
        ("report_followers", "report_id", "reports"),
        ("report_followers", "user_id", "users"),
    ] {
        let orphans = app
            .count(&format!(
                "SELECT COUNT(*) FROM {table} c WHERE c.{column} IS NOT NULL \
                 AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = c.{column})"
            ))
            .await;
        assert_eq!(orphans, 0, "{table}.{column} without its {parent} row");
    }
}

/// Counts the non-unique indexes of `reports` and `report_events`.
fn secondary_indexes() -> String {
    if common::is_postgres() {
        "SELECT COUNT(*) FROM pg_indexes WHERE tablename IN ('reports', 'report_events') \
         AND indexdef NOT LIKE 'CREATE UNIQUE%'"
            .into()
    } else {
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' \
         AND tbl_name IN ('reports', 'report_events') AND sql IS NOT NULL \
         AND upper(sql) NOT LIKE 'CREATE UNIQUE%'"
            .into()
    }
}

/// A seed killed in the middle of a large load (indexes dropped, some
/// chunks in) leaves a consistent database, and the same command finishes
/// the run: every report once, the indexes back, the rollup right.
// Multi-threaded: see above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_seed_is_finished_by_the_same_command() {
    let app = TestApp::spawn().await;
    let indexes = app.count(&secondary_indexes()).await;
    let args = [
        "seed-demo",
        "--reports",
        "3000",
        "--months",
        "3",
        "--chunk",
        "100",
        "--drop-indexes-from",
        "1000",
    ];
    let mut child = bin()
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("MEDIA_DIR", app.media_dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Kill it (SIGKILL) once two chunks are in.
    let started = std::time::Instant::now();
    loop {
        let done = app
            .count("SELECT COALESCE(MAX(chunks_done), 0) FROM seed_runs")
            .await;
        if done >= 2 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "no chunk written"
        );
        assert!(child.try_wait().expect("wait").is_none(), "seed ended");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    let done = app.count("SELECT MAX(chunks_done) FROM seed_runs").await;
    assert!(done < 30, "killed before the end ({done} chunks)");
    // What is in is whole chunks, with their rollup, and the indexes are
    // remembered.
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, done * 100);
    app.assert_rollup_consistent().await;
    assert!(app.count("SELECT COUNT(*) FROM seed_dropped_indexes").await > 0);
    assert!(app.count(&secondary_indexes()).await < indexes);

    let out = bin()
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("MEDIA_DIR", app.media_dir.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("interrupted run"), "{stdout}");
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 3000);
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT code) FROM reports").await,
        3000
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM report_events WHERE kind = 'created'")
            .await,
        3000
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM seed_runs WHERE finished_at IS NOT NULL AND chunks_done = 30"
        )
        .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM seed_runs").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM seed_dropped_indexes").await,
        0
    );
    assert_eq!(app.count(&secondary_indexes()).await, indexes);
    assert_references_hold(&app).await;
    app.assert_rollup_consistent().await;
}

/// `housekeeping` runs one sweep and prints what it deleted: here, the
/// refresh tokens of a session long expired (the real clock has passed them).
// Multi-threaded: the command blocks one thread while the app under test
// (its server and background jobs) goes on on another. On one thread, a job
// caught holding the SQLite write lock would keep the command waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn housekeeping_sweeps_once_and_prints_the_counts() {
    let app = TestApp::spawn().await;
    app.register("0912345678").await;
    // The session's token expired long ago.
    app.exec("UPDATE refresh_tokens SET expires_at = created_at")
        .await;
    let media_dir = tempfile::tempdir().expect("temp dir");
    let out = bin()
        .arg("housekeeping")
        .env("DATABASE_URL", &app.database_url)
        .env("MEDIA_DIR", media_dir.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let swept: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(swept["expired_sessions"], 1, "{swept}");
    assert_eq!(swept["unattached_media"], 0, "{swept}");
    assert_eq!(app.count("SELECT COUNT(*) FROM refresh_tokens").await, 0);
}
