//! Many workers at once applying random actions (filing, every staff
//! action, ratings, reopenings, duplicates both ways at the same moment,
//! automatic closes, month closes, `stats rebuild` and `stats check`) for a
//! bounded time, while the clock runs through several months. Meant for
//! PostgreSQL, where writes really run in parallel; SQLite runs it too.
//!
//! Throughout: no 5xx, and `stats check` (one consistent snapshot) finds no
//! difference even in the middle of the load. After: no difference, every
//! duplicate names an original that is not one (so no cycle), every report's events form one legal chain ending at its
//! status, and two reports marked duplicates of each other at once leave an
//! original.
//!
//! `STRESS_SECS` sets the duration (default 4; at least 400 actions are
//! tried however slow the machine); `bench/stress` runs it for ten minutes.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use citizen_feedback::auth::Role;
use citizen_feedback::domain::Status;
use citizen_feedback::entities::{report_events, reports};
use citizen_feedback::reports::lifecycle::{Action, transition};
use common::{TestApp, at, id_of};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use uuid::Uuid;

const WORKERS: u64 = 6;

struct Cast {
    admin: String,
    coord: String,
    officers: Vec<String>,
    citizens: Vec<String>,
    units: Vec<Uuid>,
    categories: Vec<Uuid>,
}

struct Shared {
    app: TestApp,
    cast: Cast,
    ids: Mutex<Vec<Uuid>>,
    /// Pairs marked duplicates of each other at the same moment.
    crossed: Mutex<Vec<(Uuid, Uuid)>>,
    checks: std::sync::atomic::AtomicUsize,
    /// Actions tried, by every worker.
    tried: std::sync::atomic::AtomicUsize,
}

/// Workers go on past the duration until this many actions were tried (a
/// busy machine must not make the run too small to mean anything), within
/// [`HARD_LIMIT`] more.
const MIN_TRIED: usize = 400;
const HARD_LIMIT: StdDuration = StdDuration::from_secs(60);

fn seconds() -> u64 {
    std::env::var("STRESS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4)
}

async fn staff(s: &Shared, token: &str, id: Uuid, body: &Value) -> u16 {
    let r = s
        .app
        .post(&format!("/api/v1/staff/reports/{id}/actions"))
        .token(token)
        .json(body)
        .send()
        .await;
    assert!(r.status < 500, "{body}: {} {}", r.status, r.body);
    r.status
}

async fn file(s: &Shared, rng: &mut StdRng) -> Option<Uuid> {
    let mut body = TestApp::report_body(s.cast.categories[rng.random_range(0..2)]);
    body["area_code"] = json!(["00070", "00001", "00099"][rng.random_range(0..3)]);
    let who = &s.cast.citizens[rng.random_range(0..s.cast.citizens.len())];
    let r = s
        .app
        .post("/api/v1/reports")
        .token(who)
        .header("idempotency-key", &Uuid::new_v4().to_string())
        .json(&body)
        .send()
        .await;
    assert!(r.status < 500, "filing: {} {}", r.status, r.body);
    (r.status == 201).then(|| id_of(&r.body))
}

async fn worker(s: Arc<Shared>, seed: u64, until: Instant) -> usize {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut ok = 0;
    let hard = until + HARD_LIMIT;
    let go_on = |s: &Shared| {
        let now = Instant::now();
        now < hard
            && (now < until || s.tried.load(std::sync::atomic::Ordering::Relaxed) < MIN_TRIED)
    };
    while go_on(&s) {
        s.tried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let roll = rng.random_range(0..100);
        let ids = s.ids.lock().await.clone();
        if ids.len() < 4 || roll < 20 {
            if let Some(id) = file(&s, &mut rng).await {
                s.ids.lock().await.push(id);
                ok += 1;
            }
            continue;
        }
        let pick = |rng: &mut StdRng| ids[rng.random_range(0..ids.len())];
        let id = pick(&mut rng);
        match roll {
            20..=27 => {
                // The reporter rates or reopens (most are not theirs: 404).
                let (path, body) = if rng.random_range(0..3) == 0 {
                    ("reopen", json!({"reason": "Chưa sửa xong"}))
                } else {
                    ("rating", json!({"score": rng.random_range(1..=5)}))
                };
                for who in &s.cast.citizens {
                    let r = s
                        .app
                        .post(&format!("/api/v1/reports/{id}/{path}"))
                        .token(who)
                        .json(&body)
                        .send()
                        .await;
                    assert!(r.status < 500, "{path}: {} {}", r.status, r.body);
                    if r.status == 200 {
                        ok += 1;
                        break;
                    }
                }
            }
            28..=31 => {
                // Two coordinators mark two reports duplicates of each other
                // at the same moment.
                let other = pick(&mut rng);
                if other == id {
                    continue;
                }
                let a = json!({"action": "mark_duplicate", "duplicate_of": other});
                let b = json!({"action": "mark_duplicate", "duplicate_of": id});
                let (x, y) = tokio::join!(
                    staff(&s, &s.cast.coord, id, &a),
                    staff(&s, &s.cast.admin, other, &b)
                );
                if x == 200 || y == 200 {
                    s.crossed.lock().await.push((id, other));
                    ok += 1;
                }
            }
            32 => {
                citizen_feedback::reports::staff::auto_close(s.app.state.ctx())
                    .await
                    .expect("auto-close");
            }
            33 => {
                // Close last month (201 once, then 409).
                let last = citizen_feedback::domain::Month::of(
                    s.app.clock.now(),
                    s.app.state.config.city_tz,
                )
                .prev();
                let r = s
                    .app
                    .post(&format!("/api/v1/stats/months/{last}/close"))
                    .token(&s.cast.admin)
                    .send()
                    .await;
                assert!(matches!(r.status, 201 | 409), "close: {}", r.body);
            }
            34 => {
                // `stats rebuild` while everything else goes on.
                citizen_feedback::stats::check::rebuild(&s.app.db, s.app.state.config.city_tz)
                    .await
                    .expect("rebuild");
            }
            35..=36 => {
                // `stats check` in the middle of the load sees one snapshot.
                let diffs =
                    citizen_feedback::stats::check::check(&s.app.db, s.app.state.config.city_tz)
                        .await
                        .expect("check");
                assert!(diffs.is_empty(), "check under load: {diffs:#?}");
                s.checks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            _ => {
                let action = Action::ALL[rng.random_range(0..Action::ALL.len())];
                let mut body = json!({"action": action.as_str(), "public_message": "Trả lời", "reason": "Lý do"});
                match action {
                    Action::Accept | Action::Assign => {
                        body["unit_id"] =
                            json!(s.cast.units[rng.random_range(0..s.cast.units.len())]);
                        if rng.random_range(0..4) == 0 {
                            body["priority"] = json!("urgent");
                        }
                    }
                    Action::MarkDuplicate => body["duplicate_of"] = json!(pick(&mut rng)),
                    Action::Recategorize => {
                        body["category_id"] = json!(s.cast.categories[rng.random_range(0..2)])
                    }
                    Action::Extend => {
                        body["due_at"] = json!(
                            (s.app.clock.now() + Duration::days(rng.random_range(1..20)))
                                .to_rfc3339()
                        )
                    }
                    _ => {}
                }
                let token = match rng.random_range(0..4) {
                    0 | 1 => &s.cast.officers[rng.random_range(0..s.cast.officers.len())],
                    2 => &s.cast.admin,
                    _ => &s.cast.coord,
                };
                if staff(&s, token, id, &body).await == 200 {
                    ok += 1;
                }
            }
        }
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_random_actions_keep_the_statistics_true() {
    let app = TestApp::spawn_for_random_actions().await;
    let rc = app.random_city().await;
    app.clock.set(at("2025-01-03T03:00:00Z"));
    let cast = Cast {
        admin: rc.city.admin.access.clone(),
        coord: rc.coord,
        officers: rc.officers.map(|o| o.access).to_vec(),
        citizens: rc.citizens,
        units: vec![rc.city.ward, rc.other_ward, rc.city.root],
        categories: vec![rc.city.lights, rc.city.sensitive],
    };
    let s = Arc::new(Shared {
        app,
        cast,
        ids: Mutex::new(Vec::new()),
        crossed: Mutex::new(Vec::new()),
        checks: Default::default(),
        tried: Default::default(),
    });
    let secs = seconds();
    let until = Instant::now() + StdDuration::from_secs(secs);
    // The clock runs through about four months whatever the duration.
    let ticker = {
        let s = s.clone();
        tokio::spawn(async move {
            let step = StdDuration::from_millis(20);
            let ticks = (secs * 1000 / 20).max(1) as i64;
            let minutes = (120 * 24 * 60 / ticks).max(1);
            while Instant::now() < until {
                s.app.clock.advance(Duration::minutes(minutes));
                tokio::time::sleep(step).await;
            }
        })
    };
    let mut handles = Vec::new();
    for w in 0..WORKERS {
        handles.push(tokio::spawn(worker(s.clone(), 20261124 + w, until)));
    }
    let mut ok = 0;
    for h in handles {
        ok += h.await.expect("worker");
    }
    ticker.await.expect("ticker");
    assert!(ok > 50, "too few actions went through: {ok}");
    let s = Arc::try_unwrap(s).ok().expect("workers done");
    let app = s.app;

    // 1. The rollup equals the sum of every report's contributions.
    app.assert_rollup_consistent().await;

    // 2. Duplicates: every one names an original, and no chain loops.
    let all = reports::Entity::find().all(&app.db).await.expect("reports");
    let by_id: HashMap<Uuid, &reports::Model> = all.iter().map(|r| (r.id, r)).collect();
    for r in &all {
        if r.status == Status::Duplicate {
            let original = r.duplicate_of.and_then(|o| by_id.get(&o));
            assert!(
                original.is_some_and(|o| o.status != Status::Duplicate),
                "{} names no original that is not a duplicate",
                r.code
            );
        }
        let mut seen = HashSet::from([r.id]);
        let mut at = r.duplicate_of;
        while let Some(next) = at {
            assert!(seen.insert(next), "a duplicate cycle through {}", r.code);
            at = by_id.get(&next).and_then(|n| n.duplicate_of);
        }
    }
    for (a, b) in s.crossed.lock().await.iter() {
        let (a, b) = (by_id[a], by_id[b]);
        assert!(
            !(a.duplicate_of == Some(b.id) && b.duplicate_of == Some(a.id)),
            "{} and {} are duplicates of each other",
            a.code,
            b.code
        );
    }

    // 3. Every report's status changes form one legal chain, in order,
    // ending at its status.
    let legal = legal_moves();
    let events = report_events::Entity::find()
        .order_by_asc(report_events::Column::Id)
        .all(&app.db)
        .await
        .expect("events");
    let mut at: HashMap<Uuid, Option<Status>> = HashMap::new();
    for e in &events {
        let (Some(to), from) = (e.to_status, e.from_status) else {
            continue;
        };
        let now = at.entry(e.report_id).or_insert(None);
        assert_eq!(
            from, *now,
            "event {} ({:?}) starts from where the report was",
            e.id, e.kind
        );
        assert!(
            legal.contains(&(from, to)),
            "{:?} → {to:?} ({:?}) is not a legal move",
            from,
            e.kind
        );
        *now = Some(to);
    }
    for r in &all {
        assert_eq!(
            at.get(&r.id).copied().flatten(),
            Some(r.status),
            "{}",
            r.code
        );
    }
    let statuses: HashSet<Status> = all.iter().map(|r| r.status).collect();
    assert!(
        statuses.len() >= 5,
        "the run reached most statuses: {statuses:?}"
    );
    eprintln!(
        "{secs} s: {} reports, {ok} actions through, {} checks under load",
        all.len(),
        s.checks.load(std::sync::atomic::Ordering::Relaxed)
    );
}

/// Every (from, to) a report may move by: filing, any staff action, the
/// reporter's rating (closes) and reopening, the automatic close.
fn legal_moves() -> HashSet<(Option<Status>, Status)> {
    let mut out = HashSet::from([
        (None, Status::Submitted),
        (Some(Status::Resolved), Status::Closed),
        (Some(Status::Resolved), Status::InProgress),
    ]);
    for &from in Status::ALL {
        for action in Action::ALL {
            for role in [Role::Officer, Role::Coordinator, Role::Admin] {
                if let Ok(to) = transition(from, action, role, true) {
                    out.insert((Some(from), to));
                }
            }
        }
    }
    out
}
