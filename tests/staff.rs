//! Staff triage and resolution: the lifecycle over HTTP, scope, stale
//! actions, deadlines, the queue, notes, duplicates, notifications.

mod common;

use chrono::Duration;
use citizen_feedback::auth::Role;
use common::{City, Session, TestApp, at, id_of};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

struct Staffed {
    city: City,
    other_ward: Uuid,
    root_coord: Session,
    ward_coord: Session,
    officer: Session,
    officer_id: Uuid,
    other_officer: Session,
    citizen: Session,
}

async fn staffed(app: &TestApp) -> Staffed {
    let city = app.city().await;
    let res = app
        .post("/api/v1/admin/units")
        .token(&city.admin.access)
        .json(&json!({"code": "HN-BADINH", "name": "Phường Ba Đình", "kind": "ward", "parent_id": city.root, "area_code": "00001"}))
        .send()
        .await;
    let other_ward = id_of(&res.body);
    let root_coord = app
        .user_with_role(Role::Coordinator, "coord@hanoi.gov.vn", Some(city.root))
        .await;
    let ward_coord = app
        .user_with_role(Role::Coordinator, "coord.hk@hanoi.gov.vn", Some(city.ward))
        .await;
    let officer = app
        .user_with_role(Role::Officer, "officer.hk@hanoi.gov.vn", Some(city.ward))
        .await;
    let other_officer = app
        .user_with_role(Role::Officer, "officer.bd@hanoi.gov.vn", Some(other_ward))
        .await;
    let citizen = app.register("0912345678").await;
    Staffed {
        officer_id: officer.user_id,
        city,
        other_ward,
        root_coord,
        ward_coord,
        officer,
        other_officer,
        citizen,
    }
}

/// Files the usual street-light report as `token`; its id.
async fn file_light(app: &TestApp, token: &str, lights: Uuid) -> Uuid {
    id_of(&app.file(token, &TestApp::report_body(lights)).await)
}

async fn act(app: &TestApp, token: &str, id: Uuid, body: Value) -> common::Resp {
    app.post(&format!("/api/v1/staff/reports/{id}/actions"))
        .token(token)
        .json(&body)
        .send()
        .await
}

#[tokio::test]
async fn from_filing_to_rating() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    // Monday 2025-04-07 09:00 in Hanoi.
    app.clock.set(at("2025-04-07T02:00:00Z"));
    let citizen = app.login("0912345678", common::PASSWORD).await;
    let neighbour = app.register("0987654321").await;
    let id = file_light(&app, &citizen.access, s.city.lights).await;
    app.put(&format!("/api/v1/reports/{id}/follow"))
        .token(&neighbour.access)
        .send()
        .await;
    let coord = app.login("coord.hk@hanoi.gov.vn", common::PASSWORD).await;
    let officer = app.login("officer.hk@hanoi.gov.vn", common::PASSWORD).await;

    let r = act(
        &app,
        &coord.access,
        id,
        json!({"action": "accept", "assignee_id": s.officer_id, "public_message": "Đã tiếp nhận"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "assigned");
    // 40 working hours from Monday 09:00: the next Monday 09:00.
    assert_eq!(r.body["due_at"], "2025-04-14T02:00:00Z");
    assert_eq!(r.body["overdue"], false);

    let r = act(&app, &officer.access, id, json!({"action": "start"})).await;
    assert_eq!(r.body["status"], "in_progress", "{}", r.body);
    let r = act(&app, &officer.access, id, json!({"action": "resolve"})).await;
    r.assert_problem(422, "validation-error");
    assert_eq!(r.error_fields(), ["public_message"]);
    app.clock.advance(Duration::hours(3));
    let officer = app.login("officer.hk@hanoi.gov.vn", common::PASSWORD).await;
    let citizen = app.login("0912345678", common::PASSWORD).await;
    let neighbour = app.login("0987654321", common::PASSWORD).await;
    let r = act(&app, &officer.access, id, json!({"action": "resolve", "public_message": "Đã thay bóng đèn.", "internal_note": "Bóng LED 100W, kho B"})).await;
    assert_eq!(r.body["status"], "resolved", "{}", r.body);
    let row = app.report(id).await;
    assert!(row.handled_at.is_some() && row.resolved_at.is_some());
    assert_eq!(row.handled_month, Some(202504));

    // The citizen sees the answer, and not the internal note.
    let view = app
        .get(&format!("/api/v1/reports/{id}"))
        .token(&citizen.access)
        .send()
        .await;
    let kinds: Vec<&str> = view.body["timeline"]
        .as_array()
        .expect("t")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["created", "accepted", "started", "resolved"]);
    assert_eq!(
        view.body["timeline"][3]["public_message"],
        "Đã thay bóng đèn."
    );
    assert!(!view.body.to_string().contains("kho B"));

    // Notifications: the reporter and the follower heard of each public step.
    let inbox = app
        .get("/api/v1/notifications")
        .token(&citizen.access)
        .lang("en")
        .send()
        .await;
    let kinds: Vec<&str> = inbox.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|n| n["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["resolved", "started", "accepted"]);
    assert!(
        inbox.body["items"][0]["title"]
            .as_str()
            .is_some_and(|t| t.contains("was resolved"))
    );
    assert_eq!(inbox.body["items"][0]["message"], "Đã thay bóng đèn.");
    assert!(!inbox.body.to_string().contains("kho B"));
    let theirs = app
        .get("/api/v1/notifications")
        .token(&neighbour.access)
        .send()
        .await;
    assert_eq!(theirs.body["items"].as_array().map(Vec::len), Some(3));
    let nid = inbox.body["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        app.post(&format!("/api/v1/notifications/{nid}/read"))
            .token(&citizen.access)
            .send()
            .await
            .status,
        204
    );
    app.post(&format!("/api/v1/notifications/{nid}/read"))
        .token(&neighbour.access)
        .send()
        .await
        .assert_problem(404, "not-found");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE topic = 'report.event'")
            .await,
        4,
        "one outbox row per event, filing included (the delivery worker adds push rows)"
    );

    let r = app
        .post(&format!("/api/v1/reports/{id}/rating"))
        .token(&citizen.access)
        .json(&json!({"score": 5}))
        .send()
        .await;
    assert_eq!(r.body["status"], "closed", "{}", r.body);
}

#[tokio::test]
async fn scope_hides_other_units_reports() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    let id = file_light(&app, &s.citizen.access, s.city.lights).await;
    let mut private = TestApp::report_body(s.city.lights);
    private["is_public"] = json!(false);
    let private_id = id_of(&app.file(&s.citizen.access, &private).await);

    // The officer of another ward: nothing in the queue, 404 everywhere.
    let q = app
        .get("/api/v1/staff/reports")
        .token(&s.other_officer.access)
        .send()
        .await;
    assert_eq!(q.status, 200);
    assert_eq!(q.body["items"], json!([]));
    for path in [
        format!("/api/v1/staff/reports/{id}/events"),
        format!("/api/v1/staff/reports/{id}/similar"),
    ] {
        app.get(&path)
            .token(&s.other_officer.access)
            .send()
            .await
            .assert_problem(404, "not-found");
    }
    act(
        &app,
        &s.other_officer.access,
        id,
        json!({"action": "start"}),
    )
    .await
    .assert_problem(404, "not-found");
    app.post(&format!("/api/v1/staff/reports/{id}/notes"))
        .token(&s.other_officer.access)
        .json(&json!({"message": "x"}))
        .send()
        .await
        .assert_problem(404, "not-found");
    app.get(&format!("/api/v1/reports/{private_id}"))
        .token(&s.other_officer.access)
        .send()
        .await
        .assert_problem(404, "not-found");
    // The same 404 as for a report that does not exist.
    act(
        &app,
        &s.other_officer.access,
        Uuid::now_v7(),
        json!({"action": "start"}),
    )
    .await
    .assert_problem(404, "not-found");

    // The ward's officer sees both; the root coordinator sees everything.
    let q = app
        .get("/api/v1/staff/reports")
        .token(&s.officer.access)
        .send()
        .await;
    assert_eq!(q.body["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(q.body["items"][0]["reporter"]["phone"], "+84912345678");
    let q = app
        .get("/api/v1/staff/reports")
        .token(&s.root_coord.access)
        .send()
        .await;
    assert_eq!(q.body["items"].as_array().map(Vec::len), Some(2));

    // Officers work reports; triage is for coordinators. Citizens are not staff.
    act(&app, &s.officer.access, id, json!({"action": "accept"}))
        .await
        .assert_problem(403, "forbidden");
    act(&app, &s.citizen.access, id, json!({"action": "accept"}))
        .await
        .assert_problem(403, "forbidden");
    app.get("/api/v1/staff/reports")
        .token(&s.citizen.access)
        .send()
        .await
        .assert_problem(403, "forbidden");
    // A ward coordinator cannot route out of their subtree.
    let r = act(
        &app,
        &s.ward_coord.access,
        id,
        json!({"action": "accept", "unit_id": s.other_ward}),
    )
    .await;
    r.assert_problem(422, "validation-error");
    assert_eq!(r.error_fields(), ["unit_id"]);
    // Nor assign someone from another unit.
    let r = act(
        &app,
        &s.ward_coord.access,
        id,
        json!({"action": "accept", "assignee_id": s.other_officer.user_id}),
    )
    .await;
    assert_eq!(r.error_fields(), ["assignee_id"]);
    assert_eq!(
        app.report(id).await.status.as_str(),
        "submitted",
        "nothing changed"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM report_events").await, 2);
}

#[tokio::test]
async fn two_coordinators_accepting_at_once_one_wins() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    let id = file_light(&app, &s.citizen.access, s.city.lights).await;
    let (a, b) = tokio::join!(
        act(&app, &s.root_coord.access, id, json!({"action": "accept"})),
        act(&app, &s.ward_coord.access, id, json!({"action": "accept"})),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", a.body, b.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM report_events WHERE kind = 'accepted'")
            .await,
        1
    );
    // A stale action later is 409 too.
    act(&app, &s.root_coord.access, id, json!({"action": "accept"}))
        .await
        .assert_problem(409, "conflict");
}

#[tokio::test]
async fn deadlines_extensions_and_overdue() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    // Friday 2025-04-11 16:00 in Hanoi; the admin declares Monday a holiday.
    app.clock.set(at("2025-04-11T09:00:00Z"));
    let admin = app
        .login(&app_admin_email(&app).await, common::PASSWORD)
        .await;
    let cal = app
        .get("/api/v1/admin/calendar")
        .token(&admin.access)
        .send()
        .await;
    assert_eq!(
        cal.body["week"]["mon"],
        json!([["08:00", "12:00"], ["13:30", "17:30"]])
    );
    let mut data = cal.body.clone();
    data["holidays"] = json!(["2025-04-14"]);
    let res = app
        .req(reqwest::Method::PUT, "/api/v1/admin/calendar")
        .token(&admin.access)
        .json(&data)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let mut bad = data.clone();
    bad["week"]["tue"] = json!([["13:00", "12:00"]]);
    let res = app
        .req(reqwest::Method::PUT, "/api/v1/admin/calendar")
        .token(&admin.access)
        .json(&bad)
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.error_fields(), ["week.tue[0]"]);

    let citizen = app.login("0912345678", common::PASSWORD).await;
    let coord = app.login("coord@hanoi.gov.vn", common::PASSWORD).await;
    let r = app
        .file(&citizen.access, &TestApp::report_body(s.city.lights))
        .await;
    // 8 working hours from Friday 16:00: 1.5 h Friday, Monday off, then
    // Tuesday 08:00–12:00 and 13:30–16:00.
    assert_eq!(r["ack_due_at"], "2025-04-15T09:00:00Z");
    let id = id_of(&r);
    // Urgent: a quarter of 40 hours = 10 h: Fri 1.5 h + Tue 8 h + Wed 0.5 h → Wed 08:30.
    let r = act(
        &app,
        &coord.access,
        id,
        json!({"action": "accept", "priority": "urgent"}),
    )
    .await;
    assert_eq!(r.body["priority"], "urgent", "{}", r.body);
    assert_eq!(r.body["due_at"], "2025-04-16T01:30:00Z");

    let r = act(
        &app,
        &coord.access,
        id,
        json!({"action": "extend", "due_at": "2025-04-15T00:00:00Z"}),
    )
    .await;
    r.assert_problem(422, "validation-error");
    let mut f = r.error_fields();
    f.sort();
    assert_eq!(f, ["reason"]);
    let r = act(
        &app,
        &coord.access,
        id,
        json!({"action": "extend", "due_at": "2025-04-15T00:00:00Z", "reason": "Chờ vật tư"}),
    )
    .await;
    r.assert_problem(422, "validation-error");
    assert_eq!(
        r.error_fields(),
        ["due_at"],
        "earlier than the current deadline"
    );
    // Years ahead would make it never overdue: at most a year from now.
    let r = act(
        &app,
        &coord.access,
        id,
        json!({"action": "extend", "due_at": "9999-12-31T00:00:00Z", "reason": "Chờ vật tư"}),
    )
    .await;
    r.assert_problem(422, "validation-error");
    assert_eq!(r.error_fields(), ["due_at"], "{}", r.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM report_events WHERE kind = 'extended'")
            .await,
        0
    );
    let r = act(
        &app,
        &coord.access,
        id,
        json!({"action": "extend", "due_at": "2025-04-18T10:00:00Z", "reason": "Chờ vật tư"}),
    )
    .await;
    assert_eq!(r.body["due_at"], "2025-04-18T10:00:00Z", "{}", r.body);
    let events = app
        .get(&format!("/api/v1/staff/reports/{id}/events"))
        .token(&coord.access)
        .send()
        .await;
    let ext = events
        .body
        .as_array()
        .and_then(|e| e.last())
        .cloned()
        .expect("event");
    assert_eq!(ext["kind"], "extended");
    assert_eq!(ext["data"]["reason"], "Chờ vật tư");
    assert_eq!(ext["data"]["from_due_at"], "2025-04-16T01:30:00+00:00");

    app.clock.set(at("2025-04-18T10:00:01Z"));
    let coord = app.login("coord@hanoi.gov.vn", common::PASSWORD).await;
    let q = app
        .get("/api/v1/staff/reports?overdue=true")
        .token(&coord.access)
        .send()
        .await;
    assert_eq!(
        q.body["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        q.body
    );
    assert_eq!(q.body["items"][0]["overdue"], true);
}

async fn app_admin_email(app: &TestApp) -> String {
    let email = "calendar.admin@hanoi.gov.vn".to_owned();
    app.user_with_role(Role::Admin, &email, None).await;
    email
}

#[tokio::test]
async fn the_queue_filters_and_pages() {
    let app = TestApp::spawn_filing(50).await;
    let s = staffed(&app).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        app.clock.advance(Duration::minutes(1));
        let mut body = TestApp::report_body(s.city.lights);
        if i == 2 {
            body["title"] = json!("Ngập nước trên Đường Láng");
            body["area_code"] = json!("00001");
            body["lat"] = json!(21.02);
            body["lng"] = json!(105.80);
        }
        ids.push(id_of(&app.file(&s.citizen.access, &body).await));
    }
    let coord = app.login("coord@hanoi.gov.vn", common::PASSWORD).await;
    let officer = app.login("officer.hk@hanoi.gov.vn", common::PASSWORD).await;
    let t = coord.access.as_str();
    act(
        &app,
        t,
        ids[0],
        json!({"action": "accept", "assignee_id": s.officer_id}),
    )
    .await;
    act(
        &app,
        t,
        ids[1],
        json!({"action": "reject", "public_message": "Không thuộc thẩm quyền"}),
    )
    .await;
    let list = |query: &str, token: &str| {
        let app = &app;
        let path = format!("/api/v1/staff/reports?{query}");
        let token = token.to_owned();
        async move {
            let r = app.get(&path).token(&token).send().await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
            r.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(id_of)
                .collect::<Vec<Uuid>>()
        }
    };
    assert_eq!(
        list("q=duong lang", t).await,
        [ids[2]],
        "diacritics-insensitive"
    );
    assert_eq!(list("q=NGAP%20nuoc", t).await, [ids[2]]);
    assert_eq!(
        list("q=100%25", t).await,
        Vec::<Uuid>::new(),
        "a % is a character, not a wildcard"
    );
    assert_eq!(list("status=assigned", t).await, [ids[0]]);
    assert_eq!(
        list("status=assigned&status=rejected", t).await,
        [ids[1], ids[0]]
    );
    assert_eq!(list("status=submitted,rejected", t).await.len(), 5);
    assert_eq!(
        list(&format!("unit={}", s.other_ward), t).await,
        Vec::<Uuid>::new()
    );
    assert_eq!(
        list(&format!("unit={}", s.city.root), t).await.len(),
        6,
        "a unit with its subtree"
    );
    assert_eq!(list("assignee=me", &officer.access).await, [ids[0]]);
    assert_eq!(list("assignee=me", t).await, Vec::<Uuid>::new());
    assert_eq!(
        list(&format!("assignee={}", s.officer_id), t).await,
        [ids[0]]
    );
    assert_eq!(list("bbox=105.79,21.01,105.81,21.03", t).await, [ids[2]]);
    assert_eq!(
        list("category=STREET_LIGHT&sort=created_at&limit=2", t).await,
        [ids[0], ids[1]]
    );
    assert_eq!(
        list("sort=due_at&limit=1", t).await,
        [ids[0]],
        "the only one with a deadline first"
    );
    let now = app.clock.now();
    let from = (now - Duration::seconds(90))
        .to_rfc3339()
        .replace('+', "%2B");
    assert_eq!(list(&format!("from={from}"), t).await, [ids[5], ids[4]]);
    let res = app.get("/api/v1/staff/reports?status=open&sort=rank&overdue=maybe&limit=500&from=yesterday&assignee=bob").token(t).send().await;
    res.assert_problem(422, "validation-error");
    let mut f = res.error_fields();
    f.sort();
    assert_eq!(
        f,
        ["assignee", "from", "limit", "overdue", "sort", "status"]
    );

    // Pages stay right while reports change: new reports and actions between
    // pages neither repeat nor skip the ones already there.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut page_no = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/staff/reports?limit=2&cursor={c}"),
            None => "/api/v1/staff/reports?limit=2".to_owned(),
        };
        let page = app.get(&path).token(t).send().await;
        seen.extend(
            page.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(id_of),
        );
        page_no += 1;
        if page_no == 1 {
            app.clock.advance(Duration::minutes(1));
            app.file(&s.citizen.access, &TestApp::report_body(s.city.lights))
                .await;
            act(&app, t, ids[3], json!({"action": "accept"})).await;
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(seen, expected);

    // A cursor continues the order it was made in: sent with another sort,
    // it is refused rather than silently read in the wrong order.
    let first = app
        .get("/api/v1/staff/reports?limit=2&sort=due_at")
        .token(t)
        .send()
        .await;
    let c = first.body["next_cursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();
    let same = app
        .get(&format!(
            "/api/v1/staff/reports?limit=2&sort=due_at&cursor={c}"
        ))
        .token(t)
        .send()
        .await;
    assert_eq!(same.status, 200, "{}", same.body);
    for other in ["", "&sort=created_at", "&sort=-created_at"] {
        let res = app
            .get(&format!("/api/v1/staff/reports?limit=2&cursor={c}{other}"))
            .token(t)
            .send()
            .await;
        res.assert_problem(422, "validation-error");
        assert_eq!(res.error_fields(), ["cursor"], "{other}");
    }
}

#[tokio::test]
async fn internal_notes_never_reach_citizens() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    let id = file_light(&app, &s.citizen.access, s.city.lights).await;
    let secret = "Người phản ánh là hàng xóm của chủ thầu";
    let n = app
        .post(&format!("/api/v1/staff/reports/{id}/notes"))
        .token(&s.officer.access)
        .json(&json!({"message": secret}))
        .send()
        .await;
    assert_eq!(n.status, 201, "{}", n.body);
    assert_eq!(n.body["kind"], "note");
    act(
        &app,
        &s.ward_coord.access,
        id,
        json!({"action": "accept", "internal_note": secret}),
    )
    .await;
    let staff_view = app
        .get(&format!("/api/v1/staff/reports/{id}/events"))
        .token(&s.officer.access)
        .send()
        .await;
    assert!(staff_view.body.to_string().contains(secret));
    for (token, path) in [
        (Some(&s.citizen.access), format!("/api/v1/reports/{id}")),
        (None, format!("/api/v1/reports/{id}")),
        (None, "/api/v1/public/reports".to_owned()),
        (Some(&s.citizen.access), "/api/v1/reports/mine".to_owned()),
        (Some(&s.citizen.access), "/api/v1/notifications".to_owned()),
        (Some(&s.citizen.access), "/api/v1/me/export".to_owned()),
    ] {
        let mut req = app.get(&path);
        if let Some(t) = token {
            req = req.token(t);
        }
        let res = req.send().await;
        assert_eq!(res.status, 200, "{path}");
        assert!(
            !res.body.to_string().contains(secret),
            "{path} leaks the note"
        );
    }
    let citizen_view = app
        .get(&format!("/api/v1/reports/{id}"))
        .token(&s.citizen.access)
        .send()
        .await;
    assert!(
        citizen_view.body["timeline"]
            .as_array()
            .expect("t")
            .iter()
            .all(|e| e["kind"] != "note")
    );
    app.get(&format!("/api/v1/staff/reports/{id}/events"))
        .token(&s.citizen.access)
        .send()
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn duplicates_merge_followers_and_similar_finds_them() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    let neighbour = app.register("0987654321").await;
    let third = app.register("0977777777").await;
    let original = file_light(&app, &s.citizen.access, s.city.lights).await;
    let mut near = TestApp::report_body(s.city.lights);
    near["lat"] = json!(21.0290);
    let dup = id_of(&app.file(&neighbour.access, &near).await);
    let mut far = TestApp::report_body(s.city.lights);
    far["lat"] = json!(21.10);
    app.file(&neighbour.access, &far).await;
    app.put(&format!("/api/v1/reports/{dup}/follow"))
        .token(&third.access)
        .send()
        .await;

    let similar = app
        .get(&format!("/api/v1/staff/reports/{original}/similar"))
        .token(&s.ward_coord.access)
        .send()
        .await;
    let found: Vec<Uuid> = similar
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(found, [dup]);

    let r = act(
        &app,
        &s.ward_coord.access,
        dup,
        json!({"action": "mark_duplicate", "duplicate_of": dup}),
    )
    .await;
    r.assert_problem(422, "validation-error");
    let r = act(&app, &s.ward_coord.access, dup, json!({"action": "mark_duplicate", "duplicate_of": original, "public_message": "Trùng với phản ánh đã có"})).await;
    assert_eq!(r.body["status"], "duplicate", "{}", r.body);
    assert_eq!(r.body["follower_count"], 0);
    let orig = app.get(&format!("/api/v1/reports/{original}")).send().await;
    assert_eq!(
        orig.body["follower_count"], 2,
        "the duplicate's follower and its reporter now follow the original"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM report_followers").await, 2);
    // Merged reports cannot move any more.
    act(&app, &s.ward_coord.access, dup, json!({"action": "accept"}))
        .await
        .assert_problem(409, "conflict");
}

#[tokio::test]
async fn recategorize_routes_again() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    let id = file_light(&app, &s.citizen.access, s.city.lights).await;
    let r = act(
        &app,
        &s.root_coord.access,
        id,
        json!({"action": "recategorize", "category_id": s.city.sensitive}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["category"]["code"], "PUBLIC_ORDER");
    assert_eq!(
        r.body["unit"]["code"], "HN",
        "no rule for the new category: back to the root"
    );
    assert_eq!(r.body["status"], "submitted");
    // The public now sees the coarsened point.
    let public = app.get(&format!("/api/v1/reports/{id}")).send().await;
    assert_eq!(public.body["lat"], 21.0275);
    let r = act(
        &app,
        &s.root_coord.access,
        id,
        json!({"action": "recategorize", "category_id": Uuid::now_v7()}),
    )
    .await;
    assert_eq!(r.error_fields(), ["category_id"]);
}

#[tokio::test]
async fn resolved_reports_close_by_themselves_after_seven_days() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    let id = file_light(&app, &s.citizen.access, s.city.lights).await;
    act(&app, &s.ward_coord.access, id, json!({"action": "accept"})).await;
    act(
        &app,
        &s.officer.access,
        id,
        json!({"action": "resolve", "public_message": "Xong"}),
    )
    .await;
    app.clock.advance(Duration::days(6));
    assert_eq!(
        citizen_feedback::reports::staff::auto_close(app.state.ctx())
            .await
            .expect("run"),
        0
    );
    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    // Two instances running the task at once close it once.
    let (a, b) = tokio::join!(
        citizen_feedback::reports::staff::auto_close(app.state.ctx()),
        citizen_feedback::reports::staff::auto_close(app.state.ctx())
    );
    assert_eq!(a.expect("a") + b.expect("b"), 1);
    assert_eq!(app.report(id).await.status.as_str(), "closed");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM report_events WHERE kind = 'closed'")
            .await,
        1
    );
    // The whole table over HTTP is covered by the unit test; here: reopen.
    let coord = app.login("coord.hk@hanoi.gov.vn", common::PASSWORD).await;
    let r = act(
        &app,
        &coord.access,
        id,
        json!({"action": "reopen", "reason": "Người dân báo đèn lại hỏng"}),
    )
    .await;
    assert_eq!(r.body["status"], "in_progress", "{}", r.body);
    let row = app.report(id).await;
    assert_eq!((row.handled_at, row.closed_at), (None, None));
    app.assert_rollup_consistent().await;
    assert_eq!(
        app.count("SELECT SUM(handled) FROM report_stats_monthly")
            .await,
        0
    );
}

#[tokio::test]
async fn followers_never_move_to_a_private_original_and_staff_replies_notify() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    let neighbour = app.register("0987654321").await;
    let mut private = TestApp::report_body(s.city.lights);
    private["is_public"] = json!(false);
    let original = id_of(&app.file(&s.citizen.access, &private).await);
    let dup = file_light(&app, &neighbour.access, s.city.lights).await;
    let r = act(
        &app,
        &s.ward_coord.access,
        dup,
        json!({"action": "mark_duplicate", "duplicate_of": original}),
    )
    .await;
    assert_eq!(r.body["status"], "duplicate", "{}", r.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM report_followers").await,
        0,
        "the neighbour may not see the original"
    );
    assert_eq!(
        app.get(&format!("/api/v1/reports/{original}"))
            .token(&neighbour.access)
            .send()
            .await
            .status,
        404
    );

    // A staff reply in the comments reaches the reporter's inbox.
    app.post(&format!("/api/v1/reports/{original}/comments"))
        .token(&s.officer.access)
        .json(&json!({"message": "Chúng tôi sẽ kiểm tra"}))
        .send()
        .await;
    let inbox = app
        .get("/api/v1/notifications")
        .token(&s.citizen.access)
        .send()
        .await;
    assert_eq!(inbox.body["items"][0]["kind"], "comment", "{}", inbox.body);
    assert_eq!(inbox.body["items"][0]["message"], "Chúng tôi sẽ kiểm tra");
}

#[tokio::test]
async fn only_the_city_centre_is_the_root() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    // An admin adds a second unit without a parent (a department kept apart).
    let res = app
        .post("/api/v1/admin/units")
        .token(&s.city.admin.access)
        .json(&json!({"code": "OTHER", "name": "Đơn vị độc lập", "kind": "other"}))
        .send()
        .await;
    let other_root = id_of(&res.body);
    let stray = app
        .user_with_role(Role::Coordinator, "stray@hanoi.gov.vn", Some(other_root))
        .await;
    // A report at the real root (no rule for this area): the city coordinator
    // sees it, the coordinator of the other parentless unit does not.
    let mut body = TestApp::report_body(s.city.lights);
    body["area_code"] = json!("99999");
    let id = id_of(&app.file(&s.citizen.access, &body).await);
    let q = app
        .get("/api/v1/staff/reports")
        .token(&stray.access)
        .send()
        .await;
    assert_eq!(q.body["items"], json!([]));
    act(&app, &stray.access, id, json!({"action": "accept"}))
        .await
        .assert_problem(404, "not-found");
    let q = app
        .get("/api/v1/staff/reports")
        .token(&s.root_coord.access)
        .send()
        .await;
    assert_eq!(q.body["items"].as_array().map(Vec::len), Some(1));
}

/// Two changes decided from the same read of a report: the second finds the
/// report at a newer version and is refused, with nothing of it written (no
/// event, no rollup delta). Deterministic: the writes run one after the
/// other. Both are `extend`s at the same frozen instant, so status and
/// `updated_at` are the same before and after the first: only the version
/// tells the second write that it is stale.
#[tokio::test]
async fn a_change_decided_from_a_stale_read_is_refused() {
    use citizen_feedback::calendar::WorkCalendar;
    use citizen_feedback::db::begin_write;
    use citizen_feedback::domain::{EventKind, Status};
    use citizen_feedback::error::AppError;
    use citizen_feedback::messages::Msg;
    use citizen_feedback::reports::effects::{self, StaffInput};
    use citizen_feedback::reports::lifecycle::Action;
    use citizen_feedback::reports::store::{NewEvent, write_change};

    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    let id = file_light(&app, &s.citizen.access, s.city.lights).await;
    app.clock.advance(Duration::minutes(5));
    let accepted = act(&app, &s.ward_coord.access, id, json!({"action": "accept"})).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    // The clock stands still from here: every write below has the same
    // `updated_at` as the accept.
    let before = app.report(id).await;
    assert_eq!((before.status, before.version), (Status::Assigned, 1));
    let tz = app.state.config.city_tz;
    let cal = WorkCalendar::standard(tz);
    let now = app.clock.now();
    assert_eq!(before.updated_at, now);
    let extend = |days: i64| {
        let mut after = before.clone();
        let input = StaffInput {
            actor: s.ward_coord.user_id,
            due_at: before.due_at.map(|d| d + Duration::days(days)),
            ..StaffInput::default()
        };
        effects::staff_action(
            &mut after,
            Action::Extend,
            Status::Assigned,
            &input,
            &cal,
            now,
            tz,
        );
        let event = NewEvent::transition(
            EventKind::Extended,
            Some(s.ward_coord.user_id),
            Status::Assigned,
            Status::Assigned,
        );
        (effects::as_update(&before, &after), event)
    };

    let (first, event) = extend(1);
    let txn = begin_write(&app.db).await.expect("begin");
    let (written, _) = write_change(&txn, tz, &before, first, vec![event], now)
        .await
        .expect("the first change applies");
    txn.commit().await.expect("commit");
    assert_eq!(
        (written.status, written.updated_at, written.version),
        (before.status, before.updated_at, 2),
        "only the version moved"
    );

    let (second, event) = extend(2);
    let txn = begin_write(&app.db).await.expect("begin");
    let second = write_change(&txn, tz, &before, second, vec![event], now).await;
    assert!(
        matches!(
            second,
            Err(AppError::Conflict(Msg::ReportChanged {
                current_version: 2
            }))
        ),
        "the same `before` twice, told the version it is at: {second:?}"
    );
    txn.rollback().await.expect("rollback");

    let row = app.report(id).await;
    assert_eq!(row.version, 2);
    assert_eq!(row.due_at, before.due_at.map(|d| d + Duration::days(1)));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM report_events WHERE kind = 'extended'")
            .await,
        1,
        "no event for the refused change"
    );
    app.assert_rollup_consistent().await;
}

fn act_if<'a>(
    app: &'a TestApp,
    token: &str,
    id: Uuid,
    if_match: &str,
    body: Value,
) -> common::Req<'a> {
    app.post(&format!("/api/v1/staff/reports/{id}/actions"))
        .token(token)
        .header("If-Match", if_match)
        .json(&body)
}

/// The version a single-report answer carries, in its `ETag` and its body
/// (they agree).
#[track_caller]
fn version_of(r: &common::Resp) -> i64 {
    let v = r.body["version"].as_i64().expect("a version in the body");
    assert_eq!(
        r.header("etag"),
        Some(format!("\"{v}\"").as_str()),
        "{}",
        r.body
    );
    v
}

/// A console that loaded version n while another coordinator acted (n+1):
/// its `assign` or `extend` sent with `If-Match: "n"` or `expected_version: n`
/// is a 409 naming the current version, and nothing of it is written; sent
/// with the current version (or `*`) it applies.
#[tokio::test]
async fn a_stale_console_is_told_the_current_version_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    let id = file_light(&app, &s.citizen.access, s.city.lights).await;
    let accepted = act(&app, &s.ward_coord.access, id, json!({"action": "accept"})).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(version_of(&accepted), 1);

    // The first console loads the report at version 1.
    let loaded = app
        .get(&format!("/api/v1/reports/{id}"))
        .token(&s.root_coord.access)
        .send()
        .await;
    assert_eq!(loaded.status, 200, "{}", loaded.body);
    let n = version_of(&loaded);
    assert_eq!(n, 1);
    // The citizen's view carries the same version.
    let mine = app
        .get(&format!("/api/v1/reports/{id}"))
        .token(&s.citizen.access)
        .send()
        .await;
    assert_eq!(version_of(&mine), n);

    // Another coordinator extends the deadline: n + 1.
    let due = app.report(id).await.due_at.expect("a deadline");
    let later = |days: i64| (due + Duration::days(days)).to_rfc3339();
    let other = act(
        &app,
        &s.ward_coord.access,
        id,
        json!({"action": "extend", "due_at": later(1), "reason": "Chờ vật tư"}),
    )
    .await;
    assert_eq!(other.status, 200, "{}", other.body);
    assert_eq!(version_of(&other), n + 1);
    let row_before = app.report(id).await;
    let events_before = app.count("SELECT COUNT(*) FROM report_events").await;
    let unchanged = async |app: &TestApp| {
        assert_eq!(app.report(id).await, row_before, "nothing written");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM report_events").await,
            events_before,
            "no event"
        );
    };

    // The stale console assigns with If-Match "n"...
    let r = act_if(
        &app,
        &s.root_coord.access,
        id,
        &format!("\"{n}\""),
        json!({"action": "assign", "assignee_id": s.officer_id}),
    )
    .lang("en")
    .send()
    .await;
    r.assert_problem(409, "conflict");
    assert_eq!(r.body["current_version"], n + 1, "{}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("reload")),
        "{}",
        r.body
    );
    unchanged(&app).await;
    // ...or extends with expected_version n, or a weak tag: the same.
    let r = act(
        &app,
        &s.root_coord.access,
        id,
        json!({"action": "extend", "due_at": later(2), "reason": "Chờ", "expected_version": n}),
    )
    .await;
    r.assert_problem(409, "conflict");
    assert_eq!(r.body["current_version"], n + 1, "{}", r.body);
    let r = act_if(
        &app,
        &s.root_coord.access,
        id,
        &format!("W/\"{n}\""),
        json!({"action": "extend", "due_at": later(2), "reason": "Chờ"}),
    )
    .send()
    .await;
    r.assert_problem(409, "conflict");
    assert_eq!(r.body["current_version"], n + 1, "{}", r.body);
    // An action the status no longer allows, from a stale console: told it
    // is stale first.
    let r = act_if(
        &app,
        &s.root_coord.access,
        id,
        "\"0\"",
        json!({"action": "accept"}),
    )
    .send()
    .await;
    r.assert_problem(409, "conflict");
    assert_eq!(r.body["current_version"], n + 1, "{}", r.body);
    unchanged(&app).await;

    // Malformed If-Match: a 422 naming the header; If-Match and
    // expected_version that disagree: a 422 naming the field.
    for bad in ["1", "\"one\"", "\"1\", \"2\"", "W/1"] {
        let r = act_if(
            &app,
            &s.root_coord.access,
            id,
            bad,
            json!({"action": "assign", "assignee_id": s.officer_id}),
        )
        .send()
        .await;
        r.assert_problem(422, "validation-error");
        assert_eq!(r.error_fields(), ["If-Match"], "{bad}: {}", r.body);
    }
    let r = act_if(
        &app,
        &s.root_coord.access,
        id,
        &format!("\"{}\"", n + 1),
        json!({"action": "assign", "assignee_id": s.officer_id, "expected_version": n}),
    )
    .send()
    .await;
    r.assert_problem(422, "validation-error");
    assert_eq!(r.error_fields(), ["expected_version"]);
    unchanged(&app).await;

    // Reloaded: the current version applies, and the answer carries the next.
    let r = act_if(
        &app,
        &s.root_coord.access,
        id,
        &format!("\"{}\"", n + 1),
        json!({"action": "assign", "assignee_id": s.officer_id, "expected_version": n + 1}),
    )
    .send()
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(version_of(&r), n + 2);
    assert_eq!(app.report(id).await.assignee_id, Some(s.officer_id));
    // expected_version alone, and `*` (any version), apply too.
    let r = act(
        &app,
        &s.root_coord.access,
        id,
        json!({"action": "extend", "due_at": later(2), "reason": "Chờ", "expected_version": n + 2}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(version_of(&r), n + 3);
    let r = act_if(
        &app,
        &s.root_coord.access,
        id,
        "*",
        json!({"action": "extend", "due_at": later(3), "reason": "Chờ"}),
    )
    .send()
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(version_of(&r), n + 4);
    let view = app
        .get(&format!("/api/v1/reports/{id}"))
        .token(&s.root_coord.access)
        .send()
        .await;
    assert_eq!(version_of(&view), n + 4);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM report_events WHERE kind = 'extended'")
            .await,
        3
    );
    app.assert_rollup_consistent().await;
}

/// Who may touch the report is decided before the body is read: a staff
/// member out of scope gets 404 for a bad body as for a good one (nothing
/// about the report leaks through validation), and nothing changes.
#[tokio::test]
async fn out_of_scope_is_404_before_the_body_is_judged() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    let id = file_light(&app, &s.citizen.access, s.city.lights).await;
    // Resolve without its public message: 422 for someone in scope...
    let bad = json!({"action": "resolve"});
    let r = act(&app, &s.ward_coord.access, id, bad.clone()).await;
    r.assert_problem(422, "validation-error");
    assert_eq!(r.error_fields(), ["public_message"]);
    // ...404 for the officer of another ward, as for an unknown id.
    act(&app, &s.other_officer.access, id, bad.clone())
        .await
        .assert_problem(404, "not-found");
    act(&app, &s.other_officer.access, Uuid::now_v7(), bad)
        .await
        .assert_problem(404, "not-found");
    let note = app
        .post(&format!("/api/v1/staff/reports/{id}/notes"))
        .token(&s.other_officer.access)
        .json(&json!({}))
        .send()
        .await;
    note.assert_problem(404, "not-found");
    let row = app.report(id).await;
    assert_eq!((row.status.as_str(), row.version), ("submitted", 0));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM report_events").await,
        1,
        "only `created`"
    );
}

/// Staff hear of work coming to them: the coordinators of the unit a new
/// report is routed to, and of a unit a report is moved to; an officer of an
/// assignment to them. Nobody else on the staff side hears of it, and the
/// citizen hears only of what is done for them.
#[tokio::test]
async fn staff_hear_of_work_routed_and_assigned_to_them() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    let other_coord = app
        .user_with_role(
            Role::Coordinator,
            "coord.bd@hanoi.gov.vn",
            Some(s.other_ward),
        )
        .await;
    let inbox = |token: String| {
        let app = &app;
        async move {
            let r = app
                .get("/api/v1/notifications")
                .token(&token)
                .lang("en")
                .send()
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.body["items"].as_array().cloned().unwrap_or_default()
        }
    };
    let kinds = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .filter_map(|n| n["kind"].as_str().map(str::to_owned))
            .collect()
    };

    // Filed in Hoàn Kiếm: routed to the ward, whose coordinator hears of it.
    let id = file_light(&app, &s.citizen.access, s.city.lights).await;
    let ward = inbox(s.ward_coord.access.clone()).await;
    assert_eq!(kinds(&ward), ["created"]);
    assert_eq!(ward[0]["report_id"], json!(id));
    assert!(
        ward[0]["title"]
            .as_str()
            .is_some_and(|t| t.contains("was filed")),
        "{}",
        ward[0]
    );
    for other in [&s.root_coord, &other_coord, &s.officer] {
        assert!(inbox(other.access.clone()).await.is_empty());
    }
    assert!(inbox(s.citizen.access.clone()).await.is_empty());

    // The coordinator assigns it to the officer: the officer hears of it, the
    // coordinator (who acted) does not hear of their own action.
    let r = act(
        &app,
        &s.ward_coord.access,
        id,
        json!({"action": "accept", "assignee_id": s.officer_id}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(kinds(&inbox(s.officer.access.clone()).await), ["accepted"]);
    assert_eq!(
        kinds(&inbox(s.ward_coord.access.clone()).await),
        ["created"]
    );

    // The root coordinator moves it to the other ward: that ward's
    // coordinator hears of it; the officer of the first ward does not again.
    let r = act(
        &app,
        &s.root_coord.access,
        id,
        json!({"action": "assign", "unit_id": s.other_ward}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        kinds(&inbox(other_coord.access.clone()).await),
        ["assigned"]
    );
    assert_eq!(kinds(&inbox(s.officer.access.clone()).await), ["accepted"]);
    // The citizen heard of the acceptance and the move, nothing else.
    assert_eq!(
        kinds(&inbox(s.citizen.access.clone()).await),
        ["assigned", "accepted"]
    );
}

/// Deadline reminders: the unit's coordinators hear that an acknowledgement
/// is due soon; the assignee and coordinators that a handling deadline is;
/// an overdue report goes up to the coordinators of the unit above. Each
/// once, however often the job runs; never to the citizen, never on the
/// public timeline.
#[tokio::test]
async fn deadlines_near_and_past_reach_the_right_staff_once() {
    use citizen_feedback::calendar::store;
    use citizen_feedback::reports::reminders;

    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    let run = |warn_hours: u32| {
        let app = &app;
        async move {
            let ctx = app.state.ctx();
            let cal = store::load(ctx.db, ctx.tz).await.expect("calendar");
            reminders::run(ctx, &cal, warn_hours)
                .await
                .expect("reminders")
        }
    };
    let inbox_kinds = |token: String| {
        let app = &app;
        async move {
            let r = app.get("/api/v1/notifications").token(&token).send().await;
            r.body["items"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|n| n["kind"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        }
    };
    let id = file_light(&app, &s.citizen.access, s.city.lights).await;
    // Far from every deadline: nothing.
    assert_eq!(run(0).await, 0);
    // The acknowledgement deadline within the warning window: the ward's
    // coordinator hears of it, once.
    assert_eq!(run(10_000).await, 1);
    assert_eq!(run(10_000).await, 0, "once");
    assert_eq!(
        inbox_kinds(s.ward_coord.access.clone()).await,
        ["deadline_near", "created"]
    );

    let r = act(
        &app,
        &s.ward_coord.access,
        id,
        json!({"action": "accept", "assignee_id": s.officer_id}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The handling deadline within the window: the officer and the ward's
    // coordinator hear of it, once.
    assert_eq!(run(10_000).await, 1);
    assert_eq!(run(10_000).await, 0, "once");
    assert_eq!(
        inbox_kinds(s.officer.access.clone()).await,
        ["deadline_near", "accepted"]
    );
    assert_eq!(
        inbox_kinds(s.ward_coord.access.clone()).await,
        ["deadline_near", "deadline_near", "created"]
    );

    // Past the deadline: escalated to the coordinators of the unit above the
    // ward (the city centre), once; the officer is not told again.
    let due = app.report(id).await.due_at.expect("due_at");
    app.clock
        .advance(due - app.clock.now() + Duration::minutes(1));
    let root = app.login("coord@hanoi.gov.vn", common::PASSWORD).await;
    let officer = app.login("officer.hk@hanoi.gov.vn", common::PASSWORD).await;
    let citizen = app.login("0912345678", common::PASSWORD).await;
    assert_eq!(run(4).await, 1);
    assert_eq!(run(4).await, 0, "once");
    assert_eq!(inbox_kinds(root.access.clone()).await, ["escalated"]);
    assert_eq!(
        inbox_kinds(officer.access.clone()).await,
        ["deadline_near", "accepted"]
    );

    // The citizen heard of the acceptance only; the reminders are staff-side.
    assert_eq!(inbox_kinds(citizen.access.clone()).await, ["accepted"]);
    let public = app
        .get(&format!("/api/v1/reports/{id}"))
        .token(&citizen.access)
        .send()
        .await;
    let kinds: Vec<&str> = public.body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["created", "accepted"]);
    let staff = app
        .get(&format!("/api/v1/staff/reports/{id}/events"))
        .token(&root.access)
        .send()
        .await;
    let kinds: Vec<&str> = staff
        .body
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "deadline_near",
            "accepted",
            "deadline_near",
            "escalated"
        ]
    );
    app.assert_rollup_consistent().await;
}

/// Two coordinators marking two reports duplicates of each other at once:
/// one original stays (both reports locked in one order; the second sees
/// the first and is refused). Bounded: a few pairs, each raced once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_duplicates_at_once_leave_one_original() {
    let app = TestApp::spawn_filing(50).await;
    let s = staffed(&app).await;
    let coord = s.root_coord.access.clone();
    for _ in 0..5 {
        let a = file_light(&app, &s.citizen.access, s.city.lights).await;
        let b = file_light(&app, &s.citizen.access, s.city.lights).await;
        let mark = |id: Uuid, of: Uuid| {
            let req = reqwest::Client::new()
                .post(app.url(&format!("/api/v1/staff/reports/{id}/actions")))
                .bearer_auth(&coord)
                .json(&json!({"action": "mark_duplicate", "duplicate_of": of, "public_message": "Trùng với phản ánh khác."}));
            tokio::spawn(async move { req.send().await.expect("sent").status().as_u16() })
        };
        let (x, y) = (mark(a, b), mark(b, a));
        let statuses = [x.await.expect("join"), y.await.expect("join")];
        assert!(
            statuses.contains(&200),
            "one of them is marked: {statuses:?}"
        );
        let (ra, rb) = (app.report(a).await, app.report(b).await);
        let dups = [&ra, &rb]
            .iter()
            .filter(|r| r.status.as_str() == "duplicate")
            .count();
        assert_eq!(dups, 1, "{statuses:?}: one original stays");
    }
    app.assert_rollup_consistent().await;
}

/// Duplicates never chain: a report already a duplicate cannot be the
/// original (422 naming `duplicate_of`), and when an original is itself
/// merged into another report, its duplicates follow it there.
#[tokio::test]
async fn duplicates_always_name_an_original_that_is_not_one() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    let coord = s.root_coord.access.clone();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(file_light(&app, &s.citizen.access, s.city.lights).await);
    }
    let [a, b, c] = [ids[0], ids[1], ids[2]];
    let mark = |id: Uuid, of: Uuid| {
        act(
            &app,
            &coord,
            id,
            json!({"action": "mark_duplicate", "duplicate_of": of}),
        )
    };
    assert_eq!(mark(a, b).await.status, 200);
    // B is the original of A; C may not take A (a duplicate) as original.
    let r = mark(c, a).await;
    r.assert_problem(422, "validation-error");
    assert_eq!(r.body["errors"][0]["field"], "duplicate_of", "{}", r.body);
    assert_eq!(app.report(c).await.status.as_str(), "submitted");
    // B is merged into C: A now names C.
    assert_eq!(mark(b, c).await.status, 200);
    let (ra, rb) = (app.report(a).await, app.report(b).await);
    assert_eq!(ra.duplicate_of, Some(c), "A follows B to C");
    assert_eq!(rb.duplicate_of, Some(c));
    assert_eq!(app.report(c).await.status.as_str(), "submitted");
    // And A cannot be made the original of anything, nor C of itself.
    mark(c, c).await.assert_problem(422, "validation-error");
    app.assert_rollup_consistent().await;
}

/// A text search looks through the queue's first reports before it asks
/// the trigram index: whatever the window, common and rare words, every
/// order and every page give exactly the matching reports in the queue's
/// order, each once.
#[tokio::test]
async fn search_pages_are_the_same_whatever_the_window() {
    use citizen_feedback::reports::queue::{self, QueueFilter, Sort};
    use citizen_feedback::reports::scope::StaffScope;
    let app = TestApp::spawn_filing(100).await;
    let s = staffed(&app).await;
    for i in 0..24 {
        // Every other report a flood; two a fallen pole; some at the same
        // instant (ties on created_at are broken by id).
        if i % 3 != 0 {
            app.clock.advance(Duration::seconds(10));
        }
        let mut body = TestApp::report_body(s.city.lights);
        body["title"] = json!(match i {
            5 | 17 => "Cột điện đổ trên phố Huế",
            i if i % 2 == 0 => "Ngập nước sau mưa",
            _ => "Đèn đường không sáng",
        });
        app.file(&s.citizen.access, &body).await;
    }
    let coord = app.login("coord@hanoi.gov.vn", common::PASSWORD).await;
    let t = coord.access.as_str();
    act(
        &app,
        t,
        app.report_by_code(&all_codes(&app).await[3]).await.id,
        json!({"action": "accept", "priority": "urgent"}),
    )
    .await;
    let all = citizen_feedback::entities::reports::Entity::find()
        .all(&app.db)
        .await
        .expect("reports");
    let now = app.clock.now();
    // A tracking code (seven characters or more with a digit) goes straight
    // to the trigram index: the same answers.
    let code = all[5].code.to_lowercase();
    let code_and_word = format!("ngap {code}");
    for (q, sort) in [
        (code.as_str(), Sort::NewestFirst),
        (code_and_word.as_str(), Sort::OldestFirst),
        ("ngap 2025abc", Sort::NewestFirst),
        ("ngap", Sort::NewestFirst),
        ("ngap", Sort::OldestFirst),
        ("ngap nuoc", Sort::DueFirst),
        ("cot dien", Sort::NewestFirst),
        ("cot dien", Sort::OldestFirst),
        ("khong co", Sort::NewestFirst),
    ] {
        let mut want: Vec<&citizen_feedback::entities::reports::Model> = all
            .iter()
            .filter(|r| q.split(' ').all(|w| r.search_text.contains(w)))
            .collect();
        want.sort_by(|a, b| match sort {
            Sort::NewestFirst => (b.created_at, b.id).cmp(&(a.created_at, a.id)),
            Sort::OldestFirst => (a.created_at, a.id).cmp(&(b.created_at, b.id)),
            Sort::DueFirst => {
                (a.due_at.is_none(), a.due_at, a.id).cmp(&(b.due_at.is_none(), b.due_at, b.id))
            }
        });
        let want: Vec<Uuid> = want.iter().map(|r| r.id).collect();
        for window in [1, 3, 5, 2000] {
            let f = QueueFilter {
                q: Some(q.to_owned()),
                sort,
                search_window: Some(window),
                ..QueueFilter::default()
            };
            let mut got = Vec::new();
            let mut cursor = None;
            loop {
                let rows = queue::list(&app.db, &StaffScope::All, &f, cursor, 3, now)
                    .await
                    .expect("list");
                let more = rows.len() > 3;
                got.extend(rows.iter().take(3).map(|r| r.id));
                if !more {
                    break;
                }
                cursor = Some(queue::cursor_of(&rows[2], sort));
            }
            assert_eq!(got, want, "q={q} {sort:?} window {window}");
        }
    }
}

async fn all_codes(app: &TestApp) -> Vec<String> {
    citizen_feedback::entities::reports::Entity::find()
        .all(&app.db)
        .await
        .expect("reports")
        .into_iter()
        .map(|r| r.code)
        .collect()
}

/// A report with no unit at all (filed before there was one) is the city
/// coordinators' only: an officer or a ward coordinator acting on it gets
/// 404, as for any report outside their scope, and nothing changes.
#[tokio::test]
async fn a_report_with_no_unit_is_out_of_every_unit_scope() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    let id = file_light(&app, &s.citizen.access, s.city.lights).await;
    app.exec("UPDATE reports SET unit_id = NULL").await;
    for (who, body) in [
        (&s.officer.access, json!({"action": "start"})),
        (
            &s.officer.access,
            json!({"action": "resolve", "public_message": "Đã xử lý"}),
        ),
        (&s.ward_coord.access, json!({"action": "accept"})),
    ] {
        act(&app, who, id, body)
            .await
            .assert_problem(404, "not-found");
    }
    let r = app.report(id).await;
    assert_eq!((r.status.as_str(), r.version), ("submitted", 0));
    let r = act(&app, &s.root_coord.access, id, json!({"action": "accept"})).await;
    assert_eq!(r.status, 200, "the city's coordinator may: {}", r.body);
}

/// A backlog of reports due to close (after downtime, an import) is read a
/// page at a time: every one closes once, ties on the resolution time
/// included.
#[tokio::test]
async fn the_automatic_close_pages_through_a_backlog() {
    let app = TestApp::spawn_filing(50).await;
    let s = staffed(&app).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let id = file_light(&app, &s.citizen.access, s.city.lights).await;
        act(&app, &s.ward_coord.access, id, json!({"action": "accept"})).await;
        act(
            &app,
            &s.officer.access,
            id,
            json!({"action": "resolve", "public_message": "Xong"}),
        )
        .await;
        // Pairs resolved at the same instant.
        if i % 2 == 1 {
            app.clock.advance(Duration::seconds(30));
        }
        ids.push(id);
    }
    // The reporter rates one poorly: it stays resolved for them to reopen…
    let r = app
        .post(&format!("/api/v1/reports/{}/rating", ids[3]))
        .token(&s.citizen.access)
        .json(&json!({"score": 1}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.clock.advance(Duration::days(7) + Duration::minutes(5));
    let closed = citizen_feedback::reports::staff::auto_close_by_pages(app.state.ctx(), 2)
        .await
        .expect("run");
    // …but after seven days it closes too (the rating does not hold it).
    assert_eq!(closed, 7);
    for id in &ids {
        assert_eq!(app.report(*id).await.status.as_str(), "closed");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM report_events WHERE kind = 'closed'")
            .await,
        7
    );
    app.assert_rollup_consistent().await;
}

/// The handling deadline the server gives at `now` (its calendar, the
/// category's hours, a quarter when urgent).
async fn deadline(
    app: &TestApp,
    now: chrono::DateTime<chrono::Utc>,
    sla_hours: i32,
    urgent: bool,
) -> String {
    let cal = citizen_feedback::calendar::store::load(&app.db, app.state.config.city_tz)
        .await
        .expect("calendar");
    citizen_feedback::reports::deadlines::handling_deadline(&cal, now, sla_hours, urgent)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// domain.md, Lifecycle: a coordinator's second look at a rejection returns
/// it to `assigned` (routed again if it has no unit) with a new deadline,
/// which can pass like any other: not counted on time by default.
#[tokio::test]
async fn reopening_a_rejection_assigns_it_again_with_a_deadline_that_can_pass() {
    use citizen_feedback::entities::reports;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    // Monday 2025-11-03 09:00 in Hanoi.
    app.clock.set(at("2025-11-03T02:00:00Z"));
    let citizen = app.login("0912345678", common::PASSWORD).await;
    let coord = app.login("coord@hanoi.gov.vn", common::PASSWORD).await;
    let id = file_light(&app, &citizen.access, s.city.lights).await;
    let routed = app.report(id).await.unit_id;
    assert!(routed.is_some());
    let r = act(
        &app,
        &coord.access,
        id,
        json!({"action": "reject", "public_message": "Không thuộc thẩm quyền"}),
    )
    .await;
    assert_eq!(r.body["status"], "rejected", "{}", r.body);
    assert_eq!(r.body["due_at"], Value::Null);
    // Its unit is gone meanwhile (units and rules change); the rollup follows.
    reports::Entity::update_many()
        .col_expr(reports::Column::UnitId, Expr::value(Option::<Uuid>::None))
        .filter(reports::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .expect("update");
    citizen_feedback::stats::check::rebuild(&app.db, app.state.config.city_tz)
        .await
        .expect("rebuild");
    app.assert_rollup_consistent().await;
    let on_time = "SELECT COALESCE(SUM(handled_on_time), 0) FROM report_stats_monthly";
    let handled = "SELECT COALESCE(SUM(handled), 0) FROM report_stats_monthly";
    assert_eq!(app.count(on_time).await, 1, "never assigned: on time");
    let version = app.report(id).await.version;

    app.clock.advance(Duration::days(1));
    let now = app.clock.now();
    let coord = app.login("coord@hanoi.gov.vn", common::PASSWORD).await;
    let r = act(
        &app,
        &coord.access,
        id,
        json!({"action": "reopen", "reason": "Xem lại"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "assigned");
    assert_eq!(r.body["overdue"], false);
    let due = deadline(&app, now, 40, false).await;
    assert_eq!(r.body["due_at"].as_str(), Some(due.as_str()), "{}", r.body);
    let row = app.report(id).await;
    assert_eq!(row.unit_id, routed, "routed again");
    assert!(row.due_at.is_some_and(|d| d > now));
    assert_eq!((row.handled_at, row.handled_month), (None, None));
    assert_eq!(row.version, version + 1);
    let events = app
        .get(&format!("/api/v1/staff/reports/{id}/events"))
        .token(&coord.access)
        .send()
        .await;
    let last = events
        .body
        .as_array()
        .and_then(|e| e.last())
        .cloned()
        .expect("event");
    assert_eq!(
        (last["kind"].as_str(), last["to_status"].as_str()),
        (Some("reopened"), Some("assigned")),
        "{last}"
    );
    assert_eq!(
        last["data"]["unit_id"].as_str(),
        routed.map(|u| u.to_string()).as_deref()
    );
    assert!(last["data"]["due_at"].is_string(), "{last}");
    app.assert_rollup_consistent().await;
    assert_eq!((app.count(handled).await, app.count(on_time).await), (0, 0));

    // The deadline passes: overdue in the queue, and handled late.
    app.clock
        .set(row.due_at.expect("due") + Duration::seconds(1));
    let coord = app.login("coord@hanoi.gov.vn", common::PASSWORD).await;
    let q = app
        .get("/api/v1/staff/reports?overdue=true")
        .token(&coord.access)
        .send()
        .await;
    assert_eq!(
        q.body["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        q.body
    );
    assert_eq!(q.body["items"][0]["id"], id.to_string());
    assert_eq!(q.body["items"][0]["overdue"], true);
    let r = act(
        &app,
        &coord.access,
        id,
        json!({"action": "resolve", "public_message": "Đã xử lý"}),
    )
    .await;
    assert_eq!(r.body["status"], "resolved", "{}", r.body);
    app.assert_rollup_consistent().await;
    assert_eq!(
        (app.count(handled).await, app.count(on_time).await),
        (1, 0),
        "handled after the new deadline: late"
    );
}

/// A staff reopen of handled work: `in_progress`, with a new deadline.
#[tokio::test]
async fn reopening_a_closed_report_gives_it_a_new_deadline() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    app.clock.set(at("2025-11-03T02:00:00Z"));
    let citizen = app.login("0912345678", common::PASSWORD).await;
    let coord = app.login("coord.hk@hanoi.gov.vn", common::PASSWORD).await;
    let id = file_light(&app, &citizen.access, s.city.lights).await;
    act(&app, &coord.access, id, json!({"action": "accept"})).await;
    let first = app.report(id).await.due_at;
    act(
        &app,
        &coord.access,
        id,
        json!({"action": "resolve", "public_message": "Xong"}),
    )
    .await;
    act(&app, &coord.access, id, json!({"action": "close"})).await;
    app.clock.advance(Duration::days(20));
    let now = app.clock.now();
    let coord = app.login("coord.hk@hanoi.gov.vn", common::PASSWORD).await;
    let r = act(&app, &coord.access, id, json!({"action": "reopen"})).await;
    assert_eq!(r.body["status"], "in_progress", "{}", r.body);
    let due = deadline(&app, now, 40, false).await;
    assert_eq!(r.body["due_at"].as_str(), Some(due.as_str()));
    let row = app.report(id).await;
    assert!(row.due_at > first);
    assert_eq!(row.unit_id, Some(s.city.ward), "the unit stays");
    app.assert_rollup_consistent().await;
}

/// A new priority or category gives an assigned report its deadline again,
/// from the change, the way the first assignment does.
#[tokio::test]
async fn priority_and_category_changes_recompute_the_deadline() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    app.clock.set(at("2025-11-03T02:00:00Z"));
    let citizen = app.login("0912345678", common::PASSWORD).await;
    let coord = app.login("coord@hanoi.gov.vn", common::PASSWORD).await;
    let id = file_light(&app, &citizen.access, s.city.lights).await;
    // Not yet assigned: a category change gives no deadline.
    let r = act(
        &app,
        &coord.access,
        id,
        json!({"action": "recategorize", "category_id": s.city.sensitive}),
    )
    .await;
    assert_eq!(
        (r.body["status"].as_str(), &r.body["due_at"]),
        (Some("submitted"), &Value::Null),
        "{}",
        r.body
    );
    let r = act(
        &app,
        &coord.access,
        id,
        json!({"action": "recategorize", "category_id": s.city.lights}),
    )
    .await;
    assert_eq!(r.body["due_at"], Value::Null);
    let t0 = app.clock.now();
    let r = act(&app, &coord.access, id, json!({"action": "accept"})).await;
    let normal = deadline(&app, t0, 40, false).await;
    assert_eq!(
        r.body["due_at"].as_str(),
        Some(normal.as_str()),
        "{}",
        r.body
    );

    // Urgent, two hours later: a quarter of the hours, from the change.
    app.clock.advance(Duration::hours(2));
    let coord = app.login("coord@hanoi.gov.vn", common::PASSWORD).await;
    let t1 = app.clock.now();
    let r = act(
        &app,
        &coord.access,
        id,
        json!({"action": "assign", "unit_id": s.city.ward, "priority": "urgent"}),
    )
    .await;
    let urgent = deadline(&app, t1, 40, true).await;
    assert_eq!(r.body["priority"], "urgent", "{}", r.body);
    assert_eq!(r.body["due_at"].as_str(), Some(urgent.as_str()));
    assert!(urgent < normal, "urgent shortens it");
    // The same priority again keeps it.
    app.clock.advance(Duration::hours(1));
    let coord = app.login("coord@hanoi.gov.vn", common::PASSWORD).await;
    let r = act(
        &app,
        &coord.access,
        id,
        json!({"action": "assign", "unit_id": s.city.ward, "priority": "urgent"}),
    )
    .await;
    assert_eq!(r.body["due_at"].as_str(), Some(urgent.as_str()));

    // A new category: its own hours (16, a quarter: 4), from the change.
    let t2 = app.clock.now();
    let r = act(
        &app,
        &coord.access,
        id,
        json!({"action": "recategorize", "category_id": s.city.sensitive}),
    )
    .await;
    let recat = deadline(&app, t2, 16, true).await;
    assert_eq!(
        r.body["due_at"].as_str(),
        Some(recat.as_str()),
        "{}",
        r.body
    );
    let events = app
        .get(&format!("/api/v1/staff/reports/{id}/events"))
        .token(&coord.access)
        .send()
        .await;
    let last = events
        .body
        .as_array()
        .and_then(|e| e.last())
        .cloned()
        .expect("event");
    assert_eq!(last["kind"], "recategorized");
    assert!(last["data"]["from_due_at"].is_string(), "{last}");
    app.assert_rollup_consistent().await;
}

/// Staff views carry `allowed_actions` and `due_soon`, so a console
/// re-implements neither the lifecycle nor the calendar: what is offered is
/// accepted, what is not is refused, and citizens see neither field.
#[tokio::test]
async fn staff_views_say_what_the_caller_may_do_and_what_is_due_soon() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    // Monday 2025-04-07 09:00 in Hanoi: acknowledgement due within 8
    // working hours, warnings 4 working hours ahead (the default).
    app.clock.set(at("2025-04-07T02:00:00Z"));
    let id = file_light(&app, &s.citizen.access, s.city.lights).await;
    let queue_item = |token: String| {
        let app = &app;
        async move {
            let res = app.get("/api/v1/staff/reports").token(&token).send().await;
            assert_eq!(res.status, 200, "{}", res.body);
            let items = res.body["items"].as_array().expect("items").clone();
            items
                .into_iter()
                .find(|r| r["id"] == json!(id))
                .expect("in the queue")
        }
    };
    let triage = json!([
        "accept",
        "assign",
        "reject",
        "mark_duplicate",
        "recategorize"
    ]);
    let item = queue_item(s.ward_coord.access.clone()).await;
    assert_eq!(item["allowed_actions"], triage);
    assert_eq!(item["due_soon"], false);
    let item = queue_item(s.officer.access.clone()).await;
    assert_eq!(item["allowed_actions"], json!([]));

    // 15:00: the acknowledgement (17:00) is within four working hours.
    app.clock.set(at("2025-04-07T08:00:00Z"));
    let item = queue_item(s.ward_coord.access.clone()).await;
    assert_eq!(item["due_soon"], true);
    let one = app
        .get(&format!("/api/v1/reports/{id}"))
        .token(&s.ward_coord.access)
        .send()
        .await;
    assert_eq!(one.body["allowed_actions"], triage);
    assert_eq!(one.body["due_soon"], true);
    for token in [Some(&s.citizen.access), None] {
        let mut req = app.get(&format!("/api/v1/reports/{id}"));
        if let Some(t) = token {
            req = req.token(t);
        }
        let res = req.send().await;
        assert_eq!(res.status, 200);
        assert!(res.body.get("allowed_actions").is_none(), "{}", res.body);
        assert!(res.body.get("due_soon").is_none(), "{}", res.body);
    }

    let accepted = act(
        &app,
        &s.ward_coord.access,
        id,
        json!({"action": "accept", "assignee_id": s.officer_id}),
    )
    .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(
        accepted.body["allowed_actions"],
        json!([
            "assign",
            "start",
            "resolve",
            "reject",
            "mark_duplicate",
            "recategorize",
            "extend"
        ])
    );
    // The officer is offered exactly what the server then accepts.
    let item = queue_item(s.officer.access.clone()).await;
    let offered: Vec<String> =
        serde_json::from_value(item["allowed_actions"].clone()).expect("list");
    assert_eq!(offered, ["start", "resolve"]);
    let version = app.report(id).await.version;
    for refused in [
        json!({"action": "accept"}),
        json!({"action": "assign", "assignee_id": s.officer_id}),
        json!({"action": "reject", "public_message": "Không thuộc thẩm quyền."}),
        json!({"action": "close"}),
        json!({"action": "reopen"}),
        json!({"action": "extend", "due_at": "2025-04-30T10:00:00Z", "reason": "Chờ vật tư"}),
    ] {
        let res = act(&app, &s.officer.access, id, refused.clone()).await;
        assert!(
            res.status == 403 || res.status == 409,
            "{refused}: {} {}",
            res.status,
            res.body
        );
    }
    assert_eq!(app.report(id).await.version, version, "nothing changed");
    let started = act(&app, &s.officer.access, id, json!({"action": "start"})).await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert_eq!(started.body["allowed_actions"], json!(["resolve"]));
}

/// Whom a coordinator may assign to: the staff of a unit and below, within
/// their scope; nobody outside it, never a citizen or a disabled account.
#[tokio::test]
async fn staff_people_lists_whom_a_report_can_be_assigned_to() {
    let app = TestApp::spawn().await;
    let s = staffed(&app).await;
    let names = |token: String, unit: Uuid| {
        let app = &app;
        async move {
            let res = app
                .get(&format!("/api/v1/staff/people?unit={unit}"))
                .token(&token)
                .send()
                .await;
            assert_eq!(res.status, 200, "{}", res.body);
            let mut v: Vec<(String, String)> = res
                .body
                .as_array()
                .expect("list")
                .iter()
                .map(|p| {
                    (
                        p["role"].as_str().expect("role").to_owned(),
                        p["unit"]["id"].as_str().expect("unit").to_owned(),
                    )
                })
                .collect();
            v.sort();
            v
        }
    };
    let ward = s.city.ward.to_string();
    let other = s.other_ward.to_string();
    assert_eq!(
        names(s.ward_coord.access.clone(), s.city.ward).await,
        [
            ("coordinator".to_owned(), ward.clone()),
            ("officer".to_owned(), ward.clone())
        ]
    );
    // Outside the ward coordinator's scope: no one.
    assert!(
        names(s.ward_coord.access.clone(), s.other_ward)
            .await
            .is_empty()
    );
    // The city's coordinator sees the whole tree from the root.
    let all = names(s.root_coord.access.clone(), s.city.root).await;
    assert!(
        all.contains(&("officer".to_owned(), other.clone())),
        "{all:?}"
    );
    assert!(all.contains(&("coordinator".to_owned(), s.city.root.to_string())));
    // A disabled officer is no longer offered.
    let res = app
        .patch(&format!("/api/v1/admin/users/{}", s.officer_id))
        .token(&s.city.admin.access)
        .json(&json!({"disabled": true}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(
        names(s.ward_coord.access.clone(), s.city.ward).await,
        [("coordinator".to_owned(), ward)]
    );
    app.get("/api/v1/staff/people")
        .token(&s.ward_coord.access)
        .send()
        .await
        .assert_problem(422, "validation-error");
    app.get(&format!("/api/v1/staff/people?unit={}", s.city.ward))
        .token(&s.citizen.access)
        .send()
        .await
        .assert_problem(403, "forbidden");
}
