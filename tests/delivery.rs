//! Delivery: the outbox worker and signed webhooks, against a webhook
//! receiver started in this process on 127.0.0.1. Retry delays are fractions
//! of a second; every wait is bounded and nothing asserts on timing.
//!
//! The address guard is tested with loopback addresses only: 127.0.0.1 is
//! allowed by the test setting, 127.0.0.2 is refused with it off.

mod common;

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use citizen_feedback::entities::webhooks;
use common::{TestApp, id_of};
use figment::Figment;
use figment::providers::Serialized;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Hit {
    id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
}

/// A webhook endpoint: answers the queued statuses in turn, then 200.
#[derive(Clone, Default)]
struct Receiver {
    hits: Arc<Mutex<Vec<Hit>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start(answers: &[u16]) -> (Receiver, String) {
        let r = Receiver {
            hits: Arc::default(),
            answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
        };
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(r.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (r, format!("http://127.0.0.1:{}/hook", addr.port()))
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("hits").clone()
    }
}

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    r.hits.lock().expect("hits").push(Hit {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
        body: body.to_vec(),
    });
    let code = r
        .answers
        .lock()
        .expect("answers")
        .pop_front()
        .unwrap_or(200);
    StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
}

/// Verifies a request the way the README tells receivers to.
fn verify(secret: &str, hit: &Hit) -> bool {
    let Some(key) = secret
        .strip_prefix("whsec_")
        .and_then(|s| STANDARD.decode(s).ok())
    else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&key) else {
        return false;
    };
    mac.update(format!("{}.{}.", hit.id, hit.timestamp).as_bytes());
    mac.update(&hit.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    hit.signature.split(' ').any(|s| s == expected)
}

/// Polls `f` until it gives a value, for at most 30 s.
async fn eventually<T, Fut: Future<Output = Option<T>>>(
    what: &str,
    mut f: impl FnMut() -> Fut,
) -> T {
    for _ in 0..600 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up waiting for {what}");
}

fn fast(f: Figment, backoff: &[f64]) -> Figment {
    f.merge(Serialized::default("delivery.retry_backoff_secs", backoff))
        .merge(Serialized::default("delivery.poll_interval_ms", 20))
        .merge(Serialized::default("delivery.allow_private_targets", true))
}

async fn register_hook(app: &TestApp, admin: &str, url: &str, events: Value) -> Value {
    let res = app
        .post("/api/v1/admin/webhooks")
        .token(admin)
        .json(&json!({"url": url, "events": events, "description": "Tổng đài 1022"}))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.body
}

async fn deliveries(app: &TestApp, admin: &str, hook: Uuid) -> Vec<Value> {
    let res = app
        .get(&format!("/api/v1/admin/webhooks/{hook}/deliveries"))
        .token(admin)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_signed_report_created_is_sent_again_until_the_receiver_takes_it() {
    let app = TestApp::spawn_with(|f| fast(f, &[0.05, 0.1, 0.1])).await;
    let city = app.city().await;
    let admin = city.admin.access.clone();
    let (receiver, url) = Receiver::start(&[500, 500]).await;
    let hook = register_hook(&app, &admin, &url, json!(["report.created"])).await;
    let secret = hook["secret"]
        .as_str()
        .expect("secret shown at creation")
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    let hook_id = id_of(&hook);

    // The secret is never shown again.
    let list = app.get("/api/v1/admin/webhooks").token(&admin).send().await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["items"][0]["id"], hook["id"]);
    assert!(
        list.body["items"][0].get("secret").is_none(),
        "{}",
        list.body
    );

    let citizen = app.register("0912345678").await;
    let report = app
        .file(&citizen.access, &TestApp::report_body(city.lights))
        .await;

    let hits = eventually("three attempts", || {
        let r = receiver.clone();
        async move {
            let h = r.hits();
            (h.len() >= 3).then_some(h)
        }
    })
    .await;
    let first = &hits[0];
    let body: Value = serde_json::from_slice(&first.body).expect("JSON body");
    assert_eq!(body["type"], "report.created");
    assert_eq!(body["data"]["report"]["code"], report["code"]);
    assert_eq!(body["data"]["event"]["kind"], "created");
    assert_eq!(body["data"]["event"]["to_status"], "submitted");
    assert!(body["data"]["event"]["public_message"].is_null());
    assert!(body["data"]["report"].get("reporter").is_none(), "{body}");
    assert!(body["data"]["report"].get("timeline").is_none(), "{body}");
    let event_id = body["data"]["event"]["id"].as_str().expect("event id");
    assert_eq!(first.id, format!("msg_{event_id}"));
    for h in &hits {
        assert_eq!(h.id, first.id, "the same webhook-id on every retry");
        assert_eq!(h.body, first.body, "the same bytes on every retry");
        assert!(verify(&secret, h), "signature of {h:?}");
        assert!(!verify(
            "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            h
        ));
    }

    let log = eventually("the delivery recorded as delivered", || {
        let app = &app;
        let admin = admin.clone();
        async move {
            let d = deliveries(app, &admin, hook_id).await;
            (d.first().is_some_and(|d| d["status"] == "delivered")).then_some(d)
        }
    })
    .await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["attempts"], 3, "{log:?}");
    assert_eq!(log[0]["last_status_code"], 200);
    assert_eq!(log[0]["event_type"], "report.created");
    assert!(log[0]["delivered_at"].is_string());
    assert_eq!(receiver.hits().len(), 3, "nothing after the 200");

    let metrics = app.get("/metrics").send().await;
    let text = metrics.body.as_str().unwrap_or_default();
    assert!(
        text.contains("delivery_sent_total{channel=\"webhook\"}"),
        "{text}"
    );
    assert!(text.contains("delivery_retried_total{channel=\"webhook\"}"));
}

#[tokio::test]
async fn a_failed_delivery_is_retried_by_the_admin_and_a_rotated_secret_signs_twice() {
    // No delays: one attempt, then failed.
    let app = TestApp::spawn_with(|f| fast(f, &[])).await;
    let city = app.city().await;
    let admin = city.admin.access.clone();
    let (receiver, url) = Receiver::start(&[503]).await;
    let hook = register_hook(&app, &admin, &url, json!(["*"])).await;
    let old_secret = hook["secret"].as_str().expect("secret").to_owned();
    let hook_id = id_of(&hook);
    let citizen = app.register("0912345678").await;
    app.file(&citizen.access, &TestApp::report_body(city.lights))
        .await;

    let failed = eventually("the delivery to fail", || {
        let app = &app;
        let admin = admin.clone();
        async move {
            let d = deliveries(app, &admin, hook_id).await;
            d.into_iter().find(|d| d["status"] == "failed")
        }
    })
    .await;
    assert_eq!(failed["attempts"], 1);
    assert_eq!(failed["last_status_code"], 503);
    assert!(failed["last_error"].is_string());
    let delivery_id = id_of(&failed);

    let rotated = app
        .post(&format!("/api/v1/admin/webhooks/{hook_id}/rotate-secret"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new_secret = rotated.body["secret"].as_str().expect("secret").to_owned();
    assert_ne!(new_secret, old_secret);

    let retry = app
        .post(&format!(
            "/api/v1/admin/webhooks/{hook_id}/deliveries/{delivery_id}/retry"
        ))
        .token(&admin)
        .send()
        .await;
    assert_eq!(retry.status, 202, "{}", retry.body);
    assert_eq!(retry.body["status"], "pending");

    let done = eventually("the retried delivery to arrive", || {
        let app = &app;
        let admin = admin.clone();
        let wanted = failed["id"].clone();
        async move {
            let d = deliveries(app, &admin, hook_id).await;
            d.into_iter()
                .find(|d| d["id"] == wanted && d["status"] == "delivered")
        }
    })
    .await;
    assert_eq!(done["attempts"], 2);
    let hits = receiver.hits();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].id, hits[1].id);
    // Within a day of the rotation both secrets sign.
    assert!(verify(&new_secret, &hits[1]));
    assert!(verify(&old_secret, &hits[1]));
    assert_eq!(hits[1].signature.split(' ').count(), 2);

    // Only a failed delivery can be retried.
    app.post(&format!(
        "/api/v1/admin/webhooks/{hook_id}/deliveries/{delivery_id}/retry"
    ))
    .token(&admin)
    .send()
    .await
    .assert_problem(409, "conflict");
    app.post(&format!(
        "/api/v1/admin/webhooks/{hook_id}/deliveries/{}/retry",
        Uuid::now_v7()
    ))
    .token(&admin)
    .send()
    .await
    .assert_problem(404, "not-found");

    // Turned off, then deleted.
    let off = app
        .patch(&format!("/api/v1/admin/webhooks/{hook_id}"))
        .token(&admin)
        .json(&json!({"active": false, "description": null}))
        .send()
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert_eq!(off.body["active"], false);
    assert!(off.body["description"].is_null());
    let del = app
        .delete(&format!("/api/v1/admin/webhooks/{hook_id}"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(del.status, 204);
    app.get(&format!("/api/v1/admin/webhooks/{hook_id}/deliveries"))
        .token(&admin)
        .send()
        .await
        .assert_problem(404, "not-found");
}

#[tokio::test]
async fn bad_webhook_input_is_422_naming_the_field() {
    // The default: private targets refused.
    let app = TestApp::spawn().await;
    let admin = app.admin().await.access;
    let cases = [
        (
            json!({"url": "ftp://127.0.0.1/hook", "events": ["*"]}),
            "url",
        ),
        (json!({"url": "/hook", "events": ["*"]}), "url"),
        (json!({"url": "127.0.0.1/hook", "events": ["*"]}), "url"),
        (json!({"events": ["*"]}), "url"),
        // Loopback, and the setting is off.
        (
            json!({"url": "http://127.0.0.2:9/hook", "events": ["*"]}),
            "url",
        ),
        (
            json!({"url": "http://[::1]:9/hook", "events": ["*"]}),
            "url",
        ),
        (
            json!({"url": "http://127.0.0.2:9/hook", "events": ["report.exploded"]}),
            "events",
        ),
        (
            json!({"url": "http://127.0.0.2:9/hook", "events": ["report.note"]}),
            "events",
        ),
        (
            json!({"url": "http://127.0.0.2:9/hook", "events": []}),
            "events",
        ),
        (json!({"url": "http://127.0.0.2:9/hook"}), "events"),
    ];
    for (body, field) in cases {
        let res = app
            .post("/api/v1/admin/webhooks")
            .token(&admin)
            .json(&body)
            .send()
            .await;
        res.assert_problem(422, "validation-error");
        assert!(
            res.error_fields().iter().any(|f| f == field),
            "{body}: {}",
            res.body
        );
    }
    let missing = Uuid::now_v7();
    let res = app
        .patch(&format!("/api/v1/admin/webhooks/{missing}"))
        .token(&admin)
        .json(&json!({"events": ["nope"]}))
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    app.patch(&format!("/api/v1/admin/webhooks/{missing}"))
        .token(&admin)
        .json(&json!({"active": true}))
        .send()
        .await
        .assert_problem(404, "not-found");

    // Admins only.
    let citizen = app.register("0912345678").await;
    let res = app
        .post("/api/v1/admin/webhooks")
        .token(&citizen.access)
        .json(&json!({"url": "http://127.0.0.2:9/hook", "events": ["*"]}))
        .send()
        .await;
    assert_eq!(res.status, 403, "{}", res.body);
}

#[tokio::test]
async fn the_address_is_checked_again_at_delivery() {
    // Private targets refused; an endpoint that points at one anyway (its
    // name resolved elsewhere at registration, say) is never called.
    let app = TestApp::spawn_with(|f| {
        f.merge(Serialized::default(
            "delivery.retry_backoff_secs",
            Vec::<f64>::new(),
        ))
        .merge(Serialized::default("delivery.poll_interval_ms", 20))
    })
    .await;
    let city = app.city().await;
    let admin = city.admin.access.clone();
    let (receiver, url) = Receiver::start(&[]).await;
    let port = url
        .trim_end_matches("/hook")
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    let now = app.clock.now();
    let id = Uuid::now_v7();
    webhooks::ActiveModel {
        id: Set(id),
        url: Set(format!("http://127.0.0.2:{port}")),
        events: Set(json!(["*"])),
        description: Set(None),
        secret: Set("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        active: Set(true),
        failing_since: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&app.db)
    .await
    .expect("insert webhook");
    let citizen = app.register("0912345678").await;
    app.file(&citizen.access, &TestApp::report_body(city.lights))
        .await;
    let failed = eventually("the refused delivery", || {
        let app = &app;
        let admin = admin.clone();
        async move {
            let d = deliveries(app, &admin, id).await;
            d.into_iter().find(|d| d["status"] == "failed")
        }
    })
    .await;
    let error = failed["last_error"].as_str().unwrap_or_default();
    assert!(error.starts_with("refused"), "{failed}");
    assert!(failed["last_status_code"].is_null());
    assert!(receiver.hits().is_empty());
}

#[tokio::test]
async fn several_workers_on_one_database_deliver_each_event_once() {
    // Small batches and a fast poll make the workers race for rows.
    let app = TestApp::spawn_with(|f| {
        fast(f, &[0.05])
            .merge(Serialized::default("delivery.batch_size", 2))
            .merge(Serialized::default("delivery.poll_interval_ms", 5))
            .merge(Serialized::default("reports.per_user_burst", 50))
    })
    .await;
    // Two more workers beside the app's own, as other instances would run.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let extra: Vec<_> = (0..2)
        .map(|_| tokio::spawn(app.state.delivery_worker().run(stop_rx.clone())))
        .collect();
    let city = app.city().await;
    let admin = city.admin.access.clone();
    let (receiver, url) = Receiver::start(&[]).await;
    let hook_id = id_of(&register_hook(&app, &admin, &url, json!(["report.created"])).await);
    let citizen = app.register("0912345678").await;
    const N: usize = 12;
    for i in 0..N {
        let mut body = TestApp::report_body(city.lights);
        body["title"] = json!(format!("Đèn đường số {i} không sáng"));
        app.file(&citizen.access, &body).await;
    }
    eventually("every delivery settled", || {
        let app = &app;
        let admin = admin.clone();
        async move {
            let d = deliveries(app, &admin, hook_id).await;
            (d.len() == N && d.iter().all(|d| d["status"] == "delivered")).then_some(())
        }
    })
    .await;
    eventually("the outbox drained", || {
        let app = &app;
        async move {
            (app.count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
                .await
                == 0)
                .then_some(())
        }
    })
    .await;
    let _ = stop_tx.send(true);
    for w in extra {
        let _ = w.await;
    }
    let hits = receiver.hits();
    let ids: HashSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.len(), N, "every event arrived");
    assert_eq!(hits.len(), N, "and each exactly once");
    for d in deliveries(&app, &admin, hook_id).await {
        assert_eq!(d["attempts"], 1, "{d}");
    }
}

/// Two app instances on one PostgreSQL, each with its own outbox worker:
/// reports filed through both are each delivered once, by one of them.
#[tokio::test]
async fn two_instances_on_one_database_deliver_each_event_once() {
    if !common::is_postgres() {
        return; // Several instances share PostgreSQL; SQLite is one process's.
    }
    let configure = |f: Figment| {
        fast(f, &[0.05])
            .merge(Serialized::default("delivery.batch_size", 2))
            .merge(Serialized::default("delivery.poll_interval_ms", 5))
            .merge(Serialized::default("reports.per_user_burst", 50))
    };
    let app = TestApp::spawn_with(configure).await;
    let peer = app.spawn_peer(configure).await;
    let city = app.city().await;
    let admin = city.admin.access.clone();
    let (receiver, url) = Receiver::start(&[]).await;
    let hook_id = id_of(&register_hook(&app, &admin, &url, json!(["report.created"])).await);
    let citizen = app.register("0912345678").await;
    const N: usize = 10;
    for i in 0..N {
        let mut body = TestApp::report_body(city.lights);
        body["title"] = json!(format!("Cống số {i} bị tắc"));
        // Half through each instance.
        let through = if i % 2 == 0 { &app } else { &peer };
        through.file(&citizen.access, &body).await;
    }
    eventually("every delivery settled", || {
        let app = &app;
        let admin = admin.clone();
        async move {
            let d = deliveries(app, &admin, hook_id).await;
            (d.len() == N && d.iter().all(|d| d["status"] == "delivered")).then_some(())
        }
    })
    .await;
    let hits = receiver.hits();
    let ids: HashSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.len(), N, "every event arrived");
    assert_eq!(hits.len(), N, "and each exactly once");
    for d in deliveries(&app, &admin, hook_id).await {
        assert_eq!(d["attempts"], 1, "{d}");
    }
}

/// A worker (another connection, as another instance would be) sees a
/// report's change only once its transaction commits: a change still in
/// flight is not delivered, one rolled back never is, and what is delivered
/// is the committed state.
#[tokio::test]
async fn only_committed_changes_are_delivered() {
    use citizen_feedback::reports::service::{NewReport, insert_filed};
    let app = TestApp::spawn_with(|f| fast(f, &[0.05])).await;
    let city = app.city().await;
    let admin = city.admin.access.clone();
    let (receiver, url) = Receiver::start(&[]).await;
    let hook_id = id_of(&register_hook(&app, &admin, &url, json!(["report.created"])).await);
    let citizen = app.register("0912345678").await;
    let new = |title: &str| NewReport {
        category_id: city.lights,
        title: title.into(),
        description: "Cột đèn trước số 12 không sáng.".into(),
        lat: 21.028511,
        lng: 105.854167,
        address: None,
        area_code: Some("00070".into()),
        media_ids: vec![],
        is_anonymous: false,
        is_public: true,
    };
    let ctx = app.state.ctx();

    // Rolled back: its event and outbox row never existed for anyone.
    let txn = citizen_feedback::db::begin_write(&app.db)
        .await
        .expect("begin");
    insert_filed(
        &txn,
        ctx,
        city.lights,
        Some(citizen.user_id),
        new("Bỏ đi"),
        None,
    )
    .await
    .expect("insert");
    txn.rollback().await.expect("rollback");

    // In flight: the worker polls many times meanwhile and finds nothing.
    let txn = citizen_feedback::db::begin_write(&app.db)
        .await
        .expect("begin");
    let filed = insert_filed(
        &txn,
        ctx,
        city.lights,
        Some(citizen.user_id),
        new("Đèn đường không sáng"),
        None,
    )
    .await
    .expect("insert");
    // Read through the pool, outside the transaction.
    let claimed = citizen_feedback::delivery::outbox::claim(
        &app.db,
        app.clock.now() + chrono::Duration::minutes(1),
        chrono::Duration::seconds(30),
        10,
    )
    .await
    .expect("claim");
    assert!(claimed.is_empty(), "an uncommitted change was claimed");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.hits().is_empty(), "an uncommitted change was sent");
    txn.commit().await.expect("commit");

    let d = eventually("the committed report delivered", || {
        let app = &app;
        let admin = admin.clone();
        async move {
            let d = deliveries(app, &admin, hook_id).await;
            (d.len() == 1 && d[0]["status"] == "delivered").then_some(d)
        }
    })
    .await;
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1, "only the committed report: {d:?}");
    let body: Value = serde_json::from_slice(&hits[0].body).expect("json");
    assert_eq!(
        body["data"]["report"]["code"], filed.code,
        "the committed report: {body}"
    );
    assert_eq!(body["data"]["report"]["status"], "submitted");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reports").await,
        1,
        "the rolled-back report left nothing"
    );
}
