//! Accounts and sessions: register, login, refresh, logout, /me.

mod common;

use chrono::Duration;
use common::{PASSWORD, TestApp};
use figment::providers::Serialized;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const SECRET: &str = "development-secret-do-not-use-in-production";

#[tokio::test]
async fn register_normalizes_phone_and_stores_only_a_hash() {
    let app = TestApp::spawn().await;
    let res = app
        .post("/api/v1/auth/register")
        .json(&json!({"phone": "0912 345 678", "password": PASSWORD, "full_name": "  Nguyễn Văn An "}))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let user = &res.body["user"];
    assert_eq!(user["phone"], "+84912345678");
    assert_eq!(user["email"], Value::Null);
    assert_eq!(user["full_name"], "Nguyễn Văn An");
    assert_eq!(user["role"], "citizen");
    assert_eq!(user["locale"], "vi");
    assert_eq!(res.body["token_type"], "Bearer");
    assert_eq!(res.body["expires_in"], 900);
    assert_eq!(res.body["refresh_token"].as_str().map(str::len), Some(43));

    // Stored: the E.164 phone and an argon2id hash, never the password.
    let hash: String =
        sea_orm::FromQueryResult::find_by_statement(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT password_hash FROM users",
        ))
        .one(&app.db)
        .await
        .map(|r: Option<HashRow>| r.expect("row").password_hash)
        .expect("query");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(PASSWORD));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE phone = '+84912345678'")
            .await,
        1
    );
    // The refresh token is stored as its SHA-256 only.
    let token = res.body["refresh_token"].as_str().expect("token");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM refresh_tokens WHERE token_hash = '{token}'"
        ))
        .await,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM refresh_tokens").await, 1);
}

#[derive(sea_orm::FromQueryResult)]
struct HashRow {
    password_hash: String,
}

use sea_orm::ConnectionTrait as _;

#[tokio::test]
async fn emails_are_case_folded_and_duplicates_are_409() {
    let app = TestApp::spawn().await;
    let res = app
        .post("/api/v1/auth/register")
        .json(&json!({"email": "An.Nguyen@Example.COM", "password": PASSWORD, "full_name": "An", "locale": "en"}))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["user"]["email"], "an.nguyen@example.com");
    assert_eq!(res.body["user"]["locale"], "en");

    let dup = app
        .post("/api/v1/auth/register")
        .lang("en")
        .json(
            &json!({"email": "an.nguyen@EXAMPLE.com", "password": PASSWORD, "full_name": "Other"}),
        )
        .send()
        .await;
    dup.assert_problem(409, "conflict");
    assert_eq!(dup.body["detail"], "This email is already registered.");

    app.register("0912345678").await;
    let dup = app
        .post("/api/v1/auth/register")
        .json(&json!({"phone": "+84 912 345 678", "password": PASSWORD, "full_name": "Other"}))
        .send()
        .await;
    dup.assert_problem(409, "conflict");
    assert_eq!(dup.body["detail"], "Số điện thoại đã được đăng ký.");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 2);

    // Login works with any casing of the email.
    app.login("AN.NGUYEN@example.com", PASSWORD).await;
}

#[tokio::test]
async fn validation_lists_every_bad_field_in_the_requested_language() {
    let app = TestApp::spawn().await;
    let body = json!({"phone": "12", "email": "not-an-email", "password": "short", "locale": "fr"});
    let vi = app.post("/api/v1/auth/register").json(&body).send().await;
    vi.assert_problem(422, "validation-error");
    let mut fields = vi.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["email", "full_name", "locale", "password", "phone"]
    );
    assert_eq!(vi.header("content-language"), Some("vi"));
    assert_eq!(vi.body["title"], "Dữ liệu không hợp lệ");

    let en = app
        .post("/api/v1/auth/register")
        .lang("en-US,en;q=0.9")
        .json(&body)
        .send()
        .await;
    en.assert_problem(422, "validation-error");
    let messages: Vec<(String, String)> = en.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or("").to_owned(),
                e["message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(
        messages.contains(&("password".into(), "Must be at least 8 characters.".into())),
        "{messages:?}"
    );
    assert!(
        messages.contains(&("phone".into(), "Not a valid phone number.".into())),
        "{messages:?}"
    );
    assert!(
        messages.contains(&("full_name".into(), "This field is required.".into())),
        "{messages:?}"
    );

    // Neither phone nor email.
    let res = app
        .post("/api/v1/auth/register")
        .json(&json!({"password": PASSWORD, "full_name": "An"}))
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.error_fields(), ["phone"]);

    // Wrong JSON types name the field.
    let res = app
        .post("/api/v1/auth/register")
        .json(&json!({"phone": 912345678, "password": PASSWORD, "full_name": "An"}))
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.error_fields(), ["phone"]);

    assert_eq!(
        app.count("SELECT COUNT(*) FROM users").await,
        0,
        "nothing was written"
    );
}

#[tokio::test]
async fn password_rules_follow_asvs() {
    let app = TestApp::spawn().await;
    let try_password = |pw: String, phone: &'static str| {
        let app = &app;
        async move {
            app.post("/api/v1/auth/register")
                .lang("en")
                .json(&json!({"phone": phone, "password": pw, "full_name": "Trần Thị Bình"}))
                .send()
                .await
        }
    };
    for common in ["password", "12345678", "qwertyuiop", "iloveyou"] {
        let res = try_password(common.to_owned(), "0912000001").await;
        res.assert_problem(422, "validation-error");
        assert_eq!(
            res.body["errors"][0]["message"],
            "This password is too common or easy to guess; choose another."
        );
    }
    // Too long: 129 characters.
    let long: String = "gió mùa đông bắc về ".chars().cycle().take(129).collect();
    let res = try_password(long.clone(), "0912000001").await;
    res.assert_problem(422, "validation-error");
    assert_eq!(
        res.body["errors"][0]["message"],
        "Must be at most 128 characters."
    );
    // 128 characters, spaces and all: accepted, and no composition rules.
    let max: String = long.chars().take(128).collect();
    assert_eq!(try_password(max.clone(), "0912000001").await.status, 201);
    assert_eq!(
        try_password("mưa phùn hà nội".to_owned(), "0912000002")
            .await
            .status,
        201
    );
    app.login("0912000001", &max).await;
}

#[tokio::test]
async fn login_by_phone_or_email_and_the_same_401_for_unknown_accounts() {
    let app = TestApp::spawn().await;
    app.register("0912345678").await;
    let s = app.login("+84912345678", PASSWORD).await;
    assert!(!s.access.is_empty());
    app.login("0912345678", PASSWORD).await;

    let wrong = app
        .post("/api/v1/auth/login")
        .json(&json!({"login": "0912345678", "password": "wrong password here"}))
        .send()
        .await;
    wrong.assert_problem(401, "unauthorized");
    let unknown = app
        .post("/api/v1/auth/login")
        .json(&json!({"login": "0987654321", "password": "wrong password here"}))
        .send()
        .await;
    unknown.assert_problem(401, "unauthorized");
    let unknown_email = app
        .post("/api/v1/auth/login")
        .json(&json!({"login": "nobody@example.com", "password": "x"}))
        .send()
        .await;
    for res in [&unknown, &unknown_email] {
        assert_eq!(res.body["detail"], wrong.body["detail"]);
        assert_eq!(res.body["title"], wrong.body["title"]);
        assert_eq!(res.body["type"], wrong.body["type"]);
    }

    // A disabled account gets the same answer even with the right password.
    app.db
        .execute_unprepared("UPDATE users SET disabled_at = created_at")
        .await
        .expect("disable");
    let disabled = app
        .post("/api/v1/auth/login")
        .json(&json!({"login": "0912345678", "password": PASSWORD}))
        .send()
        .await;
    disabled.assert_problem(401, "unauthorized");
    assert_eq!(disabled.body["detail"], wrong.body["detail"]);
    // ... and its existing access token stops working at once.
    let me = app.get("/api/v1/me").token(&s.access).send().await;
    me.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn me_requires_a_valid_access_token() {
    let app = TestApp::spawn().await;
    let s = app.register("0912345678").await;
    let me = app.get("/api/v1/me").token(&s.access).send().await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["id"], s.user_id.to_string());
    assert_eq!(me.body["phone"], "+84912345678");
    assert!(me.body.get("password_hash").is_none());

    let none = app.get("/api/v1/me").send().await;
    none.assert_problem(401, "unauthorized");
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));

    let now = app.clock.now().timestamp();
    // The session of the real token: a forged token must name a live one.
    let sid = {
        use base64::Engine as _;
        let payload = s.access.split('.').nth(1).expect("payload");
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64");
        serde_json::from_slice::<Value>(&raw).expect("claims")["sid"].clone()
    };
    assert!(sid.is_string(), "access tokens name their session");
    let claims = |iss: &str, aud: &str, exp: i64, typ: &str| {
        json!({"iss": iss, "aud": aud, "sub": s.user_id, "exp": exp, "iat": now, "jti": uuid::Uuid::new_v4(),
               "role": "admin", "unit": null, "sid": sid, "typ": typ})
    };
    let sign = |alg: Algorithm, c: &Value| {
        jsonwebtoken::encode(
            &Header::new(alg),
            c,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .expect("sign")
    };
    let good = claims(
        "citizen-feedback",
        "citizen-feedback-api",
        now + 600,
        "access",
    );
    // Sanity: a correctly forged token with the server's secret works.
    assert_eq!(
        app.get("/api/v1/me")
            .token(&sign(Algorithm::HS256, &good))
            .send()
            .await
            .status,
        200
    );

    let alg_none = {
        use base64::Engine as _;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.",
            e.encode(br#"{"alg":"none","typ":"JWT"}"#),
            e.encode(good.to_string())
        )
    };
    let bad_tokens = [
        ("alg none", alg_none),
        ("HS512", sign(Algorithm::HS512, &good)),
        (
            "wrong aud",
            sign(
                Algorithm::HS256,
                &claims("citizen-feedback", "other-api", now + 600, "access"),
            ),
        ),
        (
            "wrong iss",
            sign(
                Algorithm::HS256,
                &claims("someone-else", "citizen-feedback-api", now + 600, "access"),
            ),
        ),
        (
            "expired",
            sign(
                Algorithm::HS256,
                &claims(
                    "citizen-feedback",
                    "citizen-feedback-api",
                    now - 1,
                    "access",
                ),
            ),
        ),
        (
            "not access",
            sign(
                Algorithm::HS256,
                &claims(
                    "citizen-feedback",
                    "citizen-feedback-api",
                    now + 600,
                    "refresh",
                ),
            ),
        ),
        ("refresh token", s.refresh.clone()),
        ("no session", {
            let mut c = good.clone();
            c.as_object_mut().expect("object").remove("sid");
            sign(Algorithm::HS256, &c)
        }),
        ("unknown session", {
            let mut c = good.clone();
            c["sid"] = json!(uuid::Uuid::now_v7());
            sign(Algorithm::HS256, &c)
        }),
        ("garbage", "abc.def.ghi".to_owned()),
        (
            "other secret",
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &good,
                &EncodingKey::from_secret(b"another secret"),
            )
            .expect("sign"),
        ),
    ];
    for (what, token) in bad_tokens {
        let res = app.get("/api/v1/me").token(&token).send().await;
        assert_eq!(res.status, 401, "{what}: {}", res.body);
        res.assert_problem(401, "unauthorized");
        assert!(
            res.header("www-authenticate")
                .is_some_and(|h| h.starts_with("Bearer")),
            "{what}"
        );
    }

    // The real token expires after 15 minutes of (test) clock time.
    app.clock.advance(Duration::minutes(14));
    assert_eq!(
        app.get("/api/v1/me").token(&s.access).send().await.status,
        200
    );
    app.clock.advance(Duration::minutes(1));
    let expired = app
        .get("/api/v1/me")
        .token(&s.access)
        .lang("en")
        .send()
        .await;
    expired.assert_problem(401, "unauthorized");
    assert_eq!(expired.body["detail"], "The access token has expired.");
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let first = app.register("0912345678").await;
    let refresh = |token: String| {
        let app = &app;
        async move {
            app.post("/api/v1/auth/refresh")
                .json(&json!({"refresh_token": token}))
                .send()
                .await
        }
    };
    let res = refresh(first.refresh.clone()).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let second = common::Session::from_body(&res.body);
    assert_ne!(second.refresh, first.refresh);
    assert_eq!(
        app.get("/api/v1/me")
            .token(&second.access)
            .send()
            .await
            .status,
        200
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM refresh_tokens WHERE replaced_by IS NOT NULL")
            .await,
        1
    );

    // The rotated token is reused (stolen?): 401, and the whole family dies.
    refresh(first.refresh.clone())
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL")
            .await,
        0
    );
    refresh(second.refresh.clone())
        .await
        .assert_problem(401, "unauthorized");

    // Another login (another family) is unaffected by that.
    let other = app.login("0912345678", PASSWORD).await;
    assert_eq!(refresh(other.refresh.clone()).await.status, 200);

    // Unknown and expired tokens.
    refresh("x".repeat(43))
        .await
        .assert_problem(401, "unauthorized");
    let late = app.login("0912345678", PASSWORD).await;
    app.clock.advance(Duration::days(31));
    refresh(late.refresh)
        .await
        .assert_problem(401, "unauthorized");
    // Missing field.
    let res = app
        .post("/api/v1/auth/refresh")
        .json(&json!({}))
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.error_fields(), ["refresh_token"]);
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let app = TestApp::spawn().await;
    let s = app.register("0912345678").await;
    let other = app.login("0912345678", PASSWORD).await;
    let res = app
        .post("/api/v1/auth/logout")
        .token(&s.access)
        .json(&json!({"refresh_token": s.refresh}))
        .send()
        .await;
    assert_eq!(res.status, 204, "{}", res.body);
    let again = app
        .post("/api/v1/auth/refresh")
        .json(&json!({"refresh_token": s.refresh}))
        .send()
        .await;
    again.assert_problem(401, "unauthorized");
    // The other session (another device) still works.
    let res = app
        .post("/api/v1/auth/refresh")
        .json(&json!({"refresh_token": other.refresh}))
        .send()
        .await;
    assert_eq!(res.status, 200);
    // The ended session's access token stops working too.
    app.get("/api/v1/me")
        .token(&s.access)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    // Logging out twice is fine; logging out without a token is not.
    let res = app
        .post("/api/v1/auth/logout")
        .token(&other.access)
        .json(&json!({"refresh_token": s.refresh}))
        .send()
        .await;
    assert_eq!(res.status, 204);
    let res = app
        .post("/api/v1/auth/logout")
        .json(&json!({"refresh_token": s.refresh}))
        .send()
        .await;
    res.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn a_login_flood_gets_429_with_retry_after() {
    let app = TestApp::spawn_with(|f| {
        // Slow refills (one a minute): a loaded machine cannot refill a
        // bucket between two of the test's requests.
        f.merge(Serialized::default("auth.login_ip_burst", 5))
            .merge(Serialized::default("auth.login_ip_per_minute", 1))
            .merge(Serialized::default("auth.login_account_burst", 3))
            .merge(Serialized::default("auth.login_account_per_minute", 1))
    })
    .await;
    app.register("0912345678").await;
    // Against one account: 3 tries, then 429.
    for _ in 0..3 {
        let res = app
            .post("/api/v1/auth/login")
            .json(&json!({"login": "0912345678", "password": "wrong password"}))
            .send()
            .await;
        assert_eq!(res.status, 401);
    }
    let res = app
        .post("/api/v1/auth/login")
        .lang("en")
        .json(&json!({"login": "+84 912 345 678", "password": PASSWORD}))
        .send()
        .await;
    res.assert_problem(429, "too-many-requests");
    let retry: u64 = res
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    // The victim is held back for one refill (a minute in this test; 15 s
    // with the default settings, see rate_limit's unit test), not locked out.
    assert!((1..=60).contains(&retry), "{retry}");

    // From one address: 5 tries in all (4 already), then 429 for any account.
    for _ in 0..1 {
        let res = app
            .post("/api/v1/auth/login")
            .json(&json!({"login": "someone@example.com", "password": "x"}))
            .send()
            .await;
        assert_eq!(res.status, 401);
    }
    let res = app
        .post("/api/v1/auth/login")
        .json(&json!({"login": "another@example.com", "password": "x"}))
        .send()
        .await;
    res.assert_problem(429, "too-many-requests");
    assert!(res.header("retry-after").is_some());
}

#[tokio::test]
async fn a_saturated_hashing_pool_answers_503_at_once() {
    // One hashing thread and no queue: one hash at a time.
    let app = TestApp::spawn_with(|f| {
        f.merge(Serialized::default("auth.hash_threads", 1))
            .merge(Serialized::default("auth.hash_queue", 0))
            .merge(Serialized::default("auth.login_ip_burst", 1000))
            .merge(Serialized::default("auth.login_account_burst", 1000))
    })
    .await;
    app.register("0912345678").await;
    assert_eq!(app.state.passwords.capacity(), 1);

    // While the only place is taken, login and registration are refused
    // with 503 and Retry-After instead of waiting.
    let held = app.state.passwords.reserve().expect("the only place");
    let res = app
        .post("/api/v1/auth/login")
        .lang("en")
        .json(&json!({"login": "0912345678", "password": PASSWORD}))
        .send()
        .await;
    res.assert_problem(503, "service-unavailable");
    assert_eq!(res.header("retry-after"), Some("1"));
    assert!(
        res.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("sign-ins")),
        "{}",
        res.body
    );
    let res = app
        .post("/api/v1/auth/register")
        .json(&json!({"phone": "0987654321", "password": PASSWORD, "full_name": "Trần Thị Bình"}))
        .send()
        .await;
    res.assert_problem(503, "service-unavailable");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
    // Unknown accounts too: the refusal says nothing about the account.
    let res = app
        .post("/api/v1/auth/login")
        .json(&json!({"login": "nobody@example.com", "password": PASSWORD}))
        .send()
        .await;
    res.assert_problem(503, "service-unavailable");
    drop(held);

    // A burst: each login either succeeds or is refused at once; none fails
    // otherwise, and the pool serves again afterwards.
    let tries: Vec<_> = (0..8)
        .map(|_| {
            app.post("/api/v1/auth/login")
                .json(&json!({"login": "0912345678", "password": PASSWORD}))
                .send()
        })
        .collect();
    let statuses: Vec<u16> = futures::future::join_all(tries)
        .await
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(statuses.contains(&200), "{statuses:?}");
    app.login("0912345678", PASSWORD).await;
}

/// A sign-in refused with 503 because the hashing pool is full is not a
/// try: retrying after it never runs into the account's login throttle.
#[tokio::test]
async fn a_503_spends_none_of_the_accounts_login_tries() {
    let app = TestApp::spawn_with(|f| {
        f.merge(Serialized::default("auth.hash_threads", 1))
            .merge(Serialized::default("auth.hash_queue", 0))
            .merge(Serialized::default("auth.login_ip_burst", 1000))
            .merge(Serialized::default("auth.login_account_burst", 2))
    })
    .await;
    app.register("0912345678").await;
    let held = app.state.passwords.reserve().expect("the only place");
    for _ in 0..5 {
        app.post("/api/v1/auth/login")
            .json(&json!({"login": "0912345678", "password": PASSWORD}))
            .send()
            .await
            .assert_problem(503, "service-unavailable");
    }
    drop(held);
    let res = app
        .post("/api/v1/auth/login")
        .json(&json!({"login": "0912345678", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(res.status, 200, "not throttled: {}", res.body);
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let app = TestApp::spawn_with(|f| {
        f.merge(Serialized::default("auth.login_ip_burst", 2))
            .merge(Serialized::default("auth.login_ip_per_minute", 1))
            .merge(Serialized::default(
                "http.trusted_proxies",
                ["127.0.0.1/32"],
            ))
    })
    .await;
    let attempt = |xff: &'static str| {
        let app = &app;
        async move {
            app.post("/api/v1/auth/login")
                .header("x-forwarded-for", xff)
                .json(&json!({"login": format!("{xff}@example.com"), "password": "x"}))
                .send()
                .await
                .status
        }
    };
    assert_eq!(attempt("203.0.113.1").await, 401);
    assert_eq!(attempt("203.0.113.1").await, 401);
    assert_eq!(attempt("203.0.113.1").await, 429);
    // Another client behind the same proxy has its own budget.
    assert_eq!(attempt("203.0.113.2").await, 401);

    // Without trust, the header is ignored: everyone is 127.0.0.1.
    let app = TestApp::spawn_with(|f| {
        f.merge(Serialized::default("auth.login_ip_burst", 2))
            .merge(Serialized::default("auth.login_ip_per_minute", 1))
    })
    .await;
    for (xff, expected) in [
        ("203.0.113.1", 401),
        ("203.0.113.2", 401),
        ("203.0.113.3", 429),
    ] {
        let res = app
            .post("/api/v1/auth/login")
            .header("x-forwarded-for", xff)
            .json(&json!({"login": format!("{xff}@example.com"), "password": "x"}))
            .send()
            .await;
        assert_eq!(res.status, expected, "{xff}");
    }
}

#[tokio::test]
async fn patch_me_changes_name_and_language_only() {
    let app = TestApp::spawn().await;
    let s = app.register("0912345678").await;
    let res = app
        .patch("/api/v1/me")
        .token(&s.access)
        .json(&json!({"full_name": "Lê Thị Hoa", "locale": "en"}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["full_name"], "Lê Thị Hoa");
    assert_eq!(res.body["locale"], "en");
    assert_eq!(
        app.get("/api/v1/me").token(&s.access).send().await.body["full_name"],
        "Lê Thị Hoa"
    );

    let res = app
        .patch("/api/v1/me")
        .token(&s.access)
        .json(&json!({"locale": "fr", "full_name": ""}))
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    let mut f = res.error_fields();
    f.sort();
    assert_eq!(f, ["full_name", "locale"]);
    // A citizen cannot make themselves an admin.
    let res = app
        .patch("/api/v1/me")
        .token(&s.access)
        .json(&json!({"role": "admin"}))
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role = 'citizen'")
            .await,
        1
    );
}

#[tokio::test]
async fn concurrent_registrations_neither_fail_nor_duplicate() {
    let app = TestApp::spawn().await;
    // The same phone ten times at once: exactly one account.
    let same = (0..10).map(|_| {
        app.post("/api/v1/auth/register")
            .json(&json!({"phone": "0912345678", "password": PASSWORD, "full_name": "An"}))
            .send()
    });
    let results = futures::future::join_all(same).await;
    let created = results.iter().filter(|r| r.status == 201).count();
    let conflicts = results.iter().filter(|r| r.status == 409).count();
    assert_eq!(
        (created, conflicts),
        (1, 9),
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    // Whether caught by the check or by the unique index, the loser hears why.
    for r in results.iter().filter(|r| r.status == 409) {
        assert_eq!(
            r.body["detail"], "Số điện thoại đã được đăng ký.",
            "{}",
            r.body
        );
    }
    // Different phones at once: all succeed (no "database is locked").
    let phones: Vec<String> = (0..12).map(|i| format!("09120000{i:02}")).collect();
    let different = phones.iter().map(|p| {
        app.post("/api/v1/auth/register")
            .json(&json!({"phone": p, "password": PASSWORD, "full_name": "An"}))
            .send()
    });
    let results = futures::future::join_all(different).await;
    assert!(
        results.iter().all(|r| r.status == 201),
        "{:?}",
        results.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 13);
}

#[tokio::test]
async fn role_extractors_say_who_may_call() {
    use axum::routing::get;
    use citizen_feedback::auth::Role;
    use citizen_feedback::auth::extract::{Admin, Citizen, Coordinator, Staff};
    use tower::ServiceExt as _;

    let app = TestApp::spawn().await;
    let citizen = app.register("0912345678").await;
    let officer = app
        .user_with_role(Role::Officer, "officer@example.com", None)
        .await;
    let coordinator = app
        .user_with_role(Role::Coordinator, "coord@example.com", None)
        .await;
    let admin = app
        .user_with_role(Role::Admin, "admin@example.com", None)
        .await;

    let router = axum::Router::new()
        .route("/citizen", get(|_: Citizen| async {}))
        .route("/staff", get(|_: Staff| async {}))
        .route("/coordinator", get(|_: Coordinator| async {}))
        .route("/admin", get(|_: Admin| async {}))
        .with_state(app.state.clone());
    let call = |path: &'static str, token: Option<String>| {
        let router = router.clone();
        async move {
            let mut req = axum::http::Request::get(path);
            if let Some(t) = token {
                req = req.header("authorization", format!("Bearer {t}"));
            }
            router
                .oneshot(req.body(axum::body::Body::empty()).expect("request"))
                .await
                .expect("response")
                .status()
                .as_u16()
        }
    };
    let expected = [
        // (path, citizen, officer, coordinator, admin)
        ("/citizen", [200, 403, 403, 403]),
        ("/staff", [403, 200, 200, 200]),
        ("/coordinator", [403, 403, 200, 200]),
        ("/admin", [403, 403, 403, 200]),
    ];
    let who = [&citizen, &officer, &coordinator, &admin];
    for (path, statuses) in expected {
        for (session, status) in who.iter().zip(statuses) {
            assert_eq!(
                call(path, Some(session.access.clone())).await,
                status,
                "{path} {:?}",
                session.user_id
            );
        }
        assert_eq!(call(path, None).await, 401, "{path} anonymous");
    }
}

/// A registration that slips past the "already registered" check loses on
/// the database's unique index; that answer must name the phone or email
/// too, on either database (which report the index differently).
#[tokio::test]
async fn a_taken_phone_or_email_caught_by_the_index_is_named() {
    use citizen_feedback::auth::Role;
    use citizen_feedback::entities::users;
    use citizen_feedback::error::AppError;
    use citizen_feedback::i18n::Locale;
    use citizen_feedback::messages::Msg;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};

    let app = TestApp::spawn().await;
    app.register("0912345678").await;
    let now = app.clock.now();
    let row = |phone: Option<&str>, email: Option<&str>| users::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        phone: Set(phone.map(str::to_owned)),
        email: Set(email.map(str::to_owned)),
        password_hash: Set("!".into()),
        full_name: Set("Race".into()),
        role: Set(Role::Citizen),
        unit_id: Set(None),
        locale: Set(Locale::Vi),
        created_at: Set(now),
        updated_at: Set(now),
        disabled_at: Set(None),
        deleted_at: Set(None),
    };
    row(None, Some("an@example.com"))
        .insert(&app.db)
        .await
        .expect("first email");

    let err = row(Some("+84912345678"), None)
        .insert(&app.db)
        .await
        .expect_err("the phone is taken");
    let err = AppError::from(err);
    assert!(
        matches!(err, AppError::Conflict(Msg::PhoneTaken)),
        "{err:?}"
    );
    let err = row(None, Some("an@example.com"))
        .insert(&app.db)
        .await
        .expect_err("the email is taken");
    let err = AppError::from(err);
    assert!(
        matches!(err, AppError::Conflict(Msg::EmailTaken)),
        "{err:?}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 2);
}
