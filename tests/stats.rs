//! Statistics: the monthly figures, months in the city's time zone, grouping,
//! ranking, monthly close, exports, the chart, and `stats check`.

mod common;

use citizen_feedback::auth::Role;
use common::{PASSWORD, TestApp, at, id_of};
use serde_json::{Value, json};
use uuid::Uuid;

async fn act(app: &TestApp, token: &str, id: Uuid, body: Value) -> common::Resp {
    let r = app
        .post(&format!("/api/v1/staff/reports/{id}/actions"))
        .token(token)
        .json(&body)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r
}

struct World {
    ward: Uuid,
    b1: Uuid,
}

/// March: B1 (resolved on time in March), B2 (rejected in April).
/// April: A1 (resolved late in May), A2 (a duplicate of A1).
/// The month boundary is midnight in Hanoi, not in UTC.
async fn world(app: &TestApp) -> World {
    let city = app.city().await;
    app.user_with_role(Role::Coordinator, "coord@hanoi.gov.vn", Some(city.root))
        .await;
    app.user_with_role(Role::Officer, "officer@hanoi.gov.vn", Some(city.ward))
        .await;
    app.register("0912345678").await;
    let login = |who: &'static str| async move { app.login(who, PASSWORD).await.access };

    // 2025-03-10 09:00 local.
    app.clock.set(at("2025-03-10T02:00:00Z"));
    let citizen = login("0912345678").await;
    let b1 = id_of(&app.file(&citizen, &TestApp::report_body(city.lights)).await);
    let b2 = id_of(&app.file(&citizen, &TestApp::report_body(city.lights)).await);
    let coord = login("coord@hanoi.gov.vn").await;
    let officer = login("officer@hanoi.gov.vn").await;
    act(app, &coord, b1, json!({"action": "accept"})).await;
    act(
        app,
        &officer,
        b1,
        json!({"action": "resolve", "public_message": "Đã sửa"}),
    )
    .await;

    // 2025-03-31 17:30 UTC = 2025-04-01 00:30 in Hanoi: April.
    app.clock.set(at("2025-03-31T17:30:00Z"));
    let citizen = login("0912345678").await;
    let coord = login("coord@hanoi.gov.vn").await;
    act(
        app,
        &coord,
        b2,
        json!({"action": "reject", "public_message": "Không thuộc thẩm quyền"}),
    )
    .await;
    let a1 = id_of(&app.file(&citizen, &TestApp::report_body(city.lights)).await);
    let a2 = id_of(&app.file(&citizen, &TestApp::report_body(city.lights)).await);
    act(app, &coord, a1, json!({"action": "accept"})).await;
    act(
        app,
        &coord,
        a2,
        json!({"action": "mark_duplicate", "duplicate_of": a1}),
    )
    .await;

    // 2025-05-20: A1 resolved, long after its deadline.
    app.clock.set(at("2025-05-20T03:00:00Z"));
    let officer = login("officer@hanoi.gov.vn").await;
    act(
        app,
        &officer,
        a1,
        json!({"action": "resolve", "public_message": "Đã sửa"}),
    )
    .await;
    app.clock.set(at("2025-06-10T03:00:00Z"));
    World {
        ward: city.ward,
        b1,
    }
}

fn month<'a>(body: &'a Value, series: usize, m: &str) -> &'a Value {
    body["series"][series]["months"]
        .as_array()
        .and_then(|ms| ms.iter().find(|x| x["month"] == m))
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn monthly_figures_follow_the_definitions() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let coord = app.login("coord@hanoi.gov.vn", PASSWORD).await.access;
    let res = app
        .get("/api/v1/stats/monthly?from=2025-03&to=2025-05")
        .token(&coord)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["series"].as_array().map(Vec::len), Some(1));
    let mar = month(&res.body, 0, "2025-03");
    assert_eq!(mar["received"], 2);
    assert_eq!(mar["handled"], 2, "as of now: B1 resolved, B2 rejected");
    assert_eq!(mar["handled_in_month"], 1);
    assert_eq!(mar["rejected"], 1);
    assert_eq!(mar["cohort_rate"], 1.0);
    assert_eq!(
        mar["cumulative_rate"], 0.5,
        "by the end of March only B1 was handled"
    );
    assert_eq!(mar["on_time_rate"], 1.0);
    assert_eq!(mar["open_at_end"], 1);
    let apr = month(&res.body, 0, "2025-04");
    assert_eq!(apr["received"], 1, "the duplicate is not received");
    assert_eq!(apr["duplicates"], 1);
    assert_eq!(apr["handled_in_month"], 1);
    assert_eq!(apr["cumulative_rate"], 0.6667);
    assert_eq!(apr["on_time_rate"], 0.0, "A1 was handled late");
    assert_eq!(apr["open_at_end"], 1);
    assert_eq!(
        apr["overdue_at_end"], 1,
        "A1 was past its deadline at the end of April"
    );
    let may = month(&res.body, 0, "2025-05");
    assert_eq!(may["received"], 0);
    assert_eq!(may["cohort_rate"], Value::Null);
    assert_eq!(may["cumulative_rate"], 1.0);
    assert_eq!(
        (may["open_at_end"].as_i64(), may["overdue_at_end"].as_i64()),
        (Some(0), Some(0))
    );
    assert!(
        may["median_resolution_hours"]
            .as_i64()
            .is_some_and(|h| h > 24 * 40)
    );

    let summary = app
        .get("/api/v1/stats/summary?from=2025-03&to=2025-05")
        .token(&coord)
        .send()
        .await;
    assert_eq!(summary.body["received"], 3, "{}", summary.body);
    assert_eq!(summary.body["handled_rate"], 1.0);
    assert_eq!(summary.body["cumulative_rate"], 1.0);

    let by_cat = app
        .get("/api/v1/stats/monthly?from=2025-03&to=2025-04&group_by=category")
        .token(&coord)
        .lang("en")
        .send()
        .await;
    assert_eq!(by_cat.body["series"][0]["name"], "Street lights");
    let by_unit = app
        .get("/api/v1/stats/monthly?from=2025-03&to=2025-04&group_by=unit")
        .token(&coord)
        .send()
        .await;
    let names: Vec<&str> = by_unit.body["series"]
        .as_array()
        .expect("s")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["Phường Hoàn Kiếm"]);
    assert_eq!(month(&by_unit.body, 0, "2025-03")["received"], 2);
    let one_ward = app
        .get(&format!(
            "/api/v1/stats/monthly?from=2025-03&to=2025-03&unit={}",
            w.ward
        ))
        .token(&coord)
        .send()
        .await;
    assert_eq!(month(&one_ward.body, 0, "2025-03")["received"], 2);
    let by_area = app
        .get("/api/v1/stats/monthly?from=2025-03&to=2025-03&group_by=area")
        .token(&coord)
        .send()
        .await;
    assert_eq!(by_area.body["series"][0]["key"], "00070");

    // Bad input, and who may read.
    let bad = app
        .get("/api/v1/stats/monthly?from=2025-13&group_by=ward")
        .token(&coord)
        .send()
        .await;
    bad.assert_problem(422, "validation-error");
    let officer = app.login("officer@hanoi.gov.vn", PASSWORD).await.access;
    app.get("/api/v1/stats/monthly")
        .token(&officer)
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.get("/api/v1/stats/monthly")
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.assert_rollup_consistent().await;
}

#[tokio::test]
async fn ranking_is_public() {
    let app = TestApp::spawn().await;
    world(&app).await;
    let res = app.get("/api/v1/stats/ranking?month=2025-03").send().await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["items"][0]["rank"], 1);
    assert_eq!(res.body["items"][0]["unit"]["code"], "HN-HOANKIEM");
    assert_eq!(res.body["items"][0]["handled_rate"], 1.0);
    assert_eq!(res.body["items"][0]["received"], 2);
    app.get("/api/v1/stats/ranking?month=march")
        .send()
        .await
        .assert_problem(422, "validation-error");
}

#[tokio::test]
async fn a_closed_month_exports_its_snapshot_while_live_figures_move() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let admin = app.admin().await.access;
    let coord = app.login("coord@hanoi.gov.vn", PASSWORD).await.access;
    let res = app
        .post("/api/v1/stats/months/2025-03/close")
        .token(&admin)
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    app.post("/api/v1/stats/months/2025-03/close")
        .token(&admin)
        .send()
        .await
        .assert_problem(409, "conflict");
    app.post("/api/v1/stats/months/2025-06/close")
        .token(&admin)
        .send()
        .await
        .assert_problem(409, "conflict");
    app.post("/api/v1/stats/months/2025-03/close")
        .token(&coord)
        .send()
        .await
        .assert_problem(403, "forbidden");

    // A report of March is reopened in June.
    act(
        &app,
        &coord,
        w.b1,
        json!({"action": "reopen", "reason": "Đèn lại hỏng"}),
    )
    .await;
    let live = app
        .get("/api/v1/stats/monthly?from=2025-03&to=2025-03")
        .token(&coord)
        .send()
        .await;
    assert_eq!(
        month(&live.body, 0, "2025-03")["handled"],
        1,
        "live figures move"
    );

    let export = app
        .client
        .get(app.url("/api/v1/stats/monthly/export?month=2025-03&format=json"))
        .bearer_auth(&coord)
        .send()
        .await
        .expect("get");
    assert_eq!(export.headers()["x-stats-snapshot"], "closed");
    let body: Value = export.json().await.expect("json");
    assert_eq!(
        month(&body, 0, "2025-03")["handled"],
        2,
        "the published figure does not move"
    );
    let export = app
        .get("/api/v1/stats/monthly/export?month=2025-03&format=json&live=true")
        .token(&coord)
        .send()
        .await;
    assert_eq!(month(&export.body, 0, "2025-03")["handled"], 1);
    // The frozen unit grouping is the one a city coordinator sees live: the
    // city's direct children.
    let frozen = app
        .get("/api/v1/stats/monthly/export?month=2025-03&format=json&group_by=unit")
        .token(&coord)
        .send()
        .await;
    let live = app
        .get("/api/v1/stats/monthly/export?month=2025-03&format=json&group_by=unit&live=true")
        .token(&coord)
        .send()
        .await;
    let names = |b: &Value| {
        b["series"]
            .as_array()
            .map(|s| s.iter().map(|x| x["name"].clone()).collect::<Vec<_>>())
    };
    assert_eq!(names(&frozen.body), names(&live.body));
    assert_eq!(names(&frozen.body), Some(vec![json!("Phường Hoàn Kiếm")]));
    app.assert_rollup_consistent().await;
}

#[tokio::test]
async fn exports_excel_can_open() {
    let app = TestApp::spawn().await;
    world(&app).await;
    let coord = app.login("coord@hanoi.gov.vn", PASSWORD).await.access;
    let get = |q: &'static str, lang: &'static str| {
        let app = &app;
        let coord = coord.clone();
        async move {
            app.client
                .get(app.url(&format!("/api/v1/stats/monthly/export?{q}")))
                .bearer_auth(coord)
                .header("accept-language", lang)
                .send()
                .await
                .expect("get")
        }
    };
    let csv = get("month=2025-03&format=csv&group_by=category", "vi").await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    let disposition = csv.headers()["content-disposition"]
        .to_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        disposition.starts_with("attachment") && disposition.contains("2025-03"),
        "{disposition}"
    );
    let bytes = csv.bytes().await.expect("bytes");
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a byte-order mark for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap_or("")
            .starts_with("Tháng,Nhóm,Tiếp nhận,Đã xử lý"),
        "{text}"
    );
    let row = lines.next().unwrap_or("");
    assert!(row.starts_with("2025-03,Điện chiếu sáng,2,2,1,"), "{row}");
    assert!(row.contains("100.00%"), "{row}");
    let en = get("month=2025-03&format=csv", "en")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        en.trim_start_matches('\u{feff}')
            .starts_with("Month,Group,Received,Handled"),
        "{en}"
    );

    let xlsx = get("month=2025-03&format=xlsx", "vi").await;
    assert_eq!(
        xlsx.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        xlsx.headers()["content-disposition"]
            .to_str()
            .unwrap_or("")
            .contains(".xlsx")
    );
    let bytes = xlsx.bytes().await.expect("bytes");
    assert_eq!(&bytes[..2], b"PK", "an XLSX is a zip");
    // Open it as a spreadsheet program would.
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let mut book: Xlsx<_> =
        open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("a valid workbook");
    let sheet = book.worksheet_range("Thống kê").expect("the sheet");
    assert_eq!(sheet.get((0, 0)), Some(&Data::String("Tháng".into())));
    assert_eq!(sheet.get((0, 2)), Some(&Data::String("Tiếp nhận".into())));
    assert_eq!(sheet.get((0, 8)), Some(&Data::String("Tỷ lệ xử lý".into())));
    assert_eq!(sheet.get((1, 0)), Some(&Data::String("2025-03".into())));
    assert_eq!(
        sheet.get((1, 1)),
        Some(&Data::String("Thành phố Hà Nội".into())),
        "the coordinator's unit"
    );
    assert_eq!(sheet.get((1, 2)), Some(&Data::Float(2.0)));
    assert_eq!(
        sheet.get((1, 8)),
        Some(&Data::Float(1.0)),
        "rates are fractions shown as percentages"
    );
    assert_eq!(sheet.get((1, 9)), Some(&Data::Float(0.5)));

    let res = app
        .get("/api/v1/stats/monthly/export?format=pdf")
        .token(&coord)
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    let mut f = res.error_fields();
    f.sort();
    assert_eq!(f, ["format", "month"]);

    let chart = app
        .client
        .get(app.url("/api/v1/stats/monthly/chart.svg?from=2025-03&to=2025-06"))
        .bearer_auth(&coord)
        .send()
        .await
        .expect("get");
    assert_eq!(chart.headers()["content-type"], "image/svg+xml");
    let svg = chart.text().await.expect("svg");
    assert!(
        svg.starts_with("<svg") && svg.contains("Tỷ lệ xử lý lũy kế") && svg.contains("2025-04"),
        "{svg}"
    );
    assert!(svg.contains("<path d=\"M"), "{svg}");
}

// Multi-threaded: each command blocks one thread while the app under test
// (its server and background jobs) goes on on another. On one thread, a job
// caught holding the SQLite write lock would keep the command waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_check_and_export_from_the_command_line() {
    let app = TestApp::spawn().await;
    world(&app).await;
    let bin = || {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_citizen-feedback"));
        c.env("DATABASE_URL", &app.database_url)
            .env("MEDIA_DIR", app.media_dir.path())
            .env_remove("APP_ENVIRONMENT");
        c
    };
    let out = bin().args(["stats", "check"]).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bin()
        .args([
            "stats",
            "export",
            "--month",
            "2025-04",
            "--format",
            "csv",
            "--english",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Month,Group,Received"));
    // Any difference between the rollup and the reports fails the check.
    app.exec("UPDATE report_stats_monthly SET received = received + 1 WHERE received > 0")
        .await;
    let out = bin().args(["stats", "check"]).output().expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("difference"));
    // And rebuild repairs it.
    let out = bin().args(["stats", "rebuild"]).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    app.assert_rollup_consistent().await;
}

#[tokio::test]
async fn last_month_closes_by_itself_after_the_fifth() {
    let app = TestApp::spawn().await;
    world(&app).await;
    // 2025-06-05 20:00 in Hanoi: too early.
    app.clock.set(at("2025-06-05T13:00:00Z"));
    assert_eq!(
        citizen_feedback::stats::service::auto_close_month(app.state.ctx())
            .await
            .expect("run"),
        None
    );
    // 2025-06-06 00:30 in Hanoi: May closes, once, whichever instance runs first.
    app.clock.set(at("2025-06-05T17:30:00Z"));
    let (a, b) = tokio::join!(
        citizen_feedback::stats::service::auto_close_month(app.state.ctx()),
        citizen_feedback::stats::service::auto_close_month(app.state.ctx())
    );
    let closed: Vec<i32> = [a.expect("a"), b.expect("b")]
        .into_iter()
        .flatten()
        .map(|m| m.yyyymm())
        .collect();
    assert_eq!(closed, [202505]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM stats_snapshots WHERE month = 202505")
            .await,
        4
    );
}

/// A fresh install (no report yet, data still to be imported) never
/// freezes zeros for last month; once a report exists, the month closes.
#[tokio::test]
async fn an_empty_service_does_not_freeze_last_month() {
    let app = TestApp::spawn().await;
    app.clock.set(at("2025-06-05T17:30:00Z"));
    assert_eq!(
        citizen_feedback::stats::service::auto_close_month(app.state.ctx())
            .await
            .expect("run"),
        None
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM stats_snapshots").await, 0);
    // A report filed in June does not make May a month with reports.
    let city = app.city().await;
    let s = app.register("0912345678").await;
    app.file(&s.access, &TestApp::report_body(city.lights))
        .await;
    assert_eq!(
        citizen_feedback::stats::service::auto_close_month(app.state.ctx())
            .await
            .expect("run"),
        None
    );
    // In July, June (which held it) closes.
    app.clock.set(at("2025-07-06T03:00:00Z"));
    let closed = citizen_feedback::stats::service::auto_close_month(app.state.ctx())
        .await
        .expect("run");
    assert_eq!(closed.map(|m| m.yyyymm()), Some(202506));
}

#[tokio::test]
async fn export_parameters_are_checked() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for (query, field) in [
        ("month=2025-03&live=yes", "live"),
        ("month=2025-03&format=pdf", "format"),
        ("format=csv", "month"),
    ] {
        let res = app
            .get(&format!("/api/v1/stats/monthly/export?{query}"))
            .token(&admin.access)
            .send()
            .await;
        res.assert_problem(422, "validation-error");
        assert_eq!(res.error_fields(), [field], "{query}");
    }
    let ok = app
        .get("/api/v1/stats/monthly/export?month=2025-03&live=false&format=json")
        .token(&admin.access)
        .send()
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

/// The series of a `group_by=unit` answer: (key, name, received in March).
fn unit_rows(body: &Value) -> Vec<(String, String, i64)> {
    body["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|s| {
            let march = s["months"]
                .as_array()
                .and_then(|ms| ms.iter().find(|m| m["month"] == "2025-03"))
                .and_then(|m| m["received"].as_i64())
                .unwrap_or(0);
            (
                s["key"].as_str().unwrap_or_default().to_owned(),
                s["name"].as_str().unwrap_or_default().to_owned(),
                march,
            )
        })
        .collect()
}

#[tokio::test]
async fn group_by_unit_breaks_each_scope_down_one_level_below_its_top() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let city = app.admin().await;
    // A report nobody has routed yet (no rule for its category and area:
    // it waits at the city's top for a coordinator), filed in March.
    app.clock.set(at("2025-03-12T02:00:00Z"));
    let citizen = app.login("0912345678", PASSWORD).await.access;
    let categories = app
        .get("/api/v1/categories")
        .send()
        .await
        .body
        .as_array()
        .cloned()
        .expect("categories");
    let sensitive: Uuid = categories
        .iter()
        .find(|c| c["code"] == "PUBLIC_ORDER")
        .and_then(|c| c["id"].as_str())
        .and_then(|s| s.parse().ok())
        .expect("category");
    let mut body = TestApp::report_body(sensitive);
    body["area_code"] = json!("00099");
    let unrouted = id_of(&app.file(&citizen, &body).await);
    let coord = app.login("coord@hanoi.gov.vn", PASSWORD).await.access;
    let filed = app
        .get(&format!("/api/v1/reports/{unrouted}"))
        .token(&coord)
        .send()
        .await;
    assert_eq!(filed.status, 200, "{}", filed.body);
    assert_eq!(
        filed.body["unit"]["code"], "HN",
        "it waits at the city's top"
    );
    app.clock.set(at("2025-06-10T03:00:00Z"));
    let ward_coord = app
        .user_with_role(Role::Coordinator, "ward@hanoi.gov.vn", Some(w.ward))
        .await
        .access;
    let coord = app.login("coord@hanoi.gov.vn", PASSWORD).await.access;
    let get = |token: String, lang: &'static str| {
        let app = &app;
        async move {
            let r = app
                .get("/api/v1/stats/monthly?from=2025-03&to=2025-03&group_by=unit")
                .token(&token)
                .lang(lang)
                .send()
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            unit_rows(&r.body)
        }
    };
    let ward = w.ward.to_string();
    // An admin and a city coordinator: the units under the city, then the
    // reports nobody has routed yet; not one row for the whole city.
    let want = vec![
        (ward.clone(), "Phường Hoàn Kiếm".to_owned(), 2),
        ("unrouted".to_owned(), "Not yet routed".to_owned(), 1),
    ];
    assert_eq!(get(city.access.clone(), "en").await, want);
    assert_eq!(get(coord.clone(), "en").await, want);
    assert_eq!(
        get(coord.clone(), "vi").await[1],
        ("unrouted".to_owned(), "Chưa điều phối".to_owned(), 1)
    );
    // The rows add up to the scope.
    let total = app
        .get("/api/v1/stats/monthly?from=2025-03&to=2025-03")
        .token(&coord)
        .send()
        .await;
    assert_eq!(month(&total.body, 0, "2025-03")["received"], 3);
    // A ward coordinator: its ward, not an empty list, and nothing unrouted.
    assert_eq!(
        get(ward_coord.clone(), "en").await,
        vec![(ward.clone(), "Phường Hoàn Kiếm".to_owned(), 2)]
    );
    let export = app
        .get("/api/v1/stats/monthly/export?month=2025-03&format=json&group_by=unit")
        .token(&ward_coord)
        .send()
        .await;
    assert_eq!(
        unit_rows(&export.body),
        vec![(ward, "Phường Hoàn Kiếm".to_owned(), 2)]
    );
    app.assert_rollup_consistent().await;
}

#[tokio::test]
async fn a_ward_coordinators_closed_month_export_never_moves() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let admin = app.admin().await.access;
    let ward_coord = app
        .user_with_role(Role::Coordinator, "ward@hanoi.gov.vn", Some(w.ward))
        .await
        .access;
    let res = app
        .post("/api/v1/stats/months/2025-03/close")
        .token(&admin)
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let export = |group: &'static str, format: &'static str| {
        let app = &app;
        let token = ward_coord.clone();
        async move {
            let r = app
                .client
                .get(app.url(&format!(
                    "/api/v1/stats/monthly/export?month=2025-03&format={format}&group_by={group}"
                )))
                .bearer_auth(&token)
                .send()
                .await
                .expect("get");
            assert_eq!(r.status(), 200);
            assert_eq!(r.headers()["x-stats-snapshot"], "closed");
            r.bytes().await.expect("body").to_vec()
        }
    };
    let mut before = Vec::new();
    for g in ["none", "unit", "category", "area"] {
        for f in ["json", "csv"] {
            before.push(export(g, f).await);
        }
    }
    let json_before: Value = serde_json::from_slice(&before[0]).expect("json");
    assert_eq!(month(&json_before, 0, "2025-03")["handled"], 2);

    // A report of March is reopened; a new team is put under the ward.
    let coord = app.login("coord@hanoi.gov.vn", PASSWORD).await.access;
    let team = app
        .post("/api/v1/admin/units")
        .token(&admin)
        .json(&json!({"code": "HN-HOANKIEM-DO", "name": "Tổ đô thị", "kind": "other", "parent_id": w.ward}))
        .send()
        .await;
    assert_eq!(team.status, 201, "{}", team.body);
    act(
        &app,
        &coord,
        w.b1,
        json!({"action": "reopen", "reason": "Đèn lại hỏng"}),
    )
    .await;
    let live = app
        .get("/api/v1/stats/monthly?from=2025-03&to=2025-03")
        .token(&ward_coord)
        .send()
        .await;
    assert_eq!(month(&live.body, 0, "2025-03")["handled"], 1, "live moves");

    let mut after = Vec::new();
    for g in ["none", "unit", "category", "area"] {
        for f in ["json", "csv"] {
            after.push(export(g, f).await);
        }
    }
    assert!(before == after, "the ward's published figures moved");
    // Live figures stay available beside them.
    let live = app
        .get("/api/v1/stats/monthly/export?month=2025-03&format=json&live=true")
        .token(&ward_coord)
        .send()
        .await;
    assert_eq!(month(&live.body, 0, "2025-03")["handled"], 1);
    // One frozen row per grouping for every unit but the city's top (whose
    // scope is the city-wide snapshot).
    assert_eq!(
        app.count("SELECT COUNT(*) FROM stats_unit_snapshots WHERE month = 202503")
            .await,
        4
    );
    app.assert_rollup_consistent().await;
}

/// The migration that put stored whole hours in buckets and the rollup that
/// writes new ones agree on every bucket (SQL on this database, Rust).
#[tokio::test]
async fn resolution_buckets_agree_in_sql_and_rust() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn().await;
    let backend = app.db.get_database_backend();
    let sql = format!(
        "WITH RECURSIVE n(h) AS (SELECT 0 UNION ALL SELECT h + 1 FROM n WHERE h < 9000) \
         SELECT h, {} AS b FROM n",
        migrations::resolution_bucket_sql("h")
    );
    let rows = app
        .db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect("query");
    assert_eq!(rows.len(), 9001);
    for row in rows {
        let h: i32 = row.try_get("", "h").expect("h");
        let b: i32 = row.try_get("", "b").expect("b");
        assert_eq!(
            b,
            citizen_feedback::stats::rollup::resolution_bucket(i64::from(h)),
            "{h} hours"
        );
    }
}

/// Rows the histogram kept by whole hours before are summed into their
/// buckets by the migration, counts unchanged.
#[tokio::test]
async fn the_migration_puts_stored_hours_in_buckets() {
    use migrations::MigratorTrait;
    let app = TestApp::spawn().await;
    // Back to before the re-bucketing migration (and whatever came after).
    let steps = migrations::Migrator::migrations()
        .iter()
        .skip_while(|m| m.name() != "m20261124_000017_resolution_buckets")
        .count();
    assert!(steps > 0, "the re-bucketing migration is listed");
    migrations::Migrator::down(&app.db, Some(steps as u32))
        .await
        .expect("down to before it");
    let cat = Uuid::now_v7();
    for (h, n) in [(5, 1), (80, 1), (90, 2), (100, 1), (400, 3)] {
        use citizen_feedback::entities::report_stats_resolution as r;
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        r::ActiveModel {
            month: Set(202501),
            unit_id: Set(Uuid::nil()),
            category_id: Set(cat),
            area_code: Set(String::new()),
            hours: Set(h),
            count: Set(n),
        }
        .insert(&app.db)
        .await
        .expect("a row by whole hours");
    }
    migrations::Migrator::up(&app.db, None).await.expect("up");
    use sea_orm::EntityTrait;
    let rows = citizen_feedback::entities::report_stats_resolution::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    let mut got: Vec<(i32, i64)> = rows.iter().map(|r| (r.hours, r.count)).collect();
    got.sort();
    assert_eq!(got, [(5, 1), (96, 3), (120, 1), (504, 3)]);
}
