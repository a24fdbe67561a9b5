//! Thousands of random actions (filing, every transition, reassignment,
//! recategorization, reopening, duplicates, ratings, auto-close), backdated
//! through the test clock across months; then the rollup, the API and a
//! recomputation straight from the reports must agree exactly.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use citizen_feedback::domain::Month;
use citizen_feedback::entities::reports;
use common::{TestApp, at, id_of};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

const ACTIONS: usize = 2000;

fn local_month(t: DateTime<Utc>) -> Month {
    Month::of(t, chrono_tz::Asia::Ho_Chi_Minh)
}

/// The first instant of month `m` in Hanoi.
fn month_start(m: Month) -> DateTime<Utc> {
    chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(m.year(), m.month(), 1, 0, 0, 0)
        .single()
        .expect("a local midnight")
        .with_timezone(&Utc)
}

/// The definitions of domain.md, applied to the reports directly (no rollup,
/// no contributions): what every month's figures must be.
fn expected(all: &[reports::Model], m: Month) -> BTreeMap<&'static str, i64> {
    let end = month_start(m.next());
    let not_dup = |r: &&reports::Model| r.status.as_str() != "duplicate";
    let cohort: Vec<&reports::Model> = all
        .iter()
        .filter(|r| r.received_month == m.yyyymm())
        .filter(not_dup)
        .collect();
    let handled: Vec<&&reports::Model> = cohort.iter().filter(|r| r.handled_at.is_some()).collect();
    let by_end: Vec<&reports::Model> = all
        .iter()
        .filter(not_dup)
        .filter(|r| r.created_at < end)
        .collect();
    let open_at_end: Vec<&&reports::Model> = by_end
        .iter()
        .filter(|r| r.handled_at.is_none_or(|h| h >= end))
        .collect();
    let mut out = BTreeMap::new();
    out.insert("received", cohort.len() as i64);
    out.insert("handled", handled.len() as i64);
    out.insert(
        "handled_on_time",
        handled
            .iter()
            .filter(|r| {
                r.due_at
                    .is_none_or(|d| r.handled_at.is_some_and(|h| h <= d))
            })
            .count() as i64,
    );
    out.insert(
        "rejected",
        cohort
            .iter()
            .filter(|r| r.status.as_str() == "rejected")
            .count() as i64,
    );
    out.insert(
        "duplicates",
        all.iter()
            .filter(|r| r.received_month == m.yyyymm() && r.status.as_str() == "duplicate")
            .count() as i64,
    );
    out.insert(
        "handled_in_month",
        all.iter()
            .filter(not_dup)
            .filter(|r| r.handled_at.is_some_and(|h| local_month(h) == m))
            .count() as i64,
    );
    out.insert(
        "rating_count",
        cohort.iter().filter(|r| r.rating.is_some()).count() as i64,
    );
    out.insert("open_at_end", open_at_end.len() as i64);
    out.insert(
        "overdue_at_end",
        open_at_end
            .iter()
            .filter(|r| r.due_at.is_some_and(|d| d < end))
            .count() as i64,
    );
    out
}

#[tokio::test]
async fn random_actions_keep_rollup_api_and_reports_in_agreement() {
    let app = TestApp::spawn_for_random_actions().await;
    let common::RandomCity {
        city,
        other_ward,
        coord,
        officers: [officer_a, officer_b],
        citizens,
    } = app.random_city().await;
    let start = at("2024-11-01T03:00:00Z");
    app.clock.set(start);
    let mut rng = StdRng::seed_from_u64(20251123);
    let mut ids: Vec<Uuid> = Vec::new();
    let mut ok = 0usize;
    let categories = [city.lights, city.sensitive];
    let areas = ["00070", "00001", "00099"];
    for step in 0..ACTIONS {
        // Time passes: minutes to a day, so the run spans several months.
        app.clock
            .advance(Duration::minutes(rng.random_range(1..60 * 12)));
        let roll = rng.random_range(0..100);
        if ids.is_empty() || roll < 25 {
            let mut body = TestApp::report_body(categories[rng.random_range(0..2)]);
            body["area_code"] = json!(areas[rng.random_range(0..3)]);
            let who = &citizens[rng.random_range(0..citizens.len())];
            let r = app
                .post("/api/v1/reports")
                .token(who)
                .json(&body)
                .send()
                .await;
            assert_eq!(r.status, 201, "step {step}: {}", r.body);
            ids.push(id_of(&r.body));
            ok += 1;
            continue;
        }
        let id = ids[rng.random_range(0..ids.len())];
        if roll < 33 {
            // The reporter rates or reopens (errors are fine: they must change nothing).
            for who in &citizens {
                let path = if rng.random_range(0..3) == 0 {
                    "reopen"
                } else {
                    "rating"
                };
                let body = if path == "rating" {
                    json!({"score": rng.random_range(1..=5)})
                } else {
                    json!({})
                };
                let r = app
                    .post(&format!("/api/v1/reports/{id}/{path}"))
                    .token(who)
                    .json(&body)
                    .send()
                    .await;
                assert!(r.status < 500, "step {step}: {}", r.body);
                if r.status == 200 {
                    ok += 1;
                    break;
                }
            }
            continue;
        }
        if roll < 36 {
            citizen_feedback::reports::staff::auto_close(app.state.ctx())
                .await
                .expect("auto-close");
            continue;
        }
        let action = [
            "accept",
            "assign",
            "start",
            "resolve",
            "reject",
            "mark_duplicate",
            "recategorize",
            "reopen",
            "close",
            "extend",
        ][rng.random_range(0..10)];
        let mut body = json!({"action": action, "public_message": "Trả lời", "reason": "Lý do"});
        match action {
            "accept" | "assign" => {
                if rng.random_range(0..2) == 0 {
                    body["unit_id"] =
                        json!([city.ward, other_ward, city.root][rng.random_range(0..3)]);
                } else {
                    body["assignee_id"] =
                        json!([officer_a.user_id, officer_b.user_id][rng.random_range(0..2)]);
                }
                if rng.random_range(0..4) == 0 {
                    body["priority"] = json!("urgent");
                }
            }
            "mark_duplicate" => body["duplicate_of"] = json!(ids[rng.random_range(0..ids.len())]),
            "recategorize" => body["category_id"] = json!(categories[rng.random_range(0..2)]),
            "extend" => {
                body["due_at"] =
                    json!((app.clock.now() + Duration::days(rng.random_range(1..20))).to_rfc3339())
            }
            _ => {}
        }
        let token = match rng.random_range(0..4) {
            0 => &officer_a.access,
            1 => &officer_b.access,
            _ => &coord,
        };
        let r = app
            .post(&format!("/api/v1/staff/reports/{id}/actions"))
            .token(token)
            .json(&body)
            .send()
            .await;
        assert!(r.status < 500, "step {step} {action}: {}", r.body);
        if r.status == 200 {
            ok += 1;
        }
    }
    assert!(ok > ACTIONS / 3, "too few actions went through: {ok}");

    // 1. The rollup equals the sum of every report's contributions.
    app.assert_rollup_consistent().await;

    // 2. The API's figures equal the definitions applied to the reports.
    let all = reports::Entity::find().all(&app.db).await.expect("reports");
    let first = all
        .iter()
        .map(|r| r.received_month)
        .min()
        .and_then(Month::from_yyyymm)
        .expect("some reports");
    let last = local_month(app.clock.now());
    let res = app
        .get(&format!("/api/v1/stats/monthly?from={}&to={}", first, last))
        .token(&coord)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let statuses: std::collections::HashSet<&str> = all.iter().map(|r| r.status.as_str()).collect();
    assert!(
        statuses.len() >= 6,
        "the run reached most statuses: {statuses:?}"
    );
    for m in first.through(last) {
        let want = expected(&all, m);
        let got: &Value = res.body["series"][0]["months"]
            .as_array()
            .and_then(|ms| ms.iter().find(|x| x["month"] == m.to_string()))
            .expect("month present");
        for (field, value) in &want {
            assert_eq!(got[*field].as_i64(), Some(*value), "{m} {field}: {got}");
        }
        let cum_received: i64 = first
            .through(m)
            .into_iter()
            .map(|x| expected(&all, x)["received"])
            .sum();
        let cum_handled: i64 = first
            .through(m)
            .into_iter()
            .map(|x| expected(&all, x)["handled_in_month"])
            .sum();
        let want_cum = (cum_received > 0)
            .then(|| ((cum_handled as f64 / cum_received as f64) * 10_000.0).round() / 10_000.0);
        assert_eq!(got["cumulative_rate"].as_f64(), want_cum, "{m} cumulative");
    }
}
