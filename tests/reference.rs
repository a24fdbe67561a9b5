//! Reference data and administration: units, categories, routing rules,
//! staff accounts, API clients.

mod common;

use citizen_feedback::auth::Role;
use common::{PASSWORD, TestApp, id_of};
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn an_admin_sets_up_the_city_and_everyone_can_read_it() {
    let app = TestApp::spawn().await;
    let city = app.city().await;

    let units = app.get("/api/v1/units").send().await;
    assert_eq!(units.status, 200);
    assert_eq!(units.body[0]["code"], "HN");
    assert_eq!(units.body[0]["children"][0]["code"], "HN-HOANKIEM");
    assert_eq!(units.body[0]["children"][0]["kind"], "ward");
    assert_eq!(
        units.body[0]["children"][0]["parent_id"],
        city.root.to_string()
    );

    let vi = app.get("/api/v1/categories").send().await;
    let names: Vec<&str> = vi
        .body
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["An ninh trật tự", "Điện chiếu sáng"]);
    let en = app.get("/api/v1/categories").lang("en").send().await;
    assert_eq!(en.body[1]["name"], "Street lights");
    assert_eq!(en.body[1]["sla_hours"], 40);
    assert_eq!(en.body[0]["sensitive"], true);

    // Deactivated categories disappear from the public list.
    let res = app
        .patch(&format!("/api/v1/admin/categories/{}", city.sensitive))
        .token(&city.admin.access)
        .json(&json!({"active": false, "description": "Tạm ngừng"}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["active"], false);
    assert_eq!(res.body["description"], "Tạm ngừng");
    assert_eq!(
        app.get("/api/v1/categories")
            .send()
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let all = app
        .get("/api/v1/admin/categories")
        .token(&city.admin.access)
        .send()
        .await;
    assert_eq!(all.body.as_array().map(Vec::len), Some(2));

    let rules = app
        .get("/api/v1/admin/routing-rules")
        .token(&city.admin.access)
        .send()
        .await;
    assert_eq!(rules.body[0]["area_code"], "00070");
    assert_eq!(rules.body[0]["unit_id"], city.ward.to_string());
}

#[tokio::test]
async fn only_admins_administer() {
    let app = TestApp::spawn().await;
    let citizen = app.register("0912345678").await;
    let officer = app
        .user_with_role(Role::Officer, "officer@example.com", None)
        .await;
    let body = json!({"code": "X", "name": "X", "kind": "ward"});
    for token in [&citizen.access, &officer.access] {
        let res = app
            .post("/api/v1/admin/units")
            .token(token)
            .json(&body)
            .send()
            .await;
        res.assert_problem(403, "forbidden");
    }
    app.post("/api/v1/admin/units")
        .json(&body)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.get("/api/v1/admin/users")
        .token(&citizen.access)
        .send()
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.count("SELECT COUNT(*) FROM units").await, 0);
}

#[tokio::test]
async fn unit_and_category_rules() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let t = city.admin.access.as_str();

    let res = app
        .post("/api/v1/admin/units")
        .token(t)
        .lang("en")
        .json(&json!({"code": "bad code!", "name": " ", "kind": "province", "parent_id": uuid::Uuid::now_v7()}))
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    let mut f = res.error_fields();
    f.sort();
    assert_eq!(f, ["code", "kind", "name"]);

    let res = app
        .post("/api/v1/admin/units")
        .token(t)
        .json(&json!({"code": "HN-X", "name": "X", "kind": "ward", "parent_id": uuid::Uuid::now_v7()}))
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.error_fields(), ["parent_id"]);

    let dup = app
        .post("/api/v1/admin/units")
        .token(t)
        .lang("en")
        .json(&json!({"code": "HN", "name": "Again", "kind": "city"}))
        .send()
        .await;
    dup.assert_problem(409, "conflict");
    assert_eq!(dup.body["detail"], "This unit code is already in use.");

    // The root cannot move under its own child.
    let res = app
        .patch(&format!("/api/v1/admin/units/{}", city.root))
        .token(t)
        .json(&json!({"parent_id": city.ward}))
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.error_fields(), ["parent_id"]);
    // Renaming works and keeps the rest.
    let res = app
        .patch(&format!("/api/v1/admin/units/{}", city.ward))
        .token(t)
        .json(&json!({"name": "Phường Hoàn Kiếm (mới)"}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["parent_id"], city.root.to_string());
    assert_eq!(res.body["code"], "HN-HOANKIEM");
    app.patch(&format!("/api/v1/admin/units/{}", uuid::Uuid::now_v7()))
        .token(t)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .assert_problem(404, "not-found");

    let res = app
        .post("/api/v1/admin/categories")
        .token(t)
        .json(&json!({"code": "FLOOD", "name_vi": "Ngập", "ack_hours": 0, "sla_hours": 99999}))
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    let mut f = res.error_fields();
    f.sort();
    assert_eq!(f, ["ack_hours", "name_en", "sla_hours"]);

    // Routing rules: one per category and area; deletable.
    let rule = json!({"category_id": city.lights, "area_code": "00070", "unit_id": city.root});
    let dup = app
        .post("/api/v1/admin/routing-rules")
        .token(t)
        .json(&rule)
        .send()
        .await;
    dup.assert_problem(409, "conflict");
    assert_eq!(
        dup.body["detail"],
        "Đã có quy tắc cho lĩnh vực và địa bàn này."
    );
    let rules = app.get("/api/v1/admin/routing-rules").token(t).send().await;
    let id = rules.body[0]["id"].as_str().expect("id").to_owned();
    assert_eq!(
        app.delete(&format!("/api/v1/admin/routing-rules/{id}"))
            .token(t)
            .send()
            .await
            .status,
        204
    );
    app.delete(&format!("/api/v1/admin/routing-rules/{id}"))
        .token(t)
        .send()
        .await
        .assert_problem(404, "not-found");
    assert_eq!(app.count("SELECT COUNT(*) FROM routing_rules").await, 0);
}

#[tokio::test]
async fn staff_accounts_are_managed_by_admins() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let t = city.admin.access.as_str();
    let res = app
        .post("/api/v1/admin/users")
        .token(t)
        .json(&json!({"email": "Officer.HK@Hanoi.gov.vn", "password": PASSWORD, "full_name": "Phạm Văn Cường", "role": "officer", "unit_id": city.ward}))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["role"], "officer");
    assert_eq!(res.body["unit_id"], city.ward.to_string());
    let officer_id = id_of(&res.body);
    let session = app.login("officer.hk@hanoi.gov.vn", PASSWORD).await;
    let res = app
        .post("/api/v1/admin/users")
        .token(t)
        .lang("en")
        .json(&json!({"email": "officer.hk@hanoi.gov.vn", "password": PASSWORD, "full_name": "Someone Else", "role": "officer", "unit_id": city.ward}))
        .send()
        .await;
    res.assert_problem(409, "conflict");
    assert_eq!(res.body["detail"], "This email is already registered.");

    let res = app
        .post("/api/v1/admin/users")
        .token(t)
        .json(&json!({"email": "c@hanoi.gov.vn", "password": PASSWORD, "full_name": "C", "role": "coordinator"}))
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.error_fields(), ["unit_id"]);
    let res = app
        .post("/api/v1/admin/users")
        .token(t)
        .json(&json!({"email": "c@hanoi.gov.vn", "password": PASSWORD, "full_name": "C", "role": "citizen", "unit_id": city.ward}))
        .send()
        .await;
    assert_eq!(res.error_fields(), ["role"]);

    // Promote, then disable: the officer's access ends at once.
    let res = app
        .patch(&format!("/api/v1/admin/users/{officer_id}"))
        .token(t)
        .json(&json!({"role": "coordinator"}))
        .send()
        .await;
    assert_eq!(res.body["role"], "coordinator");
    assert_eq!(
        app.get("/api/v1/me")
            .token(&session.access)
            .send()
            .await
            .body["role"],
        "coordinator"
    );
    let res = app
        .patch(&format!("/api/v1/admin/users/{officer_id}"))
        .token(t)
        .json(&json!({"disabled": true}))
        .send()
        .await;
    assert_eq!(res.status, 200);
    app.get("/api/v1/me")
        .token(&session.access)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.post("/api/v1/auth/refresh")
        .json(&json!({"refresh_token": session.refresh}))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    let list = app.get("/api/v1/admin/users").token(t).send().await;
    assert!(
        list.body
            .as_array()
            .expect("list")
            .iter()
            .all(|u| u["role"] != "citizen")
    );

    // A citizen account can be disabled here, never made staff.
    let citizen = app.register("0912345678").await;
    app.patch(&format!("/api/v1/admin/users/{}", citizen.user_id))
        .token(t)
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .assert_problem(422, "validation-error");
}

#[tokio::test]
async fn api_keys_are_shown_once_and_stored_hashed() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let res = app
        .post("/api/v1/admin/api-clients")
        .token(&admin.access)
        .json(&json!({"name": "Cổng dịch vụ công"}))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let key = res.body["api_key"].as_str().expect("key").to_owned();
    assert!(key.starts_with("cfk_") && key.len() > 40);
    let id = id_of(&res.body);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM api_clients WHERE key_hash = '{key}'"
        ))
        .await,
        0
    );
    let list = app
        .get("/api/v1/admin/api-clients")
        .token(&admin.access)
        .send()
        .await;
    assert_eq!(list.body[0]["name"], "Cổng dịch vụ công");
    assert!(list.body[0].get("api_key").is_none());
    assert!(key.starts_with(list.body[0]["key_prefix"].as_str().expect("prefix")));
    assert_eq!(
        app.delete(&format!("/api/v1/admin/api-clients/{id}"))
            .token(&admin.access)
            .send()
            .await
            .status,
        204
    );
    app.delete(&format!("/api/v1/admin/api-clients/{id}"))
        .token(&admin.access)
        .send()
        .await
        .assert_problem(404, "not-found");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM api_clients WHERE revoked_at IS NOT NULL")
            .await,
        1
    );
}

/// Taken codes are refused by the database's unique indexes (no pre-check
/// here), and the answer names what was taken, in both languages and on both
/// databases, for a create as for an update.
#[tokio::test]
async fn taken_codes_say_which_code() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let t = city.admin.access.as_str();

    let res = app
        .patch(&format!("/api/v1/admin/units/{}", city.ward))
        .token(t)
        .json(&json!({"code": "HN"}))
        .send()
        .await;
    res.assert_problem(409, "conflict");
    assert_eq!(res.body["detail"], "Mã đơn vị này đã được dùng.");

    let lights = "STREET_LIGHT";
    let res = app
        .post("/api/v1/admin/categories")
        .token(t)
        .lang("en")
        .json(&json!({"code": lights, "name_vi": "Đèn", "name_en": "Lights", "ack_hours": 8, "sla_hours": 40}))
        .send()
        .await;
    res.assert_problem(409, "conflict");
    assert_eq!(res.body["detail"], "This category code is already in use.");

    let res = app
        .post("/api/v1/admin/categories")
        .token(t)
        .json(&json!({"code": "NOISE", "name_vi": "Tiếng ồn", "name_en": "Noise", "ack_hours": 8, "sla_hours": 40}))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let res = app
        .patch(&format!("/api/v1/admin/categories/{}", id_of(&res.body)))
        .token(t)
        .lang("en")
        .json(&json!({"code": lights}))
        .send()
        .await;
    res.assert_problem(409, "conflict");
    assert_eq!(res.body["detail"], "This category code is already in use.");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM categories WHERE code = 'NOISE'")
            .await,
        1
    );

    let rule = json!({"category_id": city.lights, "area_code": "00070", "unit_id": city.ward});
    let res = app
        .post("/api/v1/admin/routing-rules")
        .token(t)
        .lang("en")
        .json(&rule)
        .send()
        .await;
    res.assert_problem(409, "conflict");
    assert_eq!(
        res.body["detail"],
        "A rule for this category and area already exists."
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM routing_rules").await, 1);
}

/// Two units moved under each other at the same moment: one move wins, the
/// other is refused as a cycle; the tree never loops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_moves_never_make_a_cycle() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let admin = city.admin.access.clone();
    for i in 0..8 {
        let mut ids = vec![];
        for name in ["A", "B"] {
            let res = app
                .post("/api/v1/admin/units")
                .token(&admin)
                .json(
                    &json!({"code": format!("U-{name}-{i}"), "name": format!("Đơn vị {name}{i}"),
                    "kind": "ward", "parent_id": city.root}),
                )
                .send()
                .await;
            assert_eq!(res.status, 201, "{}", res.body);
            ids.push(id_of(&res.body));
        }
        let (a, b) = (ids[0], ids[1]);
        let mv = |unit: Uuid, parent: Uuid| {
            let req = reqwest::Client::new()
                .patch(app.url(&format!("/api/v1/admin/units/{unit}")))
                .bearer_auth(&admin)
                .json(&json!({ "parent_id": parent }));
            tokio::spawn(async move { req.send().await.expect("sent").status().as_u16() })
        };
        let (x, y) = (mv(a, b), mv(b, a));
        let statuses = [x.await.expect("join"), y.await.expect("join")];
        assert!(
            statuses.contains(&200) && statuses.contains(&422),
            "one move wins, the other is a cycle: {statuses:?}"
        );
        let parent_of = |u: Uuid| {
            use sea_orm::EntityTrait;
            let db = app.db.clone();
            async move {
                citizen_feedback::entities::units::Entity::find_by_id(u)
                    .one(&db)
                    .await
                    .expect("query")
                    .expect("unit")
                    .parent_id
            }
        };
        let (pa, pb) = (parent_of(a).await, parent_of(b).await);
        assert!(!(pa == Some(b) && pb == Some(a)), "a cycle: {pa:?} {pb:?}");
    }
}
