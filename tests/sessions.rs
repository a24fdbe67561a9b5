//! Sessions that end (logout, refresh-token reuse, disabled or deleted
//! accounts, an admin's revocation), password change, password reset by a
//! one-time code (sent through the HTTP SMS sender to a fake gateway on
//! 127.0.0.1), and admins disabling accounts.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::{PASSWORD, Session, TestApp};
use figment::Figment;
use figment::providers::Serialized;
use serde_json::{Value, json};
use uuid::Uuid;

const NEW_PASSWORD: &str = "gió mùa thu qua phố cổ";
const WAIT: Duration = Duration::from_secs(10);

async fn me(app: &TestApp, s: &Session) -> u16 {
    app.get("/api/v1/me").token(&s.access).send().await.status
}

async fn refresh(app: &TestApp, token: &str) -> common::Resp {
    app.post("/api/v1/auth/refresh")
        .json(&json!({"refresh_token": token}))
        .send()
        .await
}

async fn put_device(app: &TestApp, s: &Session, token: &str) {
    let res = app
        .put(&format!("/api/v1/me/devices/{token}"))
        .token(&s.access)
        .json(&json!({"platform": "android"}))
        .send()
        .await;
    assert!(
        res.status == 200 || res.status == 201 || res.status == 204,
        "{}",
        res.body
    );
}

#[tokio::test]
async fn after_logout_the_access_token_is_401() {
    let app = TestApp::spawn().await;
    let s = app.register("0912345678").await;
    let other = app.login("0912345678", PASSWORD).await;
    assert_eq!(me(&app, &s).await, 200);
    let res = app
        .post("/api/v1/auth/logout")
        .token(&s.access)
        .json(&json!({"refresh_token": s.refresh}))
        .send()
        .await;
    assert_eq!(res.status, 204);
    let gone = app
        .get("/api/v1/me")
        .token(&s.access)
        .lang("en")
        .send()
        .await;
    gone.assert_problem(401, "unauthorized");
    assert_eq!(
        gone.body["detail"],
        "This session has ended; sign in again."
    );
    assert!(
        gone.header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer"))
    );
    // Another session of the same account goes on.
    assert_eq!(me(&app, &other).await, 200);
}

#[tokio::test]
async fn refresh_token_reuse_ends_the_session_of_every_token_of_the_family() {
    let app = TestApp::spawn().await;
    let first = app.register("0912345678").await;
    let res = refresh(&app, &first.refresh).await;
    assert_eq!(res.status, 200);
    let second = Session::from_body(&res.body);
    assert_eq!(me(&app, &first).await, 200);
    assert_eq!(me(&app, &second).await, 200);
    // The rotated token comes back: theft is assumed, the family ends.
    refresh(&app, &first.refresh)
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(me(&app, &first).await, 401);
    assert_eq!(me(&app, &second).await, 401);
    refresh(&app, &second.refresh)
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn disabled_and_deleted_accounts_tokens_are_401() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let a = app.register("0912345678").await;
    let b = app.register("0987654321").await;
    put_device(&app, &a, "device-of-a").await;

    let res = app
        .patch(&format!("/api/v1/admin/users/{}", a.user_id))
        .token(&admin.access)
        .json(&json!({"disabled": true}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let disabled =
        "SELECT COUNT(*) FROM users WHERE disabled_at IS NOT NULL AND phone = '+84912345678'";
    assert_eq!(app.count(disabled).await, 1);
    assert_eq!(me(&app, &a).await, 401);
    refresh(&app, &a.refresh)
        .await
        .assert_problem(401, "unauthorized");
    app.post("/api/v1/auth/login")
        .json(&json!({"login": "0912345678", "password": PASSWORD}))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM devices WHERE token = 'device-of-a'")
            .await,
        0,
        "a disabled account's devices go"
    );
    // Enabled again: a new login works; the old session stays ended.
    let res = app
        .patch(&format!("/api/v1/admin/users/{}", a.user_id))
        .token(&admin.access)
        .json(&json!({"disabled": false}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(app.count(disabled).await, 0);
    assert_eq!(me(&app, &a).await, 401);
    let again = app.login("0912345678", PASSWORD).await;
    assert_eq!(me(&app, &again).await, 200);

    // A deleted account.
    let res = app.delete("/api/v1/me").token(&b.access).send().await;
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(me(&app, &b).await, 401);
    refresh(&app, &b.refresh)
        .await
        .assert_problem(401, "unauthorized");
    // An admin can neither re-enable nor otherwise change a deleted account.
    app.patch(&format!("/api/v1/admin/users/{}", b.user_id))
        .token(&admin.access)
        .json(&json!({"disabled": false}))
        .send()
        .await
        .assert_problem(404, "not-found");
}

#[tokio::test]
async fn an_admin_revokes_every_session_of_a_user() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let phone = app.register("0912345678").await;
    let laptop = app.login("0912345678", PASSWORD).await;
    put_device(&app, &phone, "device-of-phone").await;
    let bystander = app.register("0987654321").await;

    let path = format!("/api/v1/admin/users/{}/revoke-sessions", phone.user_id);
    // Only admins.
    app.post(&path)
        .token(&bystander.access)
        .send()
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(me(&app, &phone).await, 200);
    app.post(&format!(
        "/api/v1/admin/users/{}/revoke-sessions",
        Uuid::now_v7()
    ))
    .token(&admin.access)
    .send()
    .await
    .assert_problem(404, "not-found");

    let res = app.post(&path).token(&admin.access).send().await;
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(me(&app, &phone).await, 401);
    assert_eq!(me(&app, &laptop).await, 401);
    refresh(&app, &phone.refresh)
        .await
        .assert_problem(401, "unauthorized");
    refresh(&app, &laptop.refresh)
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM devices WHERE token = 'device-of-phone'")
            .await,
        0
    );
    // Nobody else is touched, and the person can sign in again.
    assert_eq!(me(&app, &bystander).await, 200);
    assert_eq!(me(&app, &admin).await, 200);
    let back = app.login("0912345678", PASSWORD).await;
    assert_eq!(me(&app, &back).await, 200);
}

#[tokio::test]
async fn a_password_change_keeps_the_callers_session_and_ends_the_others() {
    let app = TestApp::spawn().await;
    let here = app.register("0912345678").await;
    let there = app.login("0912345678", PASSWORD).await;
    put_device(&app, &here, "device-here").await;
    put_device(&app, &there, "device-there").await;
    let change = |s: &Session, current: &str, new: &str| {
        let token = s.access.clone();
        let body = json!({"current_password": current, "new_password": new});
        let app = &app;
        async move {
            app.post("/api/v1/me/password")
                .token(&token)
                .lang("en")
                .json(&body)
                .send()
                .await
        }
    };

    // Wrong current password: 422 on the field, nothing changes.
    let res = change(&here, "not my password", NEW_PASSWORD).await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.body["errors"][0]["field"], "current_password");
    assert_eq!(
        res.body["errors"][0]["message"],
        "The current password is wrong."
    );
    // A weak new one, the same one, or a missing field: 422, nothing changes.
    let res = change(&here, PASSWORD, "12345678").await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.body["errors"][0]["field"], "new_password");
    change(&here, PASSWORD, PASSWORD)
        .await
        .assert_problem(422, "validation-error");
    app.post("/api/v1/me/password")
        .token(&here.access)
        .json(&json!({"current_password": PASSWORD}))
        .send()
        .await
        .assert_problem(422, "validation-error");
    assert_eq!(me(&app, &there).await, 200);
    app.login("0912345678", PASSWORD).await;
    // Not signed in.
    app.post("/api/v1/me/password")
        .json(&json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .assert_problem(401, "unauthorized");

    let res = change(&here, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(me(&app, &here).await, 200);
    assert_eq!(me(&app, &there).await, 401);
    refresh(&app, &there.refresh)
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(refresh(&app, &here.refresh).await.status, 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM devices WHERE token = 'device-here'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM devices WHERE token = 'device-there'")
            .await,
        0
    );
    app.post("/api/v1/auth/login")
        .json(&json!({"login": "0912345678", "password": PASSWORD}))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.login("0912345678", NEW_PASSWORD).await;
}

#[tokio::test]
async fn the_last_active_admin_cannot_disable_or_demote_itself() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let me_admin = app.admin().await;
    // `city()` made an admin of its own: disabling every other admin is
    // allowed while one stays.
    use citizen_feedback::entities::users;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let others: Vec<users::Model> = users::Entity::find()
        .filter(users::Column::Role.eq(citizen_feedback::auth::Role::Admin))
        .filter(users::Column::Id.ne(me_admin.user_id))
        .all(&app.db)
        .await
        .expect("admins");
    for o in &others {
        let res = app
            .patch(&format!("/api/v1/admin/users/{}", o.id))
            .token(&me_admin.access)
            .json(&json!({"disabled": true}))
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
    }
    let path = format!("/api/v1/admin/users/{}", me_admin.user_id);
    for body in [
        json!({"disabled": true}),
        json!({"role": "officer", "unit_id": city.root}),
        json!({"role": "coordinator", "unit_id": city.root, "disabled": true}),
    ] {
        let res = app
            .patch(&path)
            .token(&me_admin.access)
            .lang("en")
            .json(&body)
            .send()
            .await;
        res.assert_problem(409, "conflict");
        assert_eq!(
            res.body["detail"],
            "The last active admin cannot be disabled or demoted."
        );
    }
    // Nothing changed: still an active admin.
    let res = app.get("/api/v1/me").token(&me_admin.access).send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body["role"], "admin");
    // Changing its own name is fine.
    let res = app
        .patch(&path)
        .token(&me_admin.access)
        .json(&json!({"full_name": "Quản trị viên"}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    // With another active admin, it may step down.
    let second = app.admin().await;
    let res = app
        .patch(&path)
        .token(&me_admin.access)
        .json(&json!({"role": "officer", "unit_id": city.root}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["role"], "officer");
    // And the new last admin is protected in turn.
    app.patch(&format!("/api/v1/admin/users/{}", second.user_id))
        .token(&second.access)
        .json(&json!({"disabled": true}))
        .send()
        .await
        .assert_problem(409, "conflict");
}

#[tokio::test]
async fn an_admin_disables_a_citizen_and_only_that() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let citizen = app.register("0912345678").await;
    let path = format!("/api/v1/admin/users/{}", citizen.user_id);
    // A citizen cannot be given a role, a unit or a name here.
    for (field, body) in [
        ("role", json!({"role": "officer"})),
        ("unit_id", json!({"unit_id": null})),
        ("full_name", json!({"full_name": "Ai đó", "disabled": true})),
    ] {
        let res = app
            .patch(&path)
            .token(&admin.access)
            .lang("en")
            .json(&body)
            .send()
            .await;
        res.assert_problem(422, "validation-error");
        assert_eq!(res.body["errors"][0]["field"], field, "{}", res.body);
        assert_eq!(
            res.body["errors"][0]["message"],
            "A citizen account can only be disabled or enabled here."
        );
    }
    assert_eq!(
        me(&app, &citizen).await,
        200,
        "a refused change changes nothing"
    );
    let res = app
        .patch(&path)
        .token(&admin.access)
        .json(&json!({"disabled": true}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["role"], "citizen");
    assert_eq!(me(&app, &citizen).await, 401);
    app.post("/api/v1/auth/login")
        .json(&json!({"login": "0912345678", "password": PASSWORD}))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    // Unknown accounts are 404; non-admins 403.
    app.patch(&format!("/api/v1/admin/users/{}", Uuid::now_v7()))
        .token(&admin.access)
        .json(&json!({"disabled": true}))
        .send()
        .await
        .assert_problem(404, "not-found");
    let other = app.register("0987654321").await;
    app.patch(&path)
        .token(&other.access)
        .json(&json!({"disabled": false}))
        .send()
        .await
        .assert_problem(403, "forbidden");
}

// --- Password reset by code, through a fake SMS gateway on 127.0.0.1. ---

/// One message the fake gateway received: its JSON body and `X-Api-Key`.
type Received = (Value, Option<String>);

/// What the fake gateway received.
#[derive(Clone, Default)]
struct Inbox(Arc<Mutex<Vec<Received>>>);

impl Inbox {
    fn all(&self) -> Vec<Received> {
        self.0.lock().expect("inbox").clone()
    }

    fn to(&self, phone: &str) -> Vec<Value> {
        self.all()
            .into_iter()
            .filter(|(b, _)| b["to"] == phone)
            .map(|(b, _)| b)
            .collect()
    }

    /// Waits (boundedly) until `phone` has received `n` messages; the last.
    async fn nth(&self, phone: &str, n: usize) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let got = self.to(phone);
            if got.len() >= n {
                return got[n - 1].clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no message {n} to {phone}: {:?}",
                self.all()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn fake_gateway() -> (SocketAddr, Inbox) {
    let inbox = Inbox::default();
    let app = axum::Router::new()
        .route(
            "/sms",
            axum::routing::post(
                |State(inbox): State<Inbox>, headers: HeaderMap, body: String| async move {
                    let value: Value = serde_json::from_str(&body).unwrap_or(Value::String(body));
                    let key = headers
                        .get("x-api-key")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    inbox.0.lock().expect("inbox").push((value, key));
                    StatusCode::OK
                },
            ),
        )
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, inbox)
}

fn through_gateway(addr: SocketAddr) -> impl FnOnce(Figment) -> Figment {
    move |f| {
        f.merge(Serialized::default("password_reset.sms_sender", "http"))
            .merge(Serialized::default(
                "password_reset.sms_http.url",
                format!("http://{addr}/sms"),
            ))
            .merge(Serialized::default(
                "password_reset.sms_http.body",
                r#"{"to": "{phone}", "local": "{phone_local}", "code": "{code}", "text": "{message}"}"#,
            ))
            .merge(Serialized::default(
                "password_reset.sms_http.headers",
                json!({"X-Api-Key": "test-key"}),
            ))
    }
}

async fn ask_code(app: &TestApp, login: &str) {
    let res = app
        .post("/api/v1/auth/password-reset")
        .json(&json!({"login": login}))
        .send()
        .await;
    assert_eq!(res.status, 202, "{}", res.body);
}

async fn confirm(app: &TestApp, login: &str, code: &str, password: &str) -> common::Resp {
    app.post("/api/v1/auth/password-reset/confirm")
        .lang("en")
        .json(&json!({"login": login, "code": code, "new_password": password}))
        .send()
        .await
}

fn code_of(message: &Value) -> String {
    let code = message["code"].as_str().expect("code").to_owned();
    assert_eq!(code.len(), 6);
    assert!(message["text"].as_str().expect("text").contains(&code));
    code
}

/// A code that is not `code`.
fn other_than(code: &str) -> String {
    let n: u32 = code.parse().expect("digits");
    format!("{:06}", (n + 1) % 1_000_000)
}

#[tokio::test]
async fn a_reset_code_works_once_and_ends_every_session() {
    let (addr, inbox) = fake_gateway().await;
    let app = TestApp::spawn_with(through_gateway(addr)).await;
    let a = app.register("0912345678").await;
    let b = app.login("0912345678", PASSWORD).await;

    ask_code(&app, "0912 345 678").await;
    let msg = inbox.nth("+84912345678", 1).await;
    assert_eq!(msg["local"], "0912345678");
    assert_eq!(inbox.all()[0].1.as_deref(), Some("test-key"));
    let code = code_of(&msg);
    // Only a hash is kept.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM password_reset_codes WHERE code_hash = '{code}'"
        ))
        .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM password_reset_codes").await,
        1
    );

    // A weak password is refused and the code still works afterwards.
    let res = confirm(&app, "0912345678", &code, "12345678").await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.body["errors"][0]["field"], "new_password");
    assert_eq!(me(&app, &a).await, 200);

    let res = confirm(&app, "0912345678", &code, NEW_PASSWORD).await;
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(me(&app, &a).await, 401);
    assert_eq!(me(&app, &b).await, 401);
    refresh(&app, &a.refresh)
        .await
        .assert_problem(401, "unauthorized");
    app.login("0912345678", NEW_PASSWORD).await;

    // Used once: refused the second time.
    let res = confirm(&app, "0912345678", &code, "một mật khẩu khác hẳn nữa").await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.body["errors"][0]["field"], "code");
    app.login("0912345678", NEW_PASSWORD).await;
}

#[tokio::test]
async fn wrong_codes_are_limited_and_expired_codes_refused() {
    let (addr, inbox) = fake_gateway().await;
    let app = TestApp::spawn_with(through_gateway(addr)).await;
    app.register("0912345678").await;

    ask_code(&app, "0912345678").await;
    let code = code_of(&inbox.nth("+84912345678", 1).await);
    let wrong = other_than(&code);
    for _ in 0..5 {
        let res = confirm(&app, "0912345678", &wrong, NEW_PASSWORD).await;
        res.assert_problem(422, "validation-error");
        assert_eq!(res.body["errors"][0]["field"], "code");
        assert_eq!(
            res.body["errors"][0]["message"],
            "The code is wrong, expired or out of tries; request a new one."
        );
    }
    // Out of tries: even the right code is refused, and nothing changed.
    confirm(&app, "0912345678", &code, NEW_PASSWORD)
        .await
        .assert_problem(422, "validation-error");
    app.login("0912345678", PASSWORD).await;

    // A new code, too late.
    ask_code(&app, "0912345678").await;
    let code = code_of(&inbox.nth("+84912345678", 2).await);
    app.clock.advance(chrono::Duration::minutes(16));
    let res = confirm(&app, "0912345678", &code, NEW_PASSWORD).await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.body["errors"][0]["field"], "code");
    app.login("0912345678", PASSWORD).await;

    // Malformed input is 422 too, never a 500.
    for body in [
        json!({}),
        json!({"login": "0912345678", "code": "12ab56", "new_password": NEW_PASSWORD}),
        json!({"login": "", "code": "123456", "new_password": NEW_PASSWORD}),
        json!({"login": "0912345678", "code": 123456, "new_password": NEW_PASSWORD}),
    ] {
        let res = app
            .post("/api/v1/auth/password-reset/confirm")
            .json(&body)
            .send()
            .await;
        assert_eq!(res.status, 422, "{body}: {}", res.body);
    }
    app.post("/api/v1/auth/password-reset")
        .json(&json!({"login": ""}))
        .send()
        .await
        .assert_problem(422, "validation-error");
}

#[tokio::test]
async fn an_unknown_account_gets_the_same_answer_and_nothing_is_sent() {
    let (addr, inbox) = fake_gateway().await;
    let app = TestApp::spawn_with(through_gateway(addr)).await;
    app.register("0912345678").await;
    let disabled = app.register("0911111111").await;
    let admin = app.admin().await;
    let res = app
        .patch(&format!("/api/v1/admin/users/{}", disabled.user_id))
        .token(&admin.access)
        .json(&json!({"disabled": true}))
        .send()
        .await;
    assert_eq!(res.status, 200);

    let unknown = app
        .post("/api/v1/auth/password-reset")
        .json(&json!({"login": "0987654321"}))
        .send()
        .await;
    let nobody = app
        .post("/api/v1/auth/password-reset")
        .json(&json!({"login": "nobody@example.com"}))
        .send()
        .await;
    ask_code(&app, "0911111111").await;
    let known = app
        .post("/api/v1/auth/password-reset")
        .json(&json!({"login": "0912345678"}))
        .send()
        .await;
    for r in [&unknown, &nobody, &known] {
        assert_eq!(r.status, 202);
        assert_eq!(r.body, known.body);
    }
    // Requests are handled in order: once the known account's message is
    // out, the others were handled, and sent nothing.
    inbox.nth("+84912345678", 1).await;
    let all = inbox.all();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM password_reset_codes").await,
        1
    );
    // Confirming for an unknown account: the same 422 as a wrong code.
    let res = confirm(&app, "0987654321", "123456", NEW_PASSWORD).await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.body["errors"][0]["field"], "code");
}

#[tokio::test]
async fn reset_throttles_send_nothing_more_and_answer_429_on_confirm() {
    let (addr, inbox) = fake_gateway().await;
    let app = TestApp::spawn_with(|f| {
        through_gateway(addr)(f)
            .merge(Serialized::default(
                "password_reset.request_account_burst",
                1,
            ))
            .merge(Serialized::default(
                "password_reset.request_account_per_hour",
                1,
            ))
            .merge(Serialized::default("password_reset.confirm_ip_burst", 3))
            .merge(Serialized::default(
                "password_reset.confirm_ip_per_minute",
                1,
            ))
    })
    .await;
    app.register("0912345678").await;
    app.register("0987654321").await;

    // The request step always answers 202; over the account's limit it
    // sends nothing (and keeps the first code).
    for _ in 0..3 {
        ask_code(&app, "0912345678").await;
    }
    ask_code(&app, "0987654321").await;
    inbox.nth("+84987654321", 1).await;
    let first = code_of(&inbox.nth("+84912345678", 1).await);
    assert_eq!(inbox.to("+84912345678").len(), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM password_reset_codes").await,
        2
    );

    // The confirm step answers 429 over the address limit, and changes
    // nothing (even with the right code).
    for _ in 0..3 {
        confirm(&app, "0987654321", "000000", NEW_PASSWORD).await;
    }
    let res = confirm(&app, "0912345678", &first, NEW_PASSWORD).await;
    res.assert_problem(429, "too-many-requests");
    assert!(res.header("retry-after").is_some());
    app.login("0912345678", PASSWORD).await;
}
