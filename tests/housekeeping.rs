//! Housekeeping: a sweep deletes what is past its retention (expired
//! sessions, unattached uploads and their files, delivered outbox rows, old
//! read notifications) and nothing else; a second sweep finds nothing.

mod common;

use chrono::Duration;
use citizen_feedback::domain::DeliveryStatus;
use citizen_feedback::entities::{media, outbox};
use citizen_feedback::housekeeping::{Retention, Swept, sweep};
use common::{TestApp, id_of, png};
use figment::providers::Serialized;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

async fn storage_key(app: &TestApp, id: Uuid) -> Option<String> {
    media::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .map(|m| m.storage_key)
}

#[tokio::test]
async fn a_sweep_deletes_what_is_past_its_retention_and_nothing_else() {
    // No outbox worker: the test decides which rows are delivered and which
    // stay pending (a worker would drain them while the test counts).
    let app =
        TestApp::spawn_with(|f| f.merge(Serialized::default("delivery.worker_enabled", false)))
            .await;
    let city = app.city().await;
    let owner = app.register("0912345678").await;
    let upload = |token: String, name: &'static str| {
        let app = &app;
        async move {
            let r = app.upload(&token, name, "image/png", png(8, 8)).await;
            assert_eq!(r.status, 201, "{}", r.body);
            id_of(&r.body)
        }
    };
    let attached = upload(owner.access.clone(), "a.png").await;
    let loose = upload(owner.access.clone(), "b.png").await;
    let loose_key = storage_key(&app, loose).await.expect("stored");
    let mut body = TestApp::report_body(city.lights);
    body["media_ids"] = json!([attached]);
    let report = id_of(&app.file(&owner.access, &body).await);
    app.mark_resolved(report).await;

    // The owner reads one of the two notifications the resolution sent.
    let inbox = app
        .get("/api/v1/notifications")
        .token(&owner.access)
        .send()
        .await;
    let items = inbox.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2, "{}", inbox.body);
    let read = items[0]["id"].as_str().expect("id").to_owned();
    let r = app
        .post(&format!("/api/v1/notifications/{read}/read"))
        .token(&owner.access)
        .send()
        .await;
    assert_eq!(r.status, 204);
    // What the outbox worker does once it has sent a row.
    let now = app.clock.now();
    let sent = outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            Expr::value(DeliveryStatus::Delivered),
        )
        .col_expr(outbox::Column::DeliveredAt, Expr::value(now))
        .exec(&app.db)
        .await
        .expect("deliver")
        .rows_affected;
    assert!(sent >= 1);

    // Half a year on: everything above is past its retention. Then what is
    // new must stay: a fresh upload, a fresh session, a pending outbox row.
    app.clock.advance(Duration::days(181));
    let again = app.login("0912345678", common::PASSWORD).await;
    let fresh = upload(again.access.clone(), "c.png").await;
    app.mark_resolved(app_report(&app, &again.access, city.lights).await)
        .await;
    let pending = app
        .count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
        .await;
    assert!(pending >= 1);
    let sessions_before = app.count("SELECT COUNT(*) FROM refresh_tokens").await;

    let swept = sweep(app.state.ctx(), &app.state.storage, &Retention::default())
        .await
        .expect("sweep");
    assert_eq!(swept.unattached_media, 1, "{swept:?}");
    assert_eq!(swept.outbox_rows, sent, "{swept:?}");
    assert_eq!(swept.read_notifications, 1, "{swept:?}");
    assert!(swept.expired_sessions >= 1, "{swept:?}");
    assert_eq!(swept.webhook_deliveries, 0);

    // Gone: the loose upload's row and file.
    assert_eq!(storage_key(&app, loose).await, None);
    assert!(
        app.state.storage.get(&loose_key).await.is_err(),
        "file deleted"
    );
    // Kept: the attached upload, the fresh one, the unread notification, the
    // pending outbox rows, the live session.
    for id in [attached, fresh] {
        let key = storage_key(&app, id).await.expect("row kept");
        assert!(app.state.storage.get(&key).await.is_ok(), "file kept");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
            .await,
        pending
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM notifications WHERE read_at IS NULL")
            .await,
        app.count("SELECT COUNT(*) FROM notifications").await,
        "only read notifications go"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM refresh_tokens").await,
        sessions_before - i64::try_from(swept.expired_sessions).unwrap_or(0)
    );
    let refreshed = app
        .post("/api/v1/auth/refresh")
        .json(&json!({"refresh_token": again.refresh}))
        .send()
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);

    let second = sweep(app.state.ctx(), &app.state.storage, &Retention::default())
        .await
        .expect("sweep");
    assert_eq!(second, Swept::default(), "nothing left to delete");
}

/// Files one more report and returns its id.
async fn app_report(app: &TestApp, token: &str, category: Uuid) -> Uuid {
    id_of(&app.file(token, &TestApp::report_body(category)).await)
}

#[tokio::test]
async fn uploads_still_in_use_or_young_are_kept() {
    let app = TestApp::spawn().await;
    let owner = app.register("0912345678").await;
    let r = app
        .upload(&owner.access, "a.png", "image/png", png(8, 8))
        .await;
    let id = id_of(&r.body);
    // 23 hours: young enough to be attached yet.
    app.clock.advance(Duration::hours(23));
    let swept = sweep(app.state.ctx(), &app.state.storage, &Retention::default())
        .await
        .expect("sweep");
    assert_eq!(swept.unattached_media, 0);
    assert!(storage_key(&app, id).await.is_some());
    // An hour more and it is an abandoned upload.
    app.clock.advance(Duration::hours(2));
    let swept = sweep(app.state.ctx(), &app.state.storage, &Retention::default())
        .await
        .expect("sweep");
    assert_eq!(swept.unattached_media, 1);
    assert!(
        media::Entity::find()
            .filter(media::Column::Id.eq(id))
            .one(&app.db)
            .await
            .expect("query")
            .is_none()
    );
}
