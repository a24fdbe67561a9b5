//! HTTP plumbing: every error is problem+json, request ids, CORS, compression,
//! timeouts, body limits, health, readiness, metrics, docs.

mod common;

use common::TestApp;
use figment::providers::Serialized;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_problems() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/nothing-here").send().await;
    res.assert_problem(404, "not-found");
    assert_eq!(res.body["instance"], "/api/v1/nothing-here");
    assert_eq!(res.body["detail"], "Đường dẫn không tồn tại.");

    let res = app
        .req(reqwest::Method::DELETE, "/api/v1/auth/login")
        .lang("en")
        .send()
        .await;
    res.assert_problem(405, "method-not-allowed");
    assert_eq!(res.body["title"], "Method not allowed");
    assert_eq!(res.header("allow"), Some("POST"));
}

#[tokio::test]
async fn bad_bodies_are_problems_and_change_nothing() {
    let app =
        TestApp::spawn_with(|f| f.merge(Serialized::default("http.body_limit_bytes", 256))).await;
    let malformed = app
        .post("/api/v1/auth/register")
        .header("content-type", "application/json")
        .body("{\"phone\": \"0912345678\",")
        .send()
        .await;
    malformed.assert_problem(400, "malformed-json");

    let not_json = app
        .post("/api/v1/auth/register")
        .header("content-type", "text/plain")
        .body("phone=0912345678")
        .send()
        .await;
    not_json.assert_problem(415, "unsupported-media-type");
    let no_type = app.post("/api/v1/auth/register").body("{}").send().await;
    no_type.assert_problem(415, "unsupported-media-type");

    let big = app
        .post("/api/v1/auth/register")
        .lang("en")
        .json(&json!({"phone": "0912345678", "password": "x".repeat(300), "full_name": "An"}))
        .send()
        .await;
    big.assert_problem(413, "payload-too-large");
    assert_eq!(big.body["detail"], "The request body is too large.");

    let array = app
        .post("/api/v1/auth/register")
        .json(&json!([1, 2]))
        .send()
        .await;
    array.assert_problem(422, "validation-error");
    assert_eq!(array.error_fields(), [""], "the body itself: not an object");

    // A JSON subtype is JSON too.
    let res = app
        .post("/api/v1/auth/login")
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"login": "nobody@example.com", "password": "whatever1"}"#)
        .send()
        .await;
    res.assert_problem(401, "unauthorized");

    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn slow_requests_time_out_with_a_problem() {
    let app =
        TestApp::spawn_with(|f| f.merge(Serialized::default("http.request_timeout_secs", 1))).await;
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    // Promise 100 bytes of body and send one.
    stream
        .write_all(b"POST /api/v1/auth/login HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\naccept-language: en\r\ncontent-length: 100\r\n\r\n{")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if String::from_utf8_lossy(&buf).contains("\"status\":408") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer before the test's own timeout");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
    assert!(text.contains("request-timeout"), "{text}");
}

#[tokio::test]
async fn request_ids_are_made_or_echoed() {
    let app = TestApp::spawn().await;
    let res = app.get("/healthz").send().await;
    let id = res.header("x-request-id").expect("request id").to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");

    let res = app
        .get("/api/v1/me")
        .header("x-request-id", "client-chosen-42")
        .send()
        .await;
    assert_eq!(res.header("x-request-id"), Some("client-chosen-42"));
    assert_eq!(res.body["request_id"], "client-chosen-42");
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = TestApp::spawn_with(|f| {
        f.merge(Serialized::default(
            "http.cors_allowed_origins",
            ["https://staff.example.gov.vn"],
        ))
    })
    .await;
    let preflight = |origin: &'static str| {
        let app = &app;
        async move {
            app.req(reqwest::Method::OPTIONS, "/api/v1/auth/login")
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "content-type,authorization",
                )
                .send()
                .await
        }
    };
    let ok = preflight("https://staff.example.gov.vn").await;
    assert!(ok.status < 300, "{}", ok.status);
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("https://staff.example.gov.vn")
    );
    let other = preflight("https://evil.example.com").await;
    assert_eq!(other.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn large_responses_are_compressed() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::spawn().await;
    let res = app.get("/healthz").send().await;
    assert_eq!(
        (res.status, res.body.clone()),
        (200, json!({"status": "ok"}))
    );
    let res = app.get("/readyz").send().await;
    assert_eq!(
        (res.status, res.body.clone()),
        (200, json!({"status": "ok"}))
    );
    app.get("/api/v1/me").send().await;

    let res = app.get("/metrics").send().await;
    assert_eq!(res.status, 200);
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain"))
    );
    let text = res.body.as_str().expect("text");
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/api/v1/me",status="401"}"#),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains(r#"db_pool_connections{state="idle"}"#),
        "{text}"
    );
    assert!(text.contains("db_pool_max_connections 5"), "{text}");

    // With the database gone, readiness fails (and says so as a problem).
    app.state.db.close_by_ref().await.expect("close");
    let res = app.get("/readyz").send().await;
    res.assert_problem(503, "service-unavailable");
    assert_eq!(app.get("/healthz").send().await.status, 200);
}

#[tokio::test]
async fn interactive_docs_are_served_without_internet() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/docs/"))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "{html}");
    // Its script and styles come from this server, not a CDN.
    assert!(!html.contains("cdn."), "{html}");
    let res = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 200);
    let init = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .expect("send");
    assert!(init.text().await.expect("js").contains("/openapi.json"));

    let spec = app.get("/openapi.json").send().await;
    assert_eq!(spec.status, 200);
    assert_eq!(
        spec.body["paths"]["/api/v1/auth/login"]["post"]["tags"][0],
        "accounts"
    );
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let mut app =
        TestApp::spawn_with(|f| f.merge(Serialized::default("http.shutdown_grace_secs", 10))).await;
    let body = br#"{"login":"nobody@example.com","password":"whatever1"}"#;
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream.write_all(&body[..10]).await.expect("write part");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    // SIGTERM arrives while the request is half sent...
    app.shutdown();
    // ... new connections are refused (soon: give a loaded machine time) ...
    let mut refused = false;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        if tokio::net::TcpStream::connect(app.addr).await.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "still accepting after shutdown");
    // ... and the request in flight still gets its answer.
    stream.write_all(&body[10..]).await.expect("write rest");
    let mut answer = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_string(&mut answer),
    )
    .await
    .expect("answered in time")
    .expect("read");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

#[tokio::test]
async fn invented_methods_do_not_grow_metrics() {
    let app = TestApp::spawn().await;
    for i in 0..3000 {
        let m = reqwest::Method::from_bytes(format!("INVENTED{i}").as_bytes()).expect("method");
        let path = if i % 2 == 0 {
            "/api/v1/reports"
        } else {
            "/no/such/path"
        };
        let res = app.req(m, path).send().await;
        assert!(res.status >= 400 && res.status < 500, "{}", res.status);
    }
    let res = app.get("/metrics").send().await;
    let text = res.body.as_str().expect("text");
    assert!(!text.contains("INVENTED"), "invented methods became labels");
    assert!(
        text.contains(r#"method="other",route="/api/v1/reports",status="405""#),
        "{text}"
    );
}

/// What a person reads about a bad body is in their language and free of
/// serde's and Rust's words.
#[tokio::test]
async fn malformed_bodies_are_explained_without_rust() {
    let app = TestApp::spawn().await;
    let s = app.register("0912345678").await;
    let rust_words = [
        "invalid type",
        "expected",
        "i64",
        "i16",
        "f64",
        "struct",
        "Request",
        "line 1 column",
    ];
    let cases = [
        (
            "/api/v1/auth/login",
            r#"{"login": 5.5, "password": "x"}"#,
            "login",
        ),
        (
            "/api/v1/auth/login",
            r#"{"login": "a", "password": ["x"]}"#,
            "password",
        ),
        (
            "/api/v1/reports/00000000-0000-7000-8000-000000000000/rating",
            r#"{"score": 5.0}"#,
            "",
        ),
        ("/api/v1/auth/login", r#"{"login": "#, ""),
        ("/api/v1/auth/login", r#""just a string""#, ""),
    ];
    for (path, body, field) in cases {
        let res = app
            .post(path)
            .token(&s.access)
            .lang("vi")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        assert!(
            res.status == 400 || res.status == 422 || res.status == 404,
            "{body}: {}",
            res.body
        );
        assert_eq!(res.header("content-language"), Some("vi"));
        // The request id is random hex: "…cf64…" is no Rust type.
        let mut shown = res.body.clone();
        if let Some(o) = shown.as_object_mut() {
            o.remove("request_id");
        }
        let text = shown.to_string();
        for w in rust_words {
            assert!(!text.contains(w), "{w:?} in {text}");
        }
        if !field.is_empty() {
            assert_eq!(res.error_fields(), [field], "{text}");
        }
    }
    let wrong = app
        .post("/api/v1/auth/login")
        .lang("vi")
        .json(&json!({"login": 5.5, "password": "x"}))
        .send()
        .await;
    assert_eq!(
        wrong.body["errors"][0]["message"],
        "Phải là một chuỗi ký tự."
    );
    let en = app
        .post("/api/v1/auth/login")
        .lang("en")
        .header("content-type", "application/json")
        .body(r#"{"login": "#)
        .send()
        .await;
    en.assert_problem(400, "malformed-json");
    assert_eq!(
        en.body["detail"],
        "The body is not valid JSON (line 1, column 10)."
    );
}

#[tokio::test]
async fn an_over_long_url_is_a_problem() {
    let app = TestApp::spawn().await;
    let long = format!("/api/v1/public/reports?q={}", "a".repeat(20_000));
    let res = app.get(&long).lang("vi").send().await;
    res.assert_problem(414, "uri-too-long");
    assert!(res.body["instance"].is_null(), "not echoed back");
    assert!(
        res.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("8192")),
        "{}",
        res.body
    );
}
