//! Push devices (`/me/devices`) and push over FCM HTTP v1, against a local
//! stand-in for Google's token endpoint and FCM (an axum server on
//! 127.0.0.1:0) and a service account with an RSA key made for the test.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use chrono::Duration;
use citizen_feedback::config::Config;
use citizen_feedback::delivery::push::fcm::AssertionClaims;
use citizen_feedback::delivery::push::{Outcome, PushJob};
use citizen_feedback::domain::EventKind;
use common::TestApp;
use figment::providers::Serialized;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use uuid::Uuid;

// ---------------------------------------------------------------------------
// The stand-in for Google

const PROJECT: &str = "cf-test-project";
const CLIENT_EMAIL: &str = "push@cf-test-project.iam.gserviceaccount.com";

#[derive(Default)]
struct Seen {
    /// The form fields of every token request.
    token_requests: Vec<Vec<(String, String)>>,
    /// The access tokens handed out.
    issued: Vec<String>,
    /// `(authorization header, body)` of every message.
    messages: Vec<(String, Value)>,
}

#[derive(Clone)]
struct Google {
    seen: Arc<Mutex<Seen>>,
    /// Tokens answered 404 UNREGISTERED.
    unregistered: Arc<HashSet<String>>,
    /// Tokens answered 503.
    busy: Arc<HashSet<String>>,
    /// Tokens answered 400 INVALID_ARGUMENT.
    invalid: Arc<HashSet<String>>,
}

async fn token_endpoint(State(g): State<Google>, body: String) -> impl IntoResponse {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let mut seen = g.seen.lock().expect("lock");
    seen.token_requests.push(form);
    let token = format!("ya29.test-{}", seen.issued.len() + 1);
    seen.issued.push(token.clone());
    Json(json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}))
}

async fn fcm_send(
    State(g): State<Google>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> impl IntoResponse {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mut seen = g.seen.lock().expect("lock");
    let known = seen.issued.iter().any(|t| auth == format!("Bearer {t}"));
    seen.messages.push((auth, body.clone()));
    if !known {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"code": 401, "status": "UNAUTHENTICATED"}})),
        );
    }
    let token = body["message"]["token"].as_str().unwrap_or("");
    if g.unregistered.contains(token) {
        return (
            StatusCode::NOT_FOUND,
            Json(
                json!({"error": {"code": 404, "message": "Requested entity was not found.",
                "status": "NOT_FOUND", "details": [{
                    "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                    "errorCode": "UNREGISTERED"}]}}),
            ),
        );
    }
    if g.busy.contains(token) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": {"code": 503, "status": "UNAVAILABLE"}})),
        );
    }
    if g.invalid.contains(token) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"code": 400, "status": "INVALID_ARGUMENT",
                "details": [{"errorCode": "INVALID_ARGUMENT"}]}})),
        );
    }
    (
        StatusCode::OK,
        Json(json!({"name": format!("projects/{PROJECT}/messages/{}", seen.messages.len())})),
    )
}

struct Stand {
    base: String,
    seen: Arc<Mutex<Seen>>,
    /// The public half of the service account's key, to check assertions.
    public_der: Vec<u8>,
    /// The service-account file's folder (kept while the test runs).
    _dir: tempfile::TempDir,
    credentials: String,
}

impl Stand {
    async fn start(unregistered: &[&str], busy: &[&str], invalid: &[&str]) -> Stand {
        let set = |v: &[&str]| Arc::new(v.iter().map(|s| s.to_string()).collect::<HashSet<_>>());
        let google = Google {
            seen: Arc::default(),
            unregistered: set(unregistered),
            busy: set(busy),
            invalid: set(invalid),
        };
        let seen = google.seen.clone();
        let app = Router::new()
            .route("/token", post(token_endpoint))
            .route("/v1/projects/{project}/messages:send", post(fcm_send))
            .with_state(google);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let base = format!("http://{addr}");

        // A fresh key, written as Google writes one: PKCS#8 PEM in JSON.
        let key = KeyPair::generate(KeySize::Rsa2048).expect("RSA key");
        let pkcs8 = key.as_der().expect("PKCS#8");
        let b64 = base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref());
        let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(chunk).expect("ascii"));
            pem.push('\n');
        }
        pem.push_str("-----END PRIVATE KEY-----\n");
        let public_der = key.public_key().as_ref().to_vec();
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("service-account.json");
        let file = json!({
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "test-key-1",
            "private_key": pem,
            "client_email": CLIENT_EMAIL,
            "client_id": "1",
            "auth_uri": format!("{base}/auth"),
            "token_uri": format!("{base}/token"),
        });
        std::fs::write(&path, serde_json::to_vec_pretty(&file).expect("json")).expect("write");
        Stand {
            credentials: path.display().to_string(),
            base,
            seen,
            public_der,
            _dir: dir,
        }
    }

    async fn app(&self) -> TestApp {
        let (credentials, base) = (self.credentials.clone(), self.base.clone());
        TestApp::spawn_with(move |f| {
            f.merge(Serialized::default("push.fcm_credentials", credentials))
                .merge(Serialized::default("push.fcm_base_url", base))
        })
        .await
    }

    fn token_requests(&self) -> usize {
        self.seen.lock().expect("lock").token_requests.len()
    }

    fn messages(&self) -> Vec<(String, Value)> {
        self.seen.lock().expect("lock").messages.clone()
    }

    /// Checks every assertion the stand-in received: RS256 by the service
    /// account's key, for the token endpoint, with the FCM scope.
    fn check_assertions(&self) -> Vec<AssertionClaims> {
        let seen = self.seen.lock().expect("lock");
        let key = DecodingKey::from_rsa_der(&self.public_der);
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[format!("{}/token", self.base)]);
        validation.set_issuer(&[CLIENT_EMAIL]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_exp = false;
        seen.token_requests
            .iter()
            .map(|form| {
                let field = |k: &str| {
                    form.iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                assert_eq!(
                    field("grant_type"),
                    "urn:ietf:params:oauth:grant-type:jwt-bearer"
                );
                let data =
                    jsonwebtoken::decode::<AssertionClaims>(&field("assertion"), &key, &validation)
                        .expect("a valid RS256 assertion");
                assert_eq!(data.header.kid.as_deref(), Some("test-key-1"));
                data.claims
            })
            .collect()
    }
}

fn job(user_id: Uuid, kind: EventKind) -> PushJob {
    PushJob {
        user_id,
        event_id: Uuid::now_v7(),
        report_id: Uuid::now_v7(),
        code: "PA-7K3M9Q".into(),
        kind,
    }
}

async fn put_device(app: &TestApp, access: &str, token: &str, body: Value) -> common::Resp {
    app.put(&format!("/api/v1/me/devices/{token}"))
        .token(access)
        .json(&body)
        .send()
        .await
}

async fn device_tokens(app: &TestApp, access: &str) -> Vec<String> {
    let res = app.get("/api/v1/me/devices").token(access).send().await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|d| d["token"].as_str().map(str::to_owned))
        .collect()
}

// ---------------------------------------------------------------------------
// Devices

#[tokio::test]
async fn devices_are_registered_listed_moved_and_removed() {
    let app = TestApp::spawn().await;
    let a = app.register("0912000001").await;
    let b = app.register("0912000002").await;
    let token = "fcm:APA91b-Token_0123456789.abc~";

    let res = put_device(&app, &a.access, token, json!({"platform": "android"})).await;
    assert_eq!(res.status, 204, "{}", res.body);
    // Idempotent, and the locale can change.
    let res = put_device(
        &app,
        &a.access,
        token,
        json!({"platform": "android", "locale": "en"}),
    )
    .await;
    assert_eq!(res.status, 204, "{}", res.body);
    let res = app.get("/api/v1/me/devices").token(&a.access).send().await;
    assert_eq!(res.status, 200, "{}", res.body);
    let items = res.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{}", res.body);
    assert_eq!(items[0]["token"], token);
    assert_eq!(items[0]["platform"], "android");
    assert_eq!(items[0]["locale"], "en");
    assert!(items[0]["created_at"].is_string());
    assert!(items[0]["last_used_at"].is_string());
    // Without a locale, the account's language (Vietnamese).
    let res = put_device(&app, &a.access, "ios-token-1", json!({"platform": "ios"})).await;
    assert_eq!(res.status, 204, "{}", res.body);
    let res = app.get("/api/v1/me/devices").token(&a.access).send().await;
    let ios = res.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|d| d["token"] == "ios-token-1")
        .cloned()
        .expect("ios device");
    assert_eq!(ios["locale"], "vi");

    // Another account signs in on the phone: the token moves.
    let res = put_device(&app, &b.access, token, json!({"platform": "android"})).await;
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(device_tokens(&app, &a.access).await, vec!["ios-token-1"]);
    assert_eq!(device_tokens(&app, &b.access).await, vec![token]);

    // Someone else's token is 404, the owner's goes.
    app.delete(&format!("/api/v1/me/devices/{token}"))
        .token(&a.access)
        .send()
        .await
        .assert_problem(404, "not-found");
    let res = app
        .delete(&format!("/api/v1/me/devices/{token}"))
        .token(&b.access)
        .send()
        .await;
    assert_eq!(res.status, 204, "{}", res.body);
    assert!(device_tokens(&app, &b.access).await.is_empty());
    app.delete(&format!("/api/v1/me/devices/{token}"))
        .token(&b.access)
        .send()
        .await
        .assert_problem(404, "not-found");

    // Signed in only.
    let res = app.get("/api/v1/me/devices").send().await;
    assert_eq!(res.status, 401, "{}", res.body);
}

#[tokio::test]
async fn bad_devices_are_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let a = app.register("0912000003").await;
    let long = "a".repeat(4097);
    for (token, body, field) in [
        (long.as_str(), json!({"platform": "android"}), "token"),
        ("t%C3%BCt", json!({"platform": "android"}), "token"),
        ("with%20space", json!({"platform": "android"}), "token"),
        ("tab%09", json!({"platform": "android"}), "token"),
        ("not-utf8%FF", json!({"platform": "android"}), "token"),
        ("ok-token", json!({"platform": "symbian"}), "platform"),
        ("ok-token", json!({}), "platform"),
        (
            "ok-token",
            json!({"platform": "ios", "locale": "fr"}),
            "locale",
        ),
    ] {
        let res = put_device(&app, &a.access, token, body.clone()).await;
        res.assert_problem(422, "validation-error");
        assert_eq!(
            res.error_fields(),
            vec![field],
            "{token} {body}: {}",
            res.body
        );
    }
    // 4096 bytes is still fine.
    let res = put_device(
        &app,
        &a.access,
        &"b".repeat(4096),
        json!({"platform": "web"}),
    )
    .await;
    assert_eq!(res.status, 204, "{}", res.body);
    let res = app
        .delete(&format!("/api/v1/me/devices/{long}"))
        .token(&a.access)
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.error_fields(), vec!["token"]);
    assert_eq!(app.count("SELECT COUNT(*) FROM devices").await, 1);
}

#[tokio::test]
async fn ending_a_session_removes_its_devices() {
    let app = TestApp::spawn().await;
    let first = app.register("0912000004").await;
    let second = app.login("0912000004", common::PASSWORD).await;
    let res = put_device(
        &app,
        &first.access,
        "phone-1",
        json!({"platform": "android"}),
    )
    .await;
    assert_eq!(res.status, 204, "{}", res.body);
    let res = put_device(&app, &second.access, "phone-2", json!({"platform": "ios"})).await;
    assert_eq!(res.status, 204, "{}", res.body);

    let res = app
        .post("/api/v1/auth/logout")
        .token(&first.access)
        .json(&json!({"refresh_token": first.refresh}))
        .send()
        .await;
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(device_tokens(&app, &second.access).await, vec!["phone-2"]);
    // The access token outlives the session by minutes: it registers nothing.
    let res = put_device(
        &app,
        &first.access,
        "phone-1",
        json!({"platform": "android"}),
    )
    .await;
    assert_eq!(res.status, 401, "{}", res.body);
    assert_eq!(device_tokens(&app, &second.access).await, vec!["phone-2"]);

    // A refreshed session keeps its devices.
    let res = app
        .post("/api/v1/auth/refresh")
        .json(&json!({"refresh_token": second.refresh}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let third = common::Session::from_body(&res.body);
    assert_eq!(device_tokens(&app, &third.access).await, vec!["phone-2"]);
    let res = put_device(&app, &third.access, "phone-3", json!({"platform": "web"})).await;
    assert_eq!(res.status, 204, "{}", res.body);

    // Deleting the account removes every device (the account row stays).
    let res = app
        .req(reqwest::Method::DELETE, "/api/v1/me")
        .token(&third.access)
        .send()
        .await;
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM devices").await, 0);
}

#[tokio::test]
async fn an_account_keeps_its_twenty_most_recent_devices() {
    let app = TestApp::spawn().await;
    let a = app.register("0912000013").await;
    for i in 0..21 {
        app.clock.advance(Duration::seconds(1));
        let res = put_device(
            &app,
            &a.access,
            &format!("t-{i:02}"),
            json!({"platform": "web"}),
        )
        .await;
        assert_eq!(res.status, 204, "{}", res.body);
        if i == 0 {
            continue;
        }
        // Using the first one again keeps it among the recent ones.
        app.clock.advance(Duration::seconds(1));
        let res = put_device(&app, &a.access, "t-00", json!({"platform": "web"})).await;
        assert_eq!(res.status, 204, "{}", res.body);
    }
    let tokens = device_tokens(&app, &a.access).await;
    assert_eq!(tokens.len(), 20);
    assert!(tokens.contains(&"t-00".to_owned()));
    assert!(!tokens.contains(&"t-01".to_owned()), "{tokens:?}");
}

// ---------------------------------------------------------------------------
// Push

#[tokio::test]
async fn push_reaches_every_device_in_its_language_with_a_cached_token() {
    let stand = Stand::start(&["gone-token"], &[], &[]).await;
    let app = stand.app().await;
    assert!(app.state.push.is_on());
    let user = app.register("0912000005").await;
    for (token, body) in [
        ("vi-token", json!({"platform": "android", "locale": "vi"})),
        ("en-token", json!({"platform": "ios", "locale": "en"})),
        ("gone-token", json!({"platform": "android"})),
    ] {
        let res = put_device(&app, &user.access, token, body).await;
        assert_eq!(res.status, 204, "{}", res.body);
    }
    let other = app.register("0912000006").await;
    let res = put_device(
        &app,
        &other.access,
        "other-token",
        json!({"platform": "web"}),
    )
    .await;
    assert_eq!(res.status, 204, "{}", res.body);

    let now = app.clock.now() + Duration::minutes(5);
    let first = job(user.user_id, EventKind::Resolved);
    assert_eq!(
        app.state.push.deliver(&app.db, &first, now).await,
        Outcome::Delivered
    );

    let messages = stand.messages();
    assert_eq!(messages.len(), 3, "{messages:?}");
    let to = |token: &str| {
        messages
            .iter()
            .find(|(_, m)| m["message"]["token"] == token)
            .cloned()
            .unwrap_or_else(|| panic!("no message to {token}"))
    };
    let (auth, vi) = to("vi-token");
    assert_eq!(auth, "Bearer ya29.test-1");
    assert_eq!(
        vi["message"]["notification"]["body"],
        "Phản ánh PA-7K3M9Q đã được xử lý xong."
    );
    assert_eq!(
        vi["message"]["data"],
        json!({"report_id": first.report_id.to_string(), "code": "PA-7K3M9Q", "kind": "resolved"})
    );
    let (_, en) = to("en-token");
    assert_eq!(
        en["message"]["notification"]["body"],
        "Report PA-7K3M9Q was resolved."
    );
    assert!(
        messages
            .iter()
            .all(|(_, m)| m["message"]["token"] != "other-token")
    );

    // The token FCM called unregistered is gone; the others were used now.
    assert_eq!(
        device_tokens(&app, &user.access).await,
        vec!["en-token", "vi-token"]
    );
    let res = app
        .get("/api/v1/me/devices")
        .token(&user.access)
        .send()
        .await;
    for d in res.body["items"].as_array().expect("items") {
        let used: chrono::DateTime<chrono::Utc> = d["last_used_at"]
            .as_str()
            .expect("time")
            .parse()
            .expect("rfc3339");
        assert!((used - now).num_milliseconds().abs() < 1, "{d}");
    }

    // The assertion: RS256 by the account's key, one hour, the FCM scope.
    let claims = stand.check_assertions();
    assert_eq!(claims.len(), 1);
    assert_eq!(
        claims[0].scope,
        "https://www.googleapis.com/auth/firebase.messaging"
    );
    assert_eq!(claims[0].exp - claims[0].iat, 3600);
    assert_eq!(claims[0].iat, now.timestamp());

    // A second delivery (from a clone) reuses the token.
    let push = app.state.push.clone();
    let second = job(user.user_id, EventKind::Comment);
    assert_eq!(
        push.deliver(&app.db, &second, now + Duration::minutes(30))
            .await,
        Outcome::Delivered
    );
    assert_eq!(stand.token_requests(), 1);
    let messages = stand.messages();
    assert_eq!(messages.len(), 5);
    assert!(
        messages[3..]
            .iter()
            .all(|(auth, _)| auth == "Bearer ya29.test-1")
    );
    assert!(messages[3..].iter().any(|(_, m)| {
        m["message"]["notification"]["body"] == "Phản ánh PA-7K3M9Q có trả lời mới."
    }));

    // Shortly before it expires, a new one.
    assert_eq!(
        push.deliver(&app.db, &second, now + Duration::minutes(56))
            .await,
        Outcome::Delivered
    );
    assert_eq!(stand.token_requests(), 2);
    assert_eq!(stand.check_assertions().len(), 2);
    assert!(
        stand.messages()[5..]
            .iter()
            .all(|(auth, _)| auth == "Bearer ya29.test-2")
    );
}

#[tokio::test]
async fn busy_fcm_retries_and_refusals_fail_only_their_device() {
    let stand = Stand::start(&[], &["busy-token"], &["bad-1", "bad-2"]).await;
    let app = stand.app().await;
    let now = app.clock.now();

    // One device refuses for good, the other gets it: delivered.
    let mixed = app.register("0912000007").await;
    for token in ["bad-1", "good-token"] {
        let res = put_device(&app, &mixed.access, token, json!({"platform": "android"})).await;
        assert_eq!(res.status, 204, "{}", res.body);
    }
    assert_eq!(
        app.state
            .push
            .deliver(&app.db, &job(mixed.user_id, EventKind::Started), now)
            .await,
        Outcome::Delivered
    );
    assert_eq!(device_tokens(&app, &mixed.access).await.len(), 2);

    // Every device refuses: failed, and the tokens stay.
    let refused = app.register("0912000008").await;
    let res = put_device(&app, &refused.access, "bad-2", json!({"platform": "ios"})).await;
    assert_eq!(res.status, 204, "{}", res.body);
    let outcome = app
        .state
        .push
        .deliver(&app.db, &job(refused.user_id, EventKind::Started), now)
        .await;
    assert!(
        matches!(&outcome, Outcome::Failed(why) if why.contains("INVALID_ARGUMENT")),
        "{outcome:?}"
    );
    assert_eq!(device_tokens(&app, &refused.access).await, vec!["bad-2"]);

    // FCM busy: the whole job later.
    let busy = app.register("0912000009").await;
    let res = put_device(
        &app,
        &busy.access,
        "busy-token",
        json!({"platform": "android"}),
    )
    .await;
    assert_eq!(res.status, 204, "{}", res.body);
    let outcome = app
        .state
        .push
        .deliver(&app.db, &job(busy.user_id, EventKind::Started), now)
        .await;
    assert!(
        matches!(&outcome, Outcome::Retry(why) if why.contains("503")),
        "{outcome:?}"
    );
    assert_eq!(device_tokens(&app, &busy.access).await, vec!["busy-token"]);

    // No devices: nothing to send.
    let nobody = app.register("0912000010").await;
    assert_eq!(
        app.state
            .push
            .deliver(&app.db, &job(nobody.user_id, EventKind::Started), now)
            .await,
        Outcome::Delivered
    );
    assert_eq!(stand.token_requests(), 1);
}

#[tokio::test]
async fn unreachable_google_is_retried() {
    // A stand-in that was started and is gone: nothing listens there.
    let stand = Stand::start(&[], &[], &[]).await;
    let gone = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        l.local_addr().expect("addr")
    };
    let creds: Value =
        serde_json::from_slice(&std::fs::read(&stand.credentials).expect("read")).expect("json");
    let mut creds = creds;
    creds["token_uri"] = json!(format!("http://{gone}/token"));
    std::fs::write(&stand.credentials, creds.to_string()).expect("write");
    let app = stand.app().await;
    let user = app.register("0912000011").await;
    let res = put_device(
        &app,
        &user.access,
        "some-token",
        json!({"platform": "android"}),
    )
    .await;
    assert_eq!(res.status, 204, "{}", res.body);
    let outcome = app
        .state
        .push
        .deliver(
            &app.db,
            &job(user.user_id, EventKind::Resolved),
            app.clock.now(),
        )
        .await;
    assert!(matches!(outcome, Outcome::Retry(_)), "{outcome:?}");
    assert!(stand.messages().is_empty());
}

#[tokio::test]
async fn push_is_off_without_credentials() {
    let app = TestApp::spawn().await;
    assert!(!app.state.push.is_on());
    let user = app.register("0912000012").await;
    let res = put_device(
        &app,
        &user.access,
        "a-token",
        json!({"platform": "android"}),
    )
    .await;
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(
        app.state
            .push
            .deliver(
                &app.db,
                &job(user.user_id, EventKind::Resolved),
                app.clock.now()
            )
            .await,
        Outcome::Delivered
    );
}

#[test]
fn a_bad_credentials_file_stops_the_start() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("sa.json");
    for (content, expect) in [
        ("{not json", "not a service-account JSON"),
        (r#"{"project_id": "p", "private_key": "x"}"#, "client_email"),
        (
            r#"{"project_id": "p", "client_email": "a@b", "private_key": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"}"#,
            "private_key",
        ),
    ] {
        std::fs::write(&path, content).expect("write");
        let fig = Config::defaults().merge(Serialized::default(
            "push.fcm_credentials",
            path.display().to_string(),
        ));
        let e = Config::from_figment(fig).expect_err("refused").to_string();
        assert!(
            e.contains("push.fcm_credentials") && e.contains(expect),
            "{e}"
        );
    }
}

/// The whole way, as a citizen lives it: a phone registered, a report filed,
/// staff resolve it through the API, and the outbox worker pushes the answer
/// to the phone, in Vietnamese, with the report's code.
#[tokio::test]
async fn a_resolved_report_reaches_the_citizens_phone_through_the_worker() {
    let stand = Stand::start(&[], &[], &[]).await;
    let (credentials, base) = (stand.credentials.clone(), stand.base.clone());
    let app = TestApp::spawn_with(move |f| {
        f.merge(Serialized::default("push.fcm_credentials", credentials))
            .merge(Serialized::default("push.fcm_base_url", base))
            .merge(Serialized::default("delivery.poll_interval_ms", 20))
    })
    .await;
    let city = app.city().await;
    let citizen = app.register("0912000042").await;
    let res = put_device(
        &app,
        &citizen.access,
        "citizen-phone",
        json!({"platform": "android", "locale": "vi"}),
    )
    .await;
    assert_eq!(res.status, 204, "{}", res.body);
    let report = app
        .file(&citizen.access, &TestApp::report_body(city.lights))
        .await;
    let id = common::id_of(&report);
    let code = report["code"].as_str().expect("code").to_owned();
    app.mark_resolved(id).await;

    let want = format!("Phản ánh {code} đã được xử lý xong.");
    let mut found = None;
    for _ in 0..400 {
        found = stand.messages().into_iter().find(|(_, m)| {
            m["message"]["token"] == "citizen-phone"
                && m["message"]["notification"]["body"] == want.as_str()
        });
        if found.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, message) = found.unwrap_or_else(|| panic!("no push {want:?}: {:?}", stand.messages()));
    assert_eq!(
        message["message"]["data"],
        json!({"report_id": id.to_string(), "code": code, "kind": "resolved"})
    );
    // The staff member who acted has no phone here, and the citizen's phone
    // got only what concerns them (the acceptance and the resolution).
    let to_citizen: Vec<String> = stand
        .messages()
        .iter()
        .filter(|(_, m)| m["message"]["token"] == "citizen-phone")
        .filter_map(|(_, m)| m["message"]["data"]["kind"].as_str().map(str::to_owned))
        .collect();
    assert!(
        to_citizen
            .iter()
            .all(|k| k == "accepted" || k == "resolved"),
        "{to_citizen:?}"
    );
}
