//! Bulk writes: citizens, then reports with their events, followers and
//! statistics in multi-row inserts, one transaction per batch, so a million
//! reports take minutes.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter,
};
use uuid::Uuid;

use super::data::City;
use super::history::History;
use crate::domain::{Locale, Role};
use crate::entities::{report_events, report_followers, reports, users};
use crate::reports::store::event_row;
use crate::stats::rollup;

/// Reports per batch: SQLite allows fewer bound values per statement.
pub fn batch_size(db: &DatabaseConnection) -> usize {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => 800,
        _ => 1500,
    }
}

/// The first `n` demo citizens, created where missing (phones from a fixed
/// range, so repeated runs find the same people).
pub async fn citizens(
    db: &DatabaseConnection,
    city: &City,
    n: usize,
    hash: &str,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Uuid>> {
    let existing: HashMap<String, Uuid> = users::Entity::find()
        .filter(users::Column::Phone.like(format!("{}%", city.citizens.phone_prefix)))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|u| u.phone.map(|p| (p, u.id)))
        .collect();
    let mut ids = Vec::with_capacity(n);
    let mut new = Vec::new();
    for i in 0..n {
        let (phone, name) = city.citizens.nth(i);
        if let Some(id) = existing.get(&phone) {
            ids.push(*id);
            continue;
        }
        let id = Uuid::now_v7();
        ids.push(id);
        new.push(users::ActiveModel {
            id: Set(id),
            phone: Set(Some(phone)),
            email: Set(None),
            password_hash: Set(hash.to_owned()),
            full_name: Set(name),
            role: Set(Role::Citizen),
            unit_id: Set(None),
            locale: Set(Locale::Vi),
            created_at: Set(since),
            updated_at: Set(now),
            disabled_at: Set(None),
            deleted_at: Set(None),
        });
    }
    for chunk in new.chunks(1000) {
        users::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(ids)
}

/// A follower row: `user` follows `report` since `at`.
pub struct Follow {
    pub report: Uuid,
    pub user: Uuid,
    pub at: DateTime<Utc>,
}

/// Writes one batch of histories in one transaction, with the statistics
/// rollup they add up to (as each transition would have maintained it).
/// Returns the number of events written.
pub async fn batch(
    db: &DatabaseConnection,
    histories: Vec<History>,
    follows: Vec<Follow>,
    tz: Tz,
) -> anyhow::Result<u64> {
    let chunk = batch_size(db);
    let mut contribution = rollup::Contribution::default();
    let mut rows = Vec::with_capacity(histories.len());
    let mut events = Vec::with_capacity(histories.len() * 4);
    for h in histories {
        contribution.merge(&rollup::contributions(&h.report, tz));
        let report_id = h.report.id;
        events.extend(h.events.into_iter().map(|e| {
            let at = e.at;
            event_row(report_id, e.into(), at)
        }));
        // Every column is written, not only the ones that changed.
        rows.push(h.report.into_active_model().reset_all());
    }
    let written = events.len() as u64;
    let follows: Vec<_> = follows
        .into_iter()
        .map(|f| report_followers::ActiveModel {
            report_id: Set(f.report),
            user_id: Set(f.user),
            created_at: Set(f.at),
        })
        .collect();

    let txn = crate::db::begin_write(db).await?;
    rollup::apply(&txn, &contribution).await?;
    for rows in rows.chunks(chunk) {
        reports::Entity::insert_many(rows.to_vec())
            .exec(&txn)
            .await?;
    }
    for events in events.chunks(chunk * 2) {
        report_events::Entity::insert_many(events.to_vec())
            .exec(&txn)
            .await?;
    }
    for follows in follows.chunks(chunk * 4) {
        report_followers::Entity::insert_many(follows.to_vec())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(written)
}

/// When the demo citizens registered: before the first report.
pub fn registered(now: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    now - Duration::days(i64::from(months) * 31)
}
