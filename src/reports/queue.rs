//! The staff triage queue: a scoped select (it cannot forget the scope),
//! filters, sorts and keyset pages.
//!
//! Query plans relied on (PostgreSQL; measured at a million reports in
//! `docs/query-plans.md`):
//! - default sort (`-created_at`) within a unit subtree and statuses:
//!   `idx_reports_unit_status (unit_id, status, created_at)`;
//! - `overdue=true` / `sort=due_at`: `idx_reports_status_due (status, due_at)`;
//! - `assignee=me`: `idx_reports_assignee_status (assignee_id, status, created_at)`;
//! - `q`: `idx_reports_search_trgm` (GIN trigram on the folded `search_text`).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, LikeExpr, NullOrdering, Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::lifecycle::Status;
use super::scope::StaffScope;
use super::text::fold;
use crate::domain::geo::BBox;
use crate::entities::{categories, reports};
use crate::error::AppResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Sort {
    #[default]
    NewestFirst,
    OldestFirst,
    DueFirst,
}

/// Position in the queue: the sort it was made for, the sort key (absent
/// for reports without a deadline, which come last in `due_at` order) and
/// the id. A cursor only continues the order it was made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCursor {
    pub s: Sort,
    pub t: Option<DateTime<Utc>>,
    pub id: Uuid,
}

impl QueueCursor {
    pub fn encode(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(s: &str) -> Option<Self> {
        use base64::Engine as _;
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s.trim())
            .ok()?;
        serde_json::from_slice(&b).ok()
    }
}

#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub statuses: Vec<Status>,
    pub category: Option<String>,
    /// Unit ids (a unit with its subtree).
    pub units: Option<Vec<Uuid>>,
    pub assignee: Option<Uuid>,
    pub overdue: bool,
    pub q: Option<String>,
    pub bbox: Option<BBox>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub sort: Sort,
}

/// Every staff query starts here.
pub fn scoped(scope: &StaffScope) -> Select<reports::Entity> {
    reports::Entity::find().filter(scope.condition())
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    scope: &StaffScope,
    f: &QueueFilter,
    cursor: Option<QueueCursor>,
    limit: u64,
    now: DateTime<Utc>,
) -> AppResult<Vec<reports::Model>> {
    let mut q = scoped(scope);
    if !f.statuses.is_empty() {
        q = q.filter(reports::Column::Status.is_in(f.statuses.iter().copied()));
    }
    if let Some(cat) = &f.category {
        let by_id = cat.parse::<Uuid>().ok();
        let ids: Vec<Uuid> = match by_id {
            Some(id) => vec![id],
            None => {
                categories::Entity::find()
                    .select_only()
                    .column(categories::Column::Id)
                    .filter(categories::Column::Code.eq(cat.as_str()))
                    .into_tuple()
                    .all(db)
                    .await?
            }
        };
        q = q.filter(reports::Column::CategoryId.is_in(ids));
    }
    if let Some(units) = &f.units {
        q = q.filter(reports::Column::UnitId.is_in(units.clone()));
    }
    if let Some(a) = f.assignee {
        q = q.filter(reports::Column::AssigneeId.eq(a));
    }
    if f.overdue {
        q = q
            .filter(reports::Column::Status.is_in(Status::OPEN))
            .filter(reports::Column::DueAt.lt(now));
    }
    if let Some(text) = f.q.as_deref().map(fold).filter(|t| !t.is_empty()) {
        for word in text.split_whitespace() {
            let escaped = word
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            q = q.filter(
                reports::Column::SearchText
                    .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
            );
        }
    }
    if let Some(b) = f.bbox {
        q = q
            .filter(reports::Column::Lng.between(b.min_lng, b.max_lng))
            .filter(reports::Column::Lat.between(b.min_lat, b.max_lat));
    }
    if let Some(from) = f.from {
        q = q.filter(reports::Column::CreatedAt.gte(from));
    }
    if let Some(to) = f.to {
        q = q.filter(reports::Column::CreatedAt.lt(to));
    }
    let q = match f.sort {
        Sort::NewestFirst | Sort::OldestFirst => {
            let newest = f.sort == Sort::NewestFirst;
            let q = match cursor {
                Some(QueueCursor { t: Some(t), id, .. }) => {
                    let (after_t, after_id) = if newest {
                        (reports::Column::CreatedAt.lt(t), reports::Column::Id.lt(id))
                    } else {
                        (reports::Column::CreatedAt.gt(t), reports::Column::Id.gt(id))
                    };
                    q.filter(
                        Condition::any().add(after_t).add(
                            Condition::all()
                                .add(reports::Column::CreatedAt.eq(t))
                                .add(after_id),
                        ),
                    )
                }
                _ => q,
            };
            let order = if newest { Order::Desc } else { Order::Asc };
            q.order_by(reports::Column::CreatedAt, order.clone())
                .order_by(reports::Column::Id, order)
        }
        Sort::DueFirst => {
            let q = match cursor {
                Some(QueueCursor { t: Some(t), id, .. }) => q.filter(
                    Condition::any()
                        .add(reports::Column::DueAt.gt(t))
                        .add(
                            Condition::all()
                                .add(reports::Column::DueAt.eq(t))
                                .add(reports::Column::Id.gt(id)),
                        )
                        .add(reports::Column::DueAt.is_null()),
                ),
                Some(QueueCursor { t: None, id, .. }) => q
                    .filter(reports::Column::DueAt.is_null())
                    .filter(reports::Column::Id.gt(id)),
                None => q,
            };
            q.order_by_with_nulls(reports::Column::DueAt, Order::Asc, NullOrdering::Last)
                .order_by(reports::Column::Id, Order::Asc)
        }
    };
    Ok(q.limit(limit + 1).all(db).await?)
}

pub fn cursor_of(r: &reports::Model, sort: Sort) -> QueueCursor {
    match sort {
        Sort::DueFirst => QueueCursor {
            s: sort,
            t: r.due_at,
            id: r.id,
        },
        _ => QueueCursor {
            s: sort,
            t: Some(r.created_at),
            id: r.id,
        },
    }
}

/// Likely duplicates: same category, within about 500 m, filed within 30
/// days of it, still open or recently handled (not closed, rejected or
/// already a duplicate), in the caller's scope.
pub async fn similar<C: ConnectionTrait>(
    db: &C,
    scope: &StaffScope,
    r: &reports::Model,
) -> AppResult<Vec<reports::Model>> {
    let d = 0.005;
    let window = chrono::Duration::days(30);
    Ok(scoped(scope)
        .filter(reports::Column::Id.ne(r.id))
        .filter(reports::Column::CategoryId.eq(r.category_id))
        .filter(reports::Column::Lat.between(r.lat - d, r.lat + d))
        .filter(reports::Column::Lng.between(r.lng - d, r.lng + d))
        .filter(reports::Column::CreatedAt.between(r.created_at - window, r.created_at + window))
        .filter(reports::Column::Status.is_not_in([
            Status::Closed,
            Status::Rejected,
            Status::Duplicate,
        ]))
        .order_by_desc(reports::Column::CreatedAt)
        .limit(20)
        .all(db)
        .await?)
}
