//! The live queue, `GET /api/v1/staff/stream`: read as a client reads it
//! (the SSE body, chunk by chunk), with bounded waits only.

mod common;

use std::pin::Pin;
use std::time::Duration;

use citizen_feedback::auth::Role;
use citizen_feedback::stream::feed::{Feed, FeedConfig, Item, Start};
use citizen_feedback::stream::hub::hub_for;
use citizen_feedback::stream::service::{Caller, StreamEvent};
use common::{City, TestApp, id_of, is_postgres};
use figment::Figment;
use figment::providers::Serialized;
use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Default, Clone)]
struct Frame {
    id: Option<String>,
    event: Option<String>,
    data: String,
    comments: Vec<String>,
}

impl Frame {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data).expect("data is JSON")
    }
}

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

struct Sse {
    body: Body,
    buf: String,
    ended: bool,
}

impl Sse {
    async fn open(app: &TestApp, token: &str, last_event_id: Option<&str>) -> Sse {
        let mut req = app
            .client
            .get(app.url("/api/v1/staff/stream"))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let res = req.send().await.expect("sent");
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        Sse {
            body: Box::pin(res.bytes_stream()),
            buf: String::new(),
            ended: false,
        }
    }

    /// The next frame within `within`; `None` on timeout or at the end.
    async fn frame(&mut self, within: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(i) = self.buf.find("\n\n") {
                let raw: String = self.buf.drain(..i + 2).collect();
                let mut f = Frame::default();
                for line in raw.lines() {
                    if let Some(c) = line.strip_prefix(':') {
                        f.comments.push(c.trim().to_owned());
                    } else if let Some((k, v)) = line.split_once(':') {
                        let v = v.strip_prefix(' ').unwrap_or(v).to_owned();
                        match k {
                            "id" => f.id = Some(v),
                            "event" => f.event = Some(v),
                            "data" => {
                                if !f.data.is_empty() {
                                    f.data.push('\n');
                                }
                                f.data.push_str(&v);
                            }
                            _ => {}
                        }
                    }
                }
                return Some(f);
            }
            if self.ended {
                return None;
            }
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Err(_) => return None,
                Ok(None) => self.ended = true,
                Ok(Some(chunk)) => match chunk {
                    Ok(b) => self.buf.push_str(&String::from_utf8_lossy(&b)),
                    Err(_) => self.ended = true,
                },
            }
        }
    }

    /// Waits for the `: ready` comment: from here on every commit arrives.
    async fn ready(&mut self) {
        loop {
            let f = self.frame(WAIT).await.expect("the stream says it is ready");
            if f.comments.iter().any(|c| c == "ready") {
                return;
            }
        }
    }

    /// The next named event (comments skipped); panics after `WAIT`.
    async fn event(&mut self) -> Frame {
        self.event_within(WAIT).await.expect("an event in time")
    }

    async fn event_within(&mut self, within: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let f = self.frame(left).await?;
            if f.event.is_some() {
                return Some(f);
            }
        }
    }

    /// Named events until one matches `until` (included).
    async fn events_until(&mut self, until: impl Fn(&Frame) -> bool) -> Vec<Frame> {
        let mut out = Vec::new();
        loop {
            let f = self.event().await;
            let done = until(&f);
            out.push(f);
            if done {
                return out;
            }
        }
    }
}

fn fast(f: Figment) -> Figment {
    f.merge(Serialized::default("stream.poll_interval_ms", 100))
}

/// A second ward, `00071`, with street lights routed to it.
async fn second_ward(app: &TestApp, city: &City) -> Uuid {
    let res = app
        .post("/api/v1/admin/units")
        .token(&city.admin.access)
        .json(&json!({"code": "HN-HANGBAC", "name": "Phường Hàng Bạc", "kind": "ward", "parent_id": city.root, "area_code": "00071"}))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let ward = id_of(&res.body);
    let res = app
        .post("/api/v1/admin/routing-rules")
        .token(&city.admin.access)
        .json(&json!({"category_id": city.lights, "area_code": "00071", "unit_id": ward}))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    ward
}

fn body_in(city: &City, area: &str) -> Value {
    let mut b = TestApp::report_body(city.lights);
    b["area_code"] = json!(area);
    b
}

#[tokio::test]
async fn only_staff_may_open_a_stream_and_nothing_streams_before() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/staff/stream").send().await;
    res.assert_problem(401, "unauthorized");
    let citizen = app.register("0912345678").await;
    let res = app
        .get("/api/v1/staff/stream")
        .token(&citizen.access)
        .send()
        .await;
    res.assert_problem(403, "forbidden");
    let admin = app.admin().await;
    let res = app
        .get("/api/v1/staff/stream")
        .token(&admin.access)
        .header("last-event-id", "not-an-event")
        .send()
        .await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.error_fields(), vec!["Last-Event-ID"]);
}

#[tokio::test]
async fn a_coordinator_sees_new_reports_in_scope_and_another_ward_does_not() {
    let app = TestApp::spawn_with(fast).await;
    let city = app.city().await;
    let other_ward = second_ward(&app, &city).await;
    let coord = app
        .user_with_role(Role::Coordinator, "coord.hk@hanoi.gov.vn", Some(city.ward))
        .await;
    let other = app
        .user_with_role(Role::Coordinator, "coord.hb@hanoi.gov.vn", Some(other_ward))
        .await;
    let mut mine = Sse::open(&app, &coord.access, None).await;
    let mut theirs = Sse::open(&app, &other.access, None).await;
    mine.ready().await;
    theirs.ready().await;

    let citizen = app.register("0912345678").await;
    let filed = app.file(&citizen.access, &body_in(&city, "00070")).await;
    let id = id_of(&filed);

    let f = mine.event().await;
    assert_eq!(f.event.as_deref(), Some("report.created"));
    let data = f.json();
    assert_eq!(f.id.as_deref(), data["event_id"].as_str());
    assert_eq!(data["report_id"], json!(id));
    assert_eq!(data["code"], filed["code"]);
    assert_eq!(data["kind"], "created");
    assert_eq!(data["status"], filed["status"]);
    assert_eq!(data["unit_id"], json!(city.ward));
    assert!(data["at"].as_str().is_some());

    // Internal notes reach staff streams too.
    let res = app
        .post(&format!("/api/v1/staff/reports/{id}/notes"))
        .token(&coord.access)
        .json(&json!({"message": "Gọi đội điện lực."}))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let f = mine.event().await;
    assert_eq!(f.event.as_deref(), Some("report.note"));
    assert_eq!(f.json()["report_id"], json!(id));

    // The other ward's first event is its own report: nothing of the first
    // ward came before it.
    let theirs_filed = app.file(&citizen.access, &body_in(&city, "00071")).await;
    let f = theirs.event().await;
    assert_eq!(f.event.as_deref(), Some("report.created"));
    assert_eq!(f.json()["report_id"], json!(id_of(&theirs_filed)));
    assert_eq!(f.json()["unit_id"], json!(other_ward));
    // And the first ward never hears of the second's.
    let f = mine.event_within(Duration::from_secs(1)).await;
    assert!(f.is_none(), "{f:?}");
}

#[tokio::test]
async fn last_event_id_resumes_with_what_was_missed_and_nothing_before() {
    let app = TestApp::spawn_with(fast).await;
    let city = app.city().await;
    let citizen = app.register("0912345678").await;
    // Long before: outside any replay window.
    let old = id_of(&app.file(&citizen.access, &body_in(&city, "00070")).await);
    app.clock.advance(chrono::Duration::hours(1));
    let citizen = app.login("0912345678", common::PASSWORD).await;
    let coord = app
        .user_with_role(Role::Coordinator, "coord.hk@hanoi.gov.vn", Some(city.ward))
        .await;

    let mut s = Sse::open(&app, &coord.access, None).await;
    s.ready().await;
    let a = id_of(&app.file(&citizen.access, &body_in(&city, "00070")).await);
    let seen = s.event().await;
    assert_eq!(seen.json()["report_id"], json!(a));
    let last = seen.id.clone().expect("an id");
    drop(s);

    // Missed while disconnected.
    app.clock.advance(chrono::Duration::minutes(1));
    let res = app
        .post(&format!("/api/v1/staff/reports/{a}/actions"))
        .token(&coord.access)
        .json(&json!({"action": "accept"}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let b = id_of(&app.file(&citizen.access, &body_in(&city, "00070")).await);

    let mut s = Sse::open(&app, &coord.access, Some(&last)).await;
    let got = s.events_until(|f| f.json()["report_id"] == json!(b)).await;
    let kinds: Vec<(String, String)> = got
        .iter()
        .map(|f| {
            (
                f.json()["report_id"].as_str().unwrap_or("").to_owned(),
                f.event.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&(a.to_string(), "report.accepted".to_owned())),
        "{kinds:?}"
    );
    assert!(
        got.iter().all(|f| f.id.as_deref() != Some(last.as_str())),
        "{kinds:?}"
    );
    assert!(
        got.iter().all(|f| f.json()["report_id"] != json!(old)),
        "{kinds:?}"
    );
    // Every id is an event id, in order of time.
    for f in &got {
        assert_eq!(f.id.as_deref(), f.json()["event_id"].as_str());
    }
}

#[tokio::test]
async fn an_unknown_last_event_id_says_so_first() {
    let app = TestApp::spawn_with(fast).await;
    let admin = app.admin().await;
    let unknown = Uuid::now_v7().to_string();
    let mut s = Sse::open(&app, &admin.access, Some(&unknown)).await;
    let f = s.event().await;
    assert_eq!(f.event.as_deref(), Some("stream.reset"));
    assert_eq!(f.json()["reason"], "unknown_last_event_id");
}

#[tokio::test]
async fn a_stream_ends_when_its_token_expires_or_the_account_is_disabled() {
    let app =
        TestApp::spawn_with(|f| fast(f).merge(Serialized::default("stream.session_check_secs", 1)))
            .await;
    let admin = app.admin().await;
    let mut s = Sse::open(&app, &admin.access, None).await;
    s.ready().await;
    app.clock.advance(chrono::Duration::seconds(
        app.state.config.auth.access_token_ttl_secs as i64 + 1,
    ));
    let f = s.event().await;
    assert_eq!(f.event.as_deref(), Some("stream.end"));
    assert_eq!(f.json()["reason"], "token_expired");
    assert!(s.frame(WAIT).await.is_none(), "the stream is closed");

    let other = app.admin().await;
    let mut s = Sse::open(&app, &other.access, None).await;
    s.ready().await;
    {
        use citizen_feedback::entities::users;
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        users::Entity::update_many()
            .col_expr(users::Column::DisabledAt, Expr::value(app.clock.now()))
            .filter(users::Column::Id.eq(other.user_id))
            .exec(&app.db)
            .await
            .expect("disable");
    }
    let f = s.event().await;
    assert_eq!(f.event.as_deref(), Some("stream.end"));
    assert_eq!(f.json()["reason"], "account_closed");
}

/// A client that stops reading: the buffer fills, the stream ends with
/// `Overflow` as its last word, and nothing more is held for it.
#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_with_a_clear_end() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let citizen = app.register("0912345678").await;
    for _ in 0..4 {
        app.file(&citizen.access, &body_in(&city, "00070")).await;
    }
    let admin = app.admin().await;
    use sea_orm::{EntityTrait, QueryOrder};
    let first = citizen_feedback::entities::report_events::Entity::find()
        .order_by_asc(citizen_feedback::entities::report_events::Column::CreatedAt)
        .order_by_asc(citizen_feedback::entities::report_events::Column::Id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("an event");
    let feed = Feed {
        db: app.state.db.clone(),
        clock: app.clock.clone(),
        tz: app.state.config.city_tz,
        hub: hub_for(&app.database_url),
        caller: Caller {
            actor: citizen_feedback::domain::Actor {
                id: admin.user_id,
                role: Role::Admin,
                unit_id: None,
            },
            token_expires_at: app.clock.now() + chrono::Duration::hours(1),
            session_id: None,
        },
        scope: citizen_feedback::reports::scope::StaffScope::All,
        config: FeedConfig {
            poll: Duration::from_millis(50),
            window: chrono::Duration::seconds(30),
            buffer: 2,
            stall: Duration::from_millis(200),
            session_check: Duration::from_secs(60),
        },
    };
    let mut rx = feed.spawn(Start::After {
        id: first.id,
        at: first.created_at,
    });
    // Nothing is read until the feed has given up.
    let mut waited = Duration::ZERO;
    while !rx.is_closed() && waited < WAIT {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    }
    assert!(rx.is_closed(), "the feed stopped");
    let mut items = Vec::new();
    while let Ok(i) = rx.try_recv() {
        items.push(i);
    }
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[0], Item::Ready);
    assert!(
        matches!(&items[1], Item::Event(StreamEvent { event_id, .. }) if *event_id != first.id)
    );
    assert_eq!(items[2], Item::Overflow);
}

/// Two instances on one PostgreSQL: an event made through one reaches a
/// stream on the other by NOTIFY (the other polls only once a minute here),
/// within 2 s.
#[tokio::test]
async fn an_event_made_on_one_instance_reaches_a_stream_on_another() {
    if !is_postgres() {
        return;
    }
    let a = TestApp::spawn().await;
    let b = a
        .spawn_peer(|f| f.merge(Serialized::default("stream.poll_interval_ms", 60_000)))
        .await;
    let city = a.city().await;
    let coord = a
        .user_with_role(Role::Coordinator, "coord.hk@hanoi.gov.vn", Some(city.ward))
        .await;
    let mut s = Sse::open(&b, &coord.access, None).await;
    s.ready().await;
    let citizen = a.register("0912345678").await;
    let id = id_of(&a.file(&citizen.access, &body_in(&city, "00070")).await);
    let f = s
        .event_within(Duration::from_secs(2))
        .await
        .expect("the event reached the other instance within 2 s");
    assert_eq!(f.event.as_deref(), Some("report.created"));
    assert_eq!(f.json()["report_id"], json!(id));
}

/// A console on a configured origin may read the stream with `fetch`: the
/// preflight allows `Authorization` and `Last-Event-ID`.
#[tokio::test]
async fn a_browser_on_a_configured_origin_may_fetch_the_stream() {
    let app = TestApp::spawn_with(|f| {
        f.merge(Serialized::default(
            "http.cors_allowed_origins",
            ["https://staff.example.gov.vn"],
        ))
    })
    .await;
    let res = app
        .req(reqwest::Method::OPTIONS, "/api/v1/staff/stream")
        .header("origin", "https://staff.example.gov.vn")
        .header("access-control-request-method", "GET")
        .header(
            "access-control-request-headers",
            "authorization,last-event-id",
        )
        .send()
        .await;
    assert!(res.status < 300, "{}", res.status);
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://staff.example.gov.vn")
    );
    let allowed = res
        .header("access-control-allow-headers")
        .unwrap_or("")
        .to_ascii_lowercase();
    assert!(allowed.contains("last-event-id"), "{allowed}");
    assert!(allowed.contains("authorization"), "{allowed}");
}

#[tokio::test]
async fn a_stream_ends_when_its_session_ends() {
    let app =
        TestApp::spawn_with(|f| fast(f).merge(Serialized::default("stream.session_check_secs", 1)))
            .await;
    let admin = app.admin().await;
    let officer = app.admin().await;
    // An admin revokes every session of the account: the open stream ends.
    let mut s = Sse::open(&app, &officer.access, None).await;
    s.ready().await;
    let res = app
        .post(&format!(
            "/api/v1/admin/users/{}/revoke-sessions",
            officer.user_id
        ))
        .token(&admin.access)
        .send()
        .await;
    assert_eq!(res.status, 204, "{}", res.body);
    let f = s.event().await;
    assert_eq!(f.event.as_deref(), Some("stream.end"));
    assert_eq!(f.json()["reason"], "session_ended");
    assert!(s.frame(WAIT).await.is_none(), "the stream is closed");
    // And the token cannot open another.
    let res = app
        .get("/api/v1/staff/stream")
        .token(&officer.access)
        .send()
        .await;
    res.assert_problem(401, "unauthorized");

    // Logging out ends the stream of that session.
    let mut s = Sse::open(&app, &admin.access, None).await;
    s.ready().await;
    let res = app
        .post("/api/v1/auth/logout")
        .token(&admin.access)
        .json(&json!({"refresh_token": admin.refresh}))
        .send()
        .await;
    assert_eq!(res.status, 204, "{}", res.body);
    let f = s.event().await;
    assert_eq!(f.event.as_deref(), Some("stream.end"));
    assert_eq!(f.json()["reason"], "session_ended");
}
