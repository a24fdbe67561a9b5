//! Filing reports, the citizen's view, the public map.

mod common;

use chrono::Duration;
use common::{TestApp, at, id_of, png};
use figment::providers::Serialized;
use serde_json::{Value, json};

#[tokio::test]
async fn a_citizen_files_a_report_with_photos() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    // Monday 2025-04-07 09:00 in Hanoi.
    app.clock.set(at("2025-04-07T02:00:00Z"));
    let s = app.register("0912345678").await;
    let m1 = id_of(
        &app.upload(&s.access, "1.png", "image/png", png(3, 3))
            .await
            .body,
    );
    let m2 = id_of(
        &app.upload(&s.access, "2.png", "image/png", png(4, 4))
            .await
            .body,
    );
    let mut body = TestApp::report_body(city.lights);
    body["media_ids"] = json!([m1, m2]);
    let r = app.file(&s.access, &body).await;

    let code = r["code"].as_str().expect("code");
    assert!(code.starts_with("PA-") && code.len() == 9, "{code}");
    assert_eq!(r["status"], "submitted");
    assert_eq!(r["priority"], "normal");
    assert_eq!(r["category"]["code"], "STREET_LIGHT");
    assert_eq!(r["category"]["name"], "Điện chiếu sáng");
    assert_eq!(
        r["unit"]["code"], "HN-HOANKIEM",
        "routed by the rule for area 00070"
    );
    assert_eq!(r["lat"], 21.028511);
    assert_eq!(r["address"], "12 Đinh Tiên Hoàng, Hoàn Kiếm");
    assert_eq!(r["media"].as_array().map(Vec::len), Some(2));
    assert_eq!(r["media"][0]["id"], m1.to_string());
    assert_eq!(r["media"][1]["url"], format!("/api/v1/media/{m2}"));
    // 8 working hours from Monday 09:00: Tuesday 09:00 (lunch not counted).
    assert_eq!(r["ack_due_at"], "2025-04-08T02:00:00Z");
    assert_eq!(r["due_at"], Value::Null);
    assert_eq!(r["overdue"], false);
    assert_eq!(r["is_public"], true);
    assert_eq!(r["is_anonymous"], false);
    assert_eq!(r["follower_count"], 0);
    assert_eq!(r["reporter"]["phone"], "+84912345678");
    assert_eq!(r["timeline"][0]["kind"], "created");
    assert_eq!(r["timeline"][0]["to_status"], "submitted");
    assert_eq!(r["timeline"][0]["by"], "reporter");

    let id = id_of(&r);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM reports WHERE received_month = 202504 AND code = '{code}'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM report_events WHERE kind = 'created'")
            .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM report_media").await, 2);
    // Search text is folded: "duong" finds "Đường".
    assert_eq!(app.count("SELECT COUNT(*) FROM reports WHERE search_text LIKE '%den duong khong sang%' AND search_text LIKE '%dinh tien hoang%'").await, 1);

    let mine = app
        .get(&format!("/api/v1/reports/{id}"))
        .token(&s.access)
        .send()
        .await;
    assert_eq!(mine.body["code"], code);
    // The same media cannot go on a second report.
    let res = app
        .post("/api/v1/reports")
        .token(&s.access)
        .json(&body)
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.error_fields(), ["media_ids[0]", "media_ids[1]"]);
}

#[tokio::test]
async fn the_month_is_the_citys_not_utcs() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    // 2025-03-31 17:30 UTC is 2025-04-01 00:30 in Hanoi.
    app.clock.set(at("2025-03-31T17:30:00Z"));
    app.file(&s.access, &TestApp::report_body(city.lights))
        .await;
    app.clock.set(at("2025-03-31T16:59:59Z"));
    app.file(&s.access, &TestApp::report_body(city.lights))
        .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reports WHERE received_month = 202504")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reports WHERE received_month = 202503")
            .await,
        1
    );
}

#[tokio::test]
async fn routing_falls_back_to_the_default_unit_then_the_root() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    // Another area: no rule, no default unit → the root, for a coordinator.
    let mut body = TestApp::report_body(city.lights);
    body["area_code"] = json!("00001");
    assert_eq!(app.file(&s.access, &body).await["unit"]["code"], "HN");
    // With a default unit, that one.
    app.patch(&format!("/api/v1/admin/categories/{}", city.lights))
        .token(&city.admin.access)
        .json(&json!({"default_unit_id": city.ward}))
        .send()
        .await;
    assert_eq!(
        app.file(&s.access, &body).await["unit"]["code"],
        "HN-HOANKIEM"
    );
    // No area at all: the default too.
    body.as_object_mut().map(|o| o.remove("area_code"));
    assert_eq!(
        app.file(&s.access, &body).await["unit"]["code"],
        "HN-HOANKIEM"
    );
}

#[tokio::test]
async fn every_field_rule_has_its_problem_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let other = app.register("0987654321").await;
    let foreign_media = id_of(
        &app.upload(&other.access, "x.png", "image/png", png(2, 2))
            .await
            .body,
    );

    let res = app
        .post("/api/v1/reports")
        .token(&s.access)
        .lang("en")
        .json(&json!({"title": " ", "description": "x".repeat(5001), "lat": 91.0, "lng": -181.0, "address": "a".repeat(501), "media_ids": (0..11).map(|_| uuid::Uuid::now_v7()).collect::<Vec<_>>()}))
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    let mut f = res.error_fields();
    f.sort();
    assert_eq!(
        f,
        [
            "address",
            "category_id",
            "description",
            "lat",
            "lng",
            "media_ids",
            "title"
        ]
    );

    let mut body = TestApp::report_body(uuid::Uuid::now_v7());
    body["media_ids"] = json!([foreign_media]);
    let res = app
        .post("/api/v1/reports")
        .token(&s.access)
        .json(&body)
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.error_fields(), ["category_id", "media_ids[0]"]);

    let mut body = TestApp::report_body(city.lights);
    body["lat"] = json!("north");
    let res = app
        .post("/api/v1/reports")
        .token(&s.access)
        .json(&body)
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.error_fields(), ["lat"]);

    // Staff do not file as citizens; anonymous callers cannot file at all.
    app.post("/api/v1/reports")
        .token(&city.admin.access)
        .json(&TestApp::report_body(city.lights))
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.post("/api/v1/reports")
        .json(&TestApp::report_body(city.lights))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM report_events").await, 0);
}

#[tokio::test]
async fn a_service_area_can_be_enforced() {
    let app = TestApp::spawn_with(|f| {
        f.merge(Serialized::default(
            "reports.service_area",
            [105.2, 20.5, 106.1, 21.4],
        ))
    })
    .await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    app.file(&s.access, &TestApp::report_body(city.lights))
        .await;
    let mut body = TestApp::report_body(city.lights);
    body["lat"] = json!(10.776);
    body["lng"] = json!(106.700);
    let res = app
        .post("/api/v1/reports")
        .token(&s.access)
        .lang("en")
        .json(&body)
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    assert_eq!(
        res.body["errors"][0]["message"],
        "The location is outside the service area."
    );
}

#[tokio::test]
async fn retries_with_an_idempotency_key_file_once() {
    // Concurrent duplicates each take a filing token before they find out
    // they are replays: leave room for them.
    let app = TestApp::spawn_filing(20).await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let m = id_of(
        &app.upload(&s.access, "1.png", "image/png", png(2, 2))
            .await
            .body,
    );
    let mut body = TestApp::report_body(city.lights);
    body["media_ids"] = json!([m]);
    let send = |key: &'static str, body: Value| {
        let app = &app;
        let token = s.access.clone();
        async move {
            app.post("/api/v1/reports")
                .token(&token)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
        }
    };
    let first = send("a3f1c2d4-retry-1", body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    // The response was lost; the phone sends it again.
    let again = send("a3f1c2d4-retry-1", body.clone()).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["code"], first.body["code"]);
    assert_eq!(again.body["media"], first.body["media"]);
    // The same key with another body is a client bug.
    let mut changed = body.clone();
    changed["title"] = json!("Khác");
    let res = send("a3f1c2d4-retry-1", changed).await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.error_fields(), ["Idempotency-Key"]);
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 1);
    // A bad key.
    let res = app
        .post("/api/v1/reports")
        .token(&s.access)
        .header("idempotency-key", &"k".repeat(129))
        .json(&body)
        .send()
        .await;
    assert_eq!(res.error_fields(), ["Idempotency-Key"]);

    // Five identical requests at once: one report.
    let plain = TestApp::report_body(city.lights);
    let results =
        futures::future::join_all((0..5).map(|_| send("concurrent-key", plain.clone()))).await;
    let ids: std::collections::HashSet<String> = results
        .iter()
        .map(|r| r.body["id"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "{:?}",
        results
            .iter()
            .map(|r| (r.status, r.body.clone()))
            .collect::<Vec<_>>()
    );
    assert!(results.iter().all(|r| r.status == 200 || r.status == 201));
    assert_eq!(results.iter().filter(|r| r.status == 201).count(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 2);
    // Keys are per user: another citizen may use the same key.
    let other = app.register("0987654321").await;
    let res = app
        .post("/api/v1/reports")
        .token(&other.access)
        .header("idempotency-key", "concurrent-key")
        .json(&plain)
        .send()
        .await;
    assert_eq!(res.status, 201);
}

#[tokio::test]
async fn filing_too_fast_gets_429() {
    let app = TestApp::spawn_filing(2).await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let body = TestApp::report_body(city.lights);
    app.file(&s.access, &body).await;
    app.file(&s.access, &body).await;
    let res = app
        .post("/api/v1/reports")
        .token(&s.access)
        .json(&body)
        .send()
        .await;
    res.assert_problem(429, "too-many-requests");
    assert!(res.header("retry-after").is_some());
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 2);
}

#[tokio::test]
async fn a_replay_is_answered_before_the_filing_throttle() {
    let app = TestApp::spawn_filing(1).await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let body = TestApp::report_body(city.lights);
    let send = || {
        app.post("/api/v1/reports")
            .token(&s.access)
            .header("idempotency-key", "retry-me-1")
            .json(&body)
            .send()
    };
    assert_eq!(send().await.status, 201);
    // The throttle is spent, yet a retry of the filed report is answered.
    for _ in 0..3 {
        let again = send().await;
        assert_eq!(again.status, 200, "{}", again.body);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 1);
}

#[tokio::test]
async fn mine_pages_newest_first() {
    let app = TestApp::spawn_filing(20).await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let other = app.register("0987654321").await;
    let mut filed = Vec::new();
    for i in 0..5 {
        app.clock.advance(Duration::minutes(1));
        let mut body = TestApp::report_body(city.lights);
        body["title"] = json!(format!("Phản ánh {i}"));
        filed.push(
            app.file(&s.access, &body).await["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    app.file(&other.access, &TestApp::report_body(city.lights))
        .await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/reports/mine?limit=2&cursor={c}"),
            None => "/api/v1/reports/mine?limit=2".to_owned(),
        };
        let page = app.get(&path).token(&s.access).send().await;
        assert_eq!(page.status, 200, "{}", page.body);
        for item in page.body["items"].as_array().expect("items") {
            assert!(item.get("timeline").is_none());
            seen.push(item["id"].as_str().expect("id").to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    filed.reverse();
    assert_eq!(seen, filed);
    let res = app
        .get("/api/v1/reports/mine?limit=0&cursor=zzz")
        .token(&s.access)
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    let mut f = res.error_fields();
    f.sort();
    assert_eq!(f, ["cursor", "limit"]);
}

#[tokio::test]
async fn private_reports_are_invisible_to_others() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let owner = app.register("0912345678").await;
    let other = app.register("0987654321").await;
    let mut body = TestApp::report_body(city.lights);
    body["is_public"] = json!(false);
    let id = id_of(&app.file(&owner.access, &body).await);
    let path = format!("/api/v1/reports/{id}");
    app.get(&path)
        .token(&other.access)
        .send()
        .await
        .assert_problem(404, "not-found");
    app.get(&path).send().await.assert_problem(404, "not-found");
    app.post(&format!("{path}/comments"))
        .token(&other.access)
        .json(&json!({"message": "hi"}))
        .send()
        .await
        .assert_problem(404, "not-found");
    app.put(&format!("{path}/follow"))
        .token(&other.access)
        .send()
        .await
        .assert_problem(404, "not-found");
    // The same answer as for an id that does not exist.
    let missing = app
        .get(&format!("/api/v1/reports/{}", uuid::Uuid::now_v7()))
        .token(&other.access)
        .send()
        .await;
    missing.assert_problem(404, "not-found");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM report_events WHERE kind = 'comment'")
            .await,
        0
    );
    // Staff in scope see it with its reporter.
    let staff = app.get(&path).token(&city.admin.access).send().await;
    assert_eq!(staff.body["reporter"]["phone"], "+84912345678");
}

#[tokio::test]
async fn the_public_map_hides_who_and_where_it_must() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let mut anon = TestApp::report_body(city.lights);
    anon["is_anonymous"] = json!(true);
    anon["title"] = json!("Ẩn danh");
    let anon_id = id_of(&app.file(&s.access, &anon).await);
    let mut sensitive = TestApp::report_body(city.sensitive);
    sensitive["title"] = json!("Tụ tập gây rối");
    let sensitive_id = id_of(&app.file(&s.access, &sensitive).await);
    let mut private = TestApp::report_body(city.lights);
    private["is_public"] = json!(false);
    let private_id = id_of(&app.file(&s.access, &private).await);

    let feed = app.get("/api/v1/public/reports").send().await;
    assert_eq!(feed.status, 200, "{}", feed.body);
    let items = feed.body["items"].as_array().expect("items").clone();
    let ids: Vec<String> = items
        .iter()
        .map(|i| i["id"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(
        !ids.contains(&private_id.to_string()),
        "private reports never appear"
    );
    assert_eq!(ids.len(), 2);
    let text = feed.body.to_string();
    assert!(
        !text.contains("0912345678") && !text.contains("+84912345678"),
        "no reporter in the feed"
    );
    assert!(items.iter().all(|i| i.get("reporter").is_none()));
    let s_item = items
        .iter()
        .find(|i| i["id"] == sensitive_id.to_string())
        .expect("sensitive listed");
    assert_eq!(
        (s_item["lat"].as_f64(), s_item["lng"].as_f64()),
        (Some(21.0275), Some(105.8525))
    );
    assert_eq!(s_item["address"], Value::Null);
    let a_item = items
        .iter()
        .find(|i| i["id"] == anon_id.to_string())
        .expect("anonymous listed");
    assert_eq!(a_item["lat"], 21.028511, "non-sensitive: the exact point");
    assert_eq!(a_item["is_anonymous"], true);

    // The single public view is just as careful.
    let one = app
        .get(&format!("/api/v1/reports/{sensitive_id}"))
        .send()
        .await;
    assert_eq!(one.body["lat"], 21.0275);
    assert!(one.body.get("reporter").is_none());
    // The owner sees the exact point.
    let own = app
        .get(&format!("/api/v1/reports/{sensitive_id}"))
        .token(&s.access)
        .send()
        .await;
    assert_eq!(own.body["lat"], 21.028511);

    // A box around the exact point but not the coarse one finds nothing sensitive.
    let tiny = "105.8541,21.0284,105.8542,21.0286";
    let res = app
        .get(&format!("/api/v1/public/reports?bbox={tiny}"))
        .send()
        .await;
    let ids: Vec<&str> = res.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(ids, [anon_id.to_string().as_str()]);
    let res = app
        .get("/api/v1/public/reports?bbox=105.85,21.02,105.86,21.03&category=PUBLIC_ORDER")
        .send()
        .await;
    assert_eq!(res.body["items"].as_array().map(Vec::len), Some(1));
    let res = app
        .get("/api/v1/public/reports?status=resolved,closed")
        .send()
        .await;
    assert_eq!(res.body["items"].as_array().map(Vec::len), Some(0));
    let since = (app.clock.now() + Duration::seconds(1)).to_rfc3339();
    let res = app
        .get(&format!(
            "/api/v1/public/reports?since={}",
            since.replace('+', "%2B")
        ))
        .send()
        .await;
    assert_eq!(
        res.body["items"].as_array().map(Vec::len),
        Some(0),
        "{}",
        res.body
    );
    let res = app
        .get("/api/v1/public/reports?bbox=1,2,3&status=open&since=yesterday")
        .lang("en")
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    let mut f = res.error_fields();
    f.sort();
    assert_eq!(f, ["bbox", "since", "status"]);
}

#[tokio::test]
async fn comments_and_follows() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let owner = app.register("0912345678").await;
    let neighbour = app.register("0987654321").await;
    let id = id_of(
        &app.file(&owner.access, &TestApp::report_body(city.lights))
            .await,
    );
    let path = format!("/api/v1/reports/{id}");

    let c = app
        .post(&format!("{path}/comments"))
        .token(&owner.access)
        .json(&json!({"message": "Tối nay vẫn tối om."}))
        .send()
        .await;
    assert_eq!(c.status, 201, "{}", c.body);
    assert_eq!(c.body["kind"], "comment");
    assert_eq!(c.body["by"], "reporter");
    let staff = app
        .post(&format!("{path}/comments"))
        .token(&city.admin.access)
        .json(&json!({"message": "Đã ghi nhận."}))
        .send()
        .await;
    assert_eq!(staff.body["by"], "staff");
    // A neighbour may see the public report but not comment on it.
    app.post(&format!("{path}/comments"))
        .token(&neighbour.access)
        .json(&json!({"message": "me too"}))
        .send()
        .await
        .assert_problem(404, "not-found");
    app.post(&format!("{path}/comments"))
        .token(&owner.access)
        .json(&json!({"message": ""}))
        .send()
        .await
        .assert_problem(422, "validation-error");
    let own = app.get(&path).token(&owner.access).send().await;
    let kinds: Vec<&str> = own.body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["created", "comment", "comment"]);
    let public = app.get(&path).send().await;
    let kinds: Vec<&str> = public.body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["created"],
        "comments stay between the citizen and staff"
    );

    // "Me too".
    let f = app
        .put(&format!("{path}/follow"))
        .token(&neighbour.access)
        .send()
        .await;
    assert_eq!(f.status, 200, "{}", f.body);
    assert_eq!(f.body, json!({"following": true, "follower_count": 1}));
    let f = app
        .put(&format!("{path}/follow"))
        .token(&neighbour.access)
        .send()
        .await;
    assert_eq!(f.body["follower_count"], 1, "following twice counts once");
    assert_eq!(app.get(&path).send().await.body["follower_count"], 1);
    app.put(&format!("{path}/follow"))
        .token(&owner.access)
        .send()
        .await
        .assert_problem(409, "conflict");
    app.put(&format!("{path}/follow"))
        .token(&city.admin.access)
        .send()
        .await
        .assert_problem(403, "forbidden");
    let f = app
        .delete(&format!("{path}/follow"))
        .token(&neighbour.access)
        .send()
        .await;
    assert_eq!(f.body, json!({"following": false, "follower_count": 0}));
    let f = app
        .delete(&format!("{path}/follow"))
        .token(&neighbour.access)
        .send()
        .await;
    assert_eq!(f.body["follower_count"], 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM report_followers").await, 0);
}

#[tokio::test]
async fn rating_closes_or_lets_the_citizen_reopen() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let owner = app.register("0912345678").await;
    let other = app.register("0987654321").await;
    let happy = id_of(
        &app.file(&owner.access, &TestApp::report_body(city.lights))
            .await,
    );
    let unhappy = id_of(
        &app.file(&owner.access, &TestApp::report_body(city.lights))
            .await,
    );
    let rate = |id: uuid::Uuid, token: String, body: Value| {
        let app = &app;
        async move {
            app.post(&format!("/api/v1/reports/{id}/rating"))
                .token(&token)
                .json(&body)
                .send()
                .await
        }
    };
    // Not resolved yet.
    rate(happy, owner.access.clone(), json!({"score": 5}))
        .await
        .assert_problem(409, "conflict");
    // Staff accept and resolve both, through the API.
    app.mark_resolved(happy).await;
    app.mark_resolved(unhappy).await;

    rate(happy, owner.access.clone(), json!({"score": 0}))
        .await
        .assert_problem(422, "validation-error");
    rate(happy, other.access.clone(), json!({"score": 5}))
        .await
        .assert_problem(403, "forbidden");
    let r = rate(
        happy,
        owner.access.clone(),
        json!({"score": 5, "comment": "Cảm ơn!"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["rating"], 5);
    assert_eq!(r.body["status"], "closed");
    let kinds: Vec<&str> = r.body["timeline"]
        .as_array()
        .expect("t")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["created", "accepted", "resolved", "rated", "closed"]
    );
    rate(happy, owner.access.clone(), json!({"score": 4}))
        .await
        .assert_problem(409, "conflict");

    let r = rate(
        unhappy,
        owner.access.clone(),
        json!({"score": 1, "comment": "Đèn vẫn hỏng"}),
    )
    .await;
    assert_eq!(r.body["status"], "resolved");
    let reopen = |id: uuid::Uuid| {
        let app = &app;
        let token = owner.access.clone();
        async move {
            app.post(&format!("/api/v1/reports/{id}/reopen"))
                .token(&token)
                .json(&json!({"reason": "Vẫn chưa sửa"}))
                .send()
                .await
        }
    };
    reopen(happy).await.assert_problem(409, "conflict");
    let r = reopen(unhappy).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "in_progress");
    assert_eq!(r.body["rating"], Value::Null);
    assert_eq!(r.body["resolved_at"], Value::Null);
    let last = r.body["timeline"]
        .as_array()
        .and_then(|t| t.last())
        .cloned()
        .expect("event");
    assert_eq!(
        (last["kind"].as_str(), last["public_message"].as_str()),
        (Some("reopened"), Some("Vẫn chưa sửa"))
    );
    let row = app.report(unhappy).await;
    assert_eq!(
        (row.handled_at, row.handled_month, row.rating),
        (None, None, None),
        "handling starts over"
    );
    // Accept, resolve and reopen are new versions; the poor rating that left
    // the status alone is not (api.md, Conventions).
    assert_eq!(row.version, 3);
    app.assert_rollup_consistent().await;
}

/// A citizen's reopening gives the unit a new deadline (domain.md,
/// Lifecycle): the report can become overdue again, and handling it late is
/// not on time.
#[tokio::test]
async fn a_citizen_reopened_report_has_a_new_deadline() {
    let app = TestApp::spawn().await;
    // Monday 2025-11-03 09:00 in Hanoi.
    app.clock.set(at("2025-11-03T02:00:00Z"));
    let city = app.city().await;
    let owner = app.register("0912345678").await;
    let id = id_of(
        &app.file(&owner.access, &TestApp::report_body(city.lights))
            .await,
    );
    app.mark_resolved(id).await;
    let first = app.report(id).await.due_at.expect("a deadline");
    let r = app
        .post(&format!("/api/v1/reports/{id}/rating"))
        .token(&owner.access)
        .json(&json!({"score": 1}))
        .send()
        .await;
    assert_eq!(r.body["status"], "resolved", "{}", r.body);
    // Six days later, near the end of the first deadline.
    app.clock.advance(Duration::days(6));
    let now = app.clock.now();
    let owner = app.login("0912345678", common::PASSWORD).await;
    let r = app
        .post(&format!("/api/v1/reports/{id}/reopen"))
        .token(&owner.access)
        .json(&json!({"reason": "Vẫn chưa sửa"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "in_progress");
    let cal = citizen_feedback::calendar::store::load(&app.db, app.state.config.city_tz)
        .await
        .expect("calendar");
    let due = citizen_feedback::reports::deadlines::handling_deadline(&cal, now, 40, false);
    let row = app.report(id).await;
    assert_eq!(row.due_at, Some(due), "40 working hours from the reopening");
    assert!(due > now && due > first);
    app.assert_rollup_consistent().await;
    let on_time = "SELECT COALESCE(SUM(handled_on_time), 0) FROM report_stats_monthly";
    assert_eq!(app.count(on_time).await, 0, "open again: not on time");

    // Resolved again after the new deadline: handled, late.
    app.clock.set(due + Duration::hours(1));
    let admin = app.admin().await;
    let r = app
        .post(&format!("/api/v1/staff/reports/{id}/actions"))
        .token(&admin.access)
        .json(&json!({"action": "resolve", "public_message": "Đã sửa lại."}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let row = app.report(id).await;
    assert_eq!(row.status.as_str(), "resolved");
    assert!(row.handled_at.is_some_and(|h| h > due));
    app.assert_rollup_consistent().await;
    assert_eq!(app.count(on_time).await, 0);
    assert_eq!(
        app.count("SELECT COALESCE(SUM(handled), 0) FROM report_stats_monthly")
            .await,
        1
    );
}

#[tokio::test]
async fn reopening_closes_after_seven_days() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let owner = app.register("0912345678").await;
    let id = id_of(
        &app.file(&owner.access, &TestApp::report_body(city.lights))
            .await,
    );
    app.mark_resolved(id).await;
    let r = app
        .post(&format!("/api/v1/reports/{id}/rating"))
        .token(&owner.access)
        .json(&json!({"score": 2}))
        .send()
        .await;
    assert_eq!(r.body["status"], "resolved", "{}", r.body);
    app.clock.advance(Duration::days(7) + Duration::minutes(1));
    let owner = app.login("0912345678", common::PASSWORD).await;
    let res = app
        .post(&format!("/api/v1/reports/{id}/reopen"))
        .token(&owner.access)
        .json(&json!({}))
        .send()
        .await;
    res.assert_problem(409, "conflict");
}

#[tokio::test]
async fn a_category_turned_sensitive_hides_its_existing_reports() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let id = id_of(
        &app.file(&s.access, &TestApp::report_body(city.lights))
            .await,
    );
    assert_eq!(
        app.get(&format!("/api/v1/reports/{id}")).send().await.body["lat"],
        21.028511
    );
    let res = app
        .patch(&format!("/api/v1/admin/categories/{}", city.lights))
        .token(&city.admin.access)
        .json(&json!({"sensitive": true}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let public = app.get(&format!("/api/v1/reports/{id}")).send().await;
    assert_eq!(
        (public.body["lat"].as_f64(), public.body["lng"].as_f64()),
        (Some(21.0275), Some(105.8525))
    );
    let tiny = app
        .get("/api/v1/public/reports?bbox=105.8541,21.0284,105.8542,21.0286")
        .send()
        .await;
    assert_eq!(
        tiny.body["items"],
        json!([]),
        "the box filter uses the coarsened point too"
    );
    // And back.
    app.patch(&format!("/api/v1/admin/categories/{}", city.lights))
        .token(&city.admin.access)
        .json(&json!({"sensitive": false}))
        .send()
        .await;
    assert_eq!(
        app.get(&format!("/api/v1/reports/{id}")).send().await.body["lat"],
        21.028511
    );
}

/// The recompute of public points is one SQL statement; it must compute
/// exactly what filing computes in Rust, on both databases, everywhere on
/// Earth (negative coordinates, cell edges, near the poles and the date line).
#[tokio::test]
async fn the_recomputed_public_point_is_the_one_filing_computes() {
    use citizen_feedback::domain::geo::coarsen;
    let app = TestApp::spawn_filing(50).await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let points = [
        (21.028511, 105.854167),
        (-33.868820, 151.209296),
        (0.0025, -0.0025),
        (-0.000001, 0.004999),
        (89.999999, -179.999999),
        (-89.9975, 179.9975),
        (10.0, -10.005),
        (-45.123456, -120.654321),
    ];
    let mut ids = vec![];
    for (lat, lng) in points {
        let mut body = TestApp::report_body(city.lights);
        body["lat"] = json!(lat);
        body["lng"] = json!(lng);
        ids.push((id_of(&app.file(&s.access, &body).await), lat, lng));
    }
    for sensitive in [true, false] {
        let res = app
            .patch(&format!("/api/v1/admin/categories/{}", city.lights))
            .token(&city.admin.access)
            .json(&json!({ "sensitive": sensitive }))
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        for (id, lat, lng) in &ids {
            let r = app.report(*id).await;
            let want = if sensitive {
                coarsen(*lat, *lng)
            } else {
                (*lat, *lng)
            };
            assert_eq!((r.public_lat, r.public_lng), want, "({lat}, {lng})");
        }
    }
}

/// A filing racing with an admin marking its category sensitive: the
/// filing reads the category inside its own write transaction, so it waits
/// for the admin's change and coarsens the new report's public point. (Read
/// before, it saw the old flag and the report kept its exact public point,
/// missed by the recompute.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filing_racing_a_category_turned_sensitive_is_coarsened() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    // The admin's change, held open: a write transaction that has flipped the
    // flag (on SQLite it holds the write lock; on PostgreSQL the row).
    let txn = citizen_feedback::db::begin_write(&app.db)
        .await
        .expect("begin");
    let backend = app.db.get_database_backend();
    let id = city.lights.to_string();
    let id_literal = if common::is_postgres() {
        format!("'{id}'")
    } else {
        // SQLite stores UUIDs as 16-byte blobs.
        format!("X'{}'", id.replace('-', ""))
    };
    txn.execute_raw(Statement::from_string(
        backend,
        format!("UPDATE categories SET sensitive = true WHERE id = {id_literal}"),
    ))
    .await
    .expect("flag");
    let filing = {
        let req = reqwest::Client::new()
            .post(app.url("/api/v1/reports"))
            .bearer_auth(&s.access)
            .json(&TestApp::report_body(city.lights));
        tokio::spawn(async move {
            let res = req.send().await.expect("sent");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.expect("json"))
        })
    };
    // Give the filing time to reach the category (it must then wait).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    txn.commit().await.expect("commit");
    let (status, body) = filing.await.expect("join");
    assert_eq!(status, 201, "{body}");
    let public = app
        .get(&format!("/api/v1/reports/{}", id_of(&body)))
        .send()
        .await;
    assert_eq!(
        (public.body["lat"].as_f64(), public.body["lng"].as_f64()),
        (Some(21.0275), Some(105.8525)),
        "{}",
        public.body
    );
}

#[tokio::test]
async fn what_the_reporter_writes_stays_off_the_public_page() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let id = id_of(
        &app.file(&s.access, &TestApp::report_body(city.lights))
            .await,
    );
    app.mark_resolved(id).await;
    let r = app
        .post(&format!("/api/v1/reports/{id}/rating"))
        .token(&s.access)
        .json(&json!({"score": 1, "comment": "Nhà tôi số 12, gọi 0912345678"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.post(&format!("/api/v1/reports/{id}/reopen"))
        .token(&s.access)
        .json(&json!({"reason": "Chị Lan nhà bên vẫn thấy tối"}))
        .send()
        .await;
    let public = app.get(&format!("/api/v1/reports/{id}")).send().await;
    let text = public.body.to_string();
    assert!(
        !text.contains("0912345678") && !text.contains("Chị Lan"),
        "{text}"
    );
    let own = app
        .get(&format!("/api/v1/reports/{id}"))
        .token(&s.access)
        .send()
        .await;
    assert!(own.body.to_string().contains("Chị Lan"));
}

#[tokio::test]
async fn control_characters_and_formula_like_area_codes_are_refused() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let mut body = TestApp::report_body(city.lights);
    body["title"] = json!("Đèn\u{0000}hỏng");
    let res = app
        .post("/api/v1/reports")
        .token(&s.access)
        .json(&body)
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    let mut body = TestApp::report_body(city.lights);
    body["description"] = json!("bell\u{0007}");
    body["area_code"] = json!("=HYPERLINK(\"http://x\")");
    let res = app
        .post("/api/v1/reports")
        .token(&s.access)
        .json(&body)
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    let mut f = res.error_fields();
    f.sort();
    assert_eq!(f, ["area_code", "description"]);
    let res = app.get("/api/v1/public/reports?category=%00").send().await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.error_fields(), ["category"]);
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 0);
}

/// Followers hear that a report was reopened, but not the reporter's reason:
/// citizen-written text reaches only the owner and staff.
#[tokio::test]
async fn followers_are_not_told_what_the_reporter_wrote() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let owner = app.register("0912345678").await;
    let follower = app.register("0987654321").await;
    let id = id_of(
        &app.file(&owner.access, &TestApp::report_body(city.lights))
            .await,
    );
    let r = app
        .put(&format!("/api/v1/reports/{id}/follow"))
        .token(&follower.access)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.mark_resolved(id).await;
    let rated = app
        .post(&format!("/api/v1/reports/{id}/rating"))
        .token(&owner.access)
        .json(&json!({"score": 1}))
        .send()
        .await;
    assert_eq!(rated.status, 200, "{}", rated.body);
    let reopened = app
        .post(&format!("/api/v1/reports/{id}/reopen"))
        .token(&owner.access)
        .json(&json!({"reason": "Nhà tôi số 12 vẫn tối"}))
        .send()
        .await;
    assert_eq!(reopened.status, 200, "{}", reopened.body);

    let inbox = app
        .get("/api/v1/notifications")
        .token(&follower.access)
        .send()
        .await;
    let items = inbox.body["items"].as_array().cloned().unwrap_or_default();
    let kinds: Vec<&str> = items.iter().filter_map(|n| n["kind"].as_str()).collect();
    assert!(kinds.contains(&"reopened"), "{kinds:?}");
    assert!(kinds.contains(&"resolved"), "{kinds:?}");
    let resolved = items.iter().find(|n| n["kind"] == "resolved").cloned();
    assert_eq!(
        resolved.map(|n| n["message"].clone()),
        Some(json!("Đã xử lý xong.")),
        "what staff wrote is shown"
    );
    assert!(
        !inbox.body.to_string().contains("Nhà tôi số 12"),
        "{}",
        inbox.body
    );
}

/// `GET /reports/{id}` reads the report with its photos, timeline and
/// reporter in one statement on PostgreSQL; a list assembles the same body a
/// table at a time. Both must give every viewer the same answer.
#[tokio::test]
async fn one_report_reads_as_a_list_assembles_it() {
    use citizen_feedback::reports::scope::Access;
    use citizen_feedback::reports::view::bodies;
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let photos: Vec<_> = [(3, 3), (4, 4), (2, 5)]
        .into_iter()
        .enumerate()
        .map(|(i, (w, h))| {
            let app = &app;
            let token = s.access.clone();
            async move {
                id_of(
                    &app.upload(&token, &format!("{i}.png"), "image/png", png(w, h))
                        .await
                        .body,
                )
            }
        })
        .collect();
    let mut media = vec![];
    for p in photos {
        media.push(p.await);
    }
    // Attached in the order sent, not the order uploaded.
    media.reverse();
    let mut body = TestApp::report_body(city.lights);
    body["media_ids"] = json!(media);
    let id = id_of(&app.file(&s.access, &body).await);
    let staff = &city.admin.access;
    for step in [
        json!({"action": "accept", "internal_note": "Gọi điện lực"}),
        json!({"action": "start", "public_message": "Đang sửa."}),
    ] {
        let r = app
            .post(&format!("/api/v1/staff/reports/{id}/actions"))
            .token(staff)
            .json(&step)
            .send()
            .await;
        assert_eq!(r.status, 200, "{step}: {}", r.body);
    }
    for (token, path, text) in [
        (
            &s.access,
            format!("/api/v1/reports/{id}/comments"),
            "Cảm ơn",
        ),
        (staff, format!("/api/v1/staff/reports/{id}/notes"), "Nội bộ"),
    ] {
        let r = app
            .post(&path)
            .token(token)
            .json(&json!({"message": text}))
            .send()
            .await;
        assert_eq!(r.status, 201, "{path}: {}", r.body);
    }
    let refs = citizen_feedback::org::reference::current(&app.db)
        .await
        .expect("reference");
    for (token, access) in [
        (Some(&s.access), Access::Owner),
        (Some(staff), Access::Staff),
        (None, Access::Public),
    ] {
        let mut req = app.get(&format!("/api/v1/reports/{id}"));
        if let Some(t) = token {
            req = req.token(t);
        }
        let mut got = req.send().await;
        assert_eq!(got.status, 200, "{access:?}: {}", got.body);
        // What staff see on top of the body (tests/staff.rs).
        let fields = got.body.as_object_mut().expect("object");
        let lens = [fields.remove("allowed_actions"), fields.remove("due_soon")];
        assert_eq!(
            lens.iter().all(Option::is_some),
            access == Access::Staff,
            "{access:?}"
        );
        let want = bodies(
            &app.db,
            &refs,
            vec![(app.report(id).await, access)],
            true,
            citizen_feedback::i18n::Locale::default(),
            app.clock.now(),
        )
        .await
        .expect("bodies");
        assert_eq!(got.body, json!(want[0]), "{access:?}");
        let media_seen: Vec<Value> = got.body["media"]
            .as_array()
            .expect("media")
            .iter()
            .map(|m| m["id"].clone())
            .collect();
        assert_eq!(media_seen, json!(media).as_array().expect("ids").clone());
        assert_eq!(
            got.body["timeline"].as_array().expect("timeline").len(),
            // Notes live in the staff events; comments are not public.
            if access == Access::Public { 3 } else { 4 },
            "{access:?}: {}",
            got.body["timeline"]
        );
        assert_eq!(got.body["reporter"].is_object(), access != Access::Public);
    }
    app.get("/api/v1/reports/not-a-uuid")
        .send()
        .await
        .assert_problem(400, "bad-request");
    app.get(&format!("/api/v1/reports/{}", uuid::Uuid::now_v7()))
        .send()
        .await
        .assert_problem(404, "not-found");
}
