//! Report lists: the citizen's own, and the public feed. Each starts from a
//! select that already carries its scope (the owner, or public only).

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use super::scope::{StaffScope, public_only};
use crate::domain::Role;
use crate::domain::geo::BBox;
use crate::entities::{categories, report_events, reports, units, users};
use crate::error::AppResult;
use crate::org::reference::Reference;
use crate::pagination::{Keyset, newest_first};

/// Newest first, after `cursor`, `limit + 1` rows (to know if there is more).
fn page(q: Select<reports::Entity>, cursor: Option<Keyset>, limit: u64) -> Select<reports::Entity> {
    newest_first(
        q,
        reports::Column::CreatedAt,
        reports::Column::Id,
        cursor,
        limit,
    )
}

pub fn mine(reporter: Uuid) -> Select<reports::Entity> {
    reports::Entity::find().filter(reports::Column::ReporterId.eq(reporter))
}

pub async fn list_mine<C: ConnectionTrait>(
    db: &C,
    reporter: Uuid,
    cursor: Option<Keyset>,
    limit: u64,
) -> AppResult<Vec<reports::Model>> {
    Ok(page(mine(reporter), cursor, limit).all(db).await?)
}

#[derive(Debug, Default, Clone)]
pub struct PublicFilter {
    pub bbox: Option<BBox>,
    pub category_code: Option<String>,
    pub statuses: Vec<crate::domain::Status>,
    pub since: Option<DateTime<Utc>>,
}

pub async fn list_public<C: ConnectionTrait>(
    db: &C,
    f: &PublicFilter,
    cursor: Option<Keyset>,
    limit: u64,
) -> AppResult<Vec<reports::Model>> {
    let mut q = reports::Entity::find().filter(public_only());
    if let Some(b) = f.bbox {
        // The public point: a sensitive report cannot be pinned down by
        // shrinking the box.
        q = q
            .filter(reports::Column::PublicLng.between(b.min_lng, b.max_lng))
            .filter(reports::Column::PublicLat.between(b.min_lat, b.max_lat));
    }
    if let Some(code) = &f.category_code {
        let ids: Vec<Uuid> = categories::Entity::find()
            .select_only()
            .column(categories::Column::Id)
            .filter(categories::Column::Code.eq(code.as_str()))
            .into_tuple()
            .all(db)
            .await?;
        q = q.filter(reports::Column::CategoryId.is_in(ids));
    }
    if !f.statuses.is_empty() {
        q = q.filter(reports::Column::Status.is_in(f.statuses.clone()));
    }
    if let Some(since) = f.since {
        q = q.filter(reports::Column::CreatedAt.gte(since));
    }
    Ok(page(q, cursor, limit).all(db).await?)
}

/// A report's whole timeline (internal notes included), oldest first.
pub async fn timeline<C: ConnectionTrait>(
    db: &C,
    report_id: Uuid,
) -> AppResult<Vec<report_events::Model>> {
    Ok(report_events::Entity::find()
        .filter(report_events::Column::ReportId.eq(report_id))
        .order_by_asc(report_events::Column::CreatedAt)
        .order_by_asc(report_events::Column::Id)
        .all(db)
        .await?)
}

/// Whom a report can be assigned to: the active officers and coordinators of
/// `unit` and the units under it that `scope` covers, with their unit, by
/// unit name and then their own (at most `limit`).
pub async fn assignable<C: ConnectionTrait>(
    db: &C,
    refs: &Reference,
    scope: &StaffScope,
    unit: Uuid,
    limit: u64,
) -> AppResult<Vec<(users::Model, units::Model)>> {
    let ids: Vec<Uuid> = refs
        .subtree(unit)
        .into_iter()
        .filter(|u| scope.contains(Some(*u)) && refs.units.contains_key(u))
        .collect();
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let people = users::Entity::find()
        .filter(users::Column::UnitId.is_in(ids))
        .filter(users::Column::Role.is_in([Role::Officer, Role::Coordinator]))
        .filter(users::Column::DisabledAt.is_null())
        .filter(users::Column::DeletedAt.is_null())
        .order_by_asc(users::Column::FullName)
        .order_by_asc(users::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut out: Vec<(users::Model, units::Model)> = people
        .into_iter()
        .filter_map(|p| {
            let unit = p.unit_id.and_then(|id| refs.units.get(&id))?.clone();
            Some((p, unit))
        })
        .collect();
    // Stable: by name within each unit, as read.
    out.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    Ok(out)
}
