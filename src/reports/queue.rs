//! The staff triage queue: a scoped select (it cannot forget the scope),
//! filters, sorts and keyset pages.
//!
//! Query plans relied on (PostgreSQL; measured in `docs/query-plans.md`):
//! - the whole service newest first (admins, the city's coordinators: their
//!   scope is no condition): `idx_reports_created`, or over open statuses
//!   `idx_reports_open_created`;
//! - one unit newest first (a ward coordinator): `idx_reports_unit_created`,
//!   over open statuses `idx_reports_open_unit_created`;
//! - keyset pages: `(created_at, id) < (…)` as one row value, a range on
//!   those indexes, so deep pages cost what the first does;
//! - `overdue=true` / `sort=due_at`: `idx_reports_status_due (status, due_at)`;
//! - `assignee=me`: `idx_reports_assignee_status (assignee_id, status, created_at)`;
//! - `q`: the queue's first `SEARCH_WINDOW` reports down the index above,
//!   then `idx_reports_search_trgm` (GIN trigram on the folded
//!   `search_text`) for words too rare to fill a page there.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Alias, Asterisk, Condition, Expr, ExprTrait, LikeExpr, NullOrdering, Order, Query,
    SelectStatement,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select,
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
    /// How many of the queue's first reports a text search looks through
    /// first (default [`SEARCH_WINDOW`]; then [`SEARCH_WIDENING`] times as
    /// many, then the trigram index).
    pub search_window: Option<u64>,
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
    let folded = f.q.as_deref().map(fold).unwrap_or_default();
    let words: Vec<String> = folded.split_whitespace().map(like_pattern).collect();
    let rare = folded.split_whitespace().any(looks_rare);
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
    let q = ordered(q, f.sort, cursor);
    if words.is_empty() {
        return Ok(q.limit(limit + 1).all(db).await?);
    }
    // Text search. A common word matches many reports, and sorting all of
    // them is what takes time: first look for the page among the newest
    // `SEARCH_WINDOW` reports of the queue (read down its index), then among
    // ten times as many. If the page fills in a window, it is exactly the
    // page the whole queue would give, since the window is the queue's own
    // beginning. Otherwise the words are rare, and the trigram index finds
    // their few reports quickly. (Words of middling frequency made the
    // trigram path read and sort tens of thousands of rows at ten million
    // reports: the wider window finds their page first.)
    let matching = |column: Expr| {
        let mut c = Condition::all();
        for w in &words {
            c = c.add(column.clone().like(LikeExpr::new(w.clone()).escape('\\')));
        }
        c
    };
    let backend = db.get_database_backend();
    let first = f.search_window.unwrap_or(SEARCH_WINDOW);
    // A tracking code or a phone number matches a report or two: the
    // windows would only read their rows in vain (the wide one costs
    // 100-400 ms of random reads at one to ten million reports).
    let windows = if rare {
        vec![]
    } else {
        vec![first, first * SEARCH_WIDENING]
    };
    for window in windows {
        let mut outer = Query::select();
        outer
            .column(Asterisk)
            .from_subquery(q.clone().limit(window).into_query(), Alias::new("w"))
            .cond_where(matching(Expr::col((
                Alias::new("w"),
                reports::Column::SearchText,
            ))));
        order_outer(&mut outer, f.sort);
        outer.limit(limit + 1);
        let found = reports::Model::find_by_statement(backend.build(&outer))
            .all(db)
            .await?;
        if found.len() as u64 > limit {
            return Ok(found);
        }
    }
    // The trigram index is asked for each word's long runs of letters and
    // digits, and the whole words are checked on the rows it finds, through
    // an expression it does not serve (so it is not asked for them too).
    let column = Expr::col((reports::Entity, reports::Column::SearchText));
    let mut found = Condition::all();
    let mut recheck = false;
    for word in folded.split_whitespace() {
        let pattern = index_pattern(word);
        recheck |= pattern.is_some();
        let pattern = pattern.unwrap_or_else(|| like_pattern(word));
        found = found.add(column.clone().like(LikeExpr::new(pattern).escape('\\')));
    }
    if recheck {
        found = found.add(matching(Expr::cust(r#"("reports"."search_text" || '')"#)));
    }
    Ok(q.filter(found).limit(limit + 1).all(db).await?)
}

/// What the trigram index is asked for a word that has letters or digits
/// beside other characters: its runs of three or more, in order
/// (`pa-2f3eydh` → `%2f3eydh%`). pg_trgm pads a short run into trigrams that
/// most reports share (`pa ` is in every tracking code), and reading their
/// long lists is most of the time a code search takes. `None`: ask for the
/// word itself.
fn index_pattern(word: &str) -> Option<String> {
    let runs: Vec<&str> = word
        .split(|c: char| !c.is_alphanumeric())
        .filter(|r| !r.is_empty())
        .collect();
    let long: Vec<&str> = runs
        .iter()
        .copied()
        .filter(|r| r.chars().count() >= 3)
        .collect();
    if long.is_empty() || (runs.len() == 1 && runs[0].len() == word.len()) {
        return None;
    }
    Some(format!("%{}%", long.join("%")))
}

/// How many of the queue's first reports a text search looks through
/// first.
pub const SEARCH_WINDOW: u64 = 2000;

/// How much wider its second window is, before it asks the trigram index.
pub const SEARCH_WIDENING: u64 = 10;

/// A word that names a report or a person rather than a problem: seven
/// characters or more with a digit (a tracking code such as `pa-2f3eydh`, a
/// phone number). Only which path a search takes depends on it, never its
/// answer.
fn looks_rare(word: &str) -> bool {
    word.chars().count() >= 7 && word.chars().any(|c| c.is_ascii_digit())
}

/// `%word%` for LIKE, with LIKE's own characters escaped.
fn like_pattern(word: &str) -> String {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The sort, and the keyset condition of a cursor. Created-at pages compare
/// `(created_at, id)` as one row value, which an index on those columns
/// serves as a range: page 1,000 costs what page 1 does.
fn ordered(
    q: Select<reports::Entity>,
    sort: Sort,
    cursor: Option<QueueCursor>,
) -> Select<reports::Entity> {
    let key = |a, b| Expr::tuple([Expr::col(a), Expr::col(b)]);
    match sort {
        Sort::NewestFirst | Sort::OldestFirst => {
            let newest = sort == Sort::NewestFirst;
            let q = match cursor {
                Some(QueueCursor { t: Some(t), id, .. }) => {
                    let here = Expr::tuple([Expr::val(t), Expr::val(id)]);
                    let k = key(reports::Column::CreatedAt, reports::Column::Id);
                    q.filter(if newest { k.lt(here) } else { k.gt(here) })
                }
                _ => q,
            };
            sorted(q, sort)
        }
        Sort::DueFirst => {
            let q = match cursor {
                Some(QueueCursor { t: Some(t), id, .. }) => q.filter(
                    Condition::any()
                        .add(
                            key(reports::Column::DueAt, reports::Column::Id)
                                .gt(Expr::tuple([Expr::val(t), Expr::val(id)])),
                        )
                        .add(reports::Column::DueAt.is_null()),
                ),
                Some(QueueCursor { t: None, id, .. }) => q
                    .filter(reports::Column::DueAt.is_null())
                    .filter(reports::Column::Id.gt(id)),
                None => q,
            };
            sorted(q, sort)
        }
    }
}

/// The queue's order: its key and the id, in one direction. Reports
/// without a deadline come last in `due_at` order; `created_at` is never
/// null and gets no NULLS clause, which would keep PostgreSQL from reading
/// its index backwards.
fn order_of(sort: Sort) -> (reports::Column, Order, Option<NullOrdering>) {
    match sort {
        Sort::NewestFirst => (reports::Column::CreatedAt, Order::Desc, None),
        Sort::OldestFirst => (reports::Column::CreatedAt, Order::Asc, None),
        Sort::DueFirst => (reports::Column::DueAt, Order::Asc, Some(NullOrdering::Last)),
    }
}

fn sorted(q: Select<reports::Entity>, sort: Sort) -> Select<reports::Entity> {
    let (key, order, nulls) = order_of(sort);
    let q = match nulls {
        Some(n) => q.order_by_with_nulls(key, order.clone(), n),
        None => q.order_by(key, order.clone()),
    };
    q.order_by(reports::Column::Id, order)
}

/// The same order on the search window's rows.
fn order_outer(q: &mut SelectStatement, sort: Sort) {
    let (key, order, nulls) = order_of(sort);
    let col = |c: reports::Column| Expr::col((Alias::new("w"), c));
    match nulls {
        Some(n) => q.order_by_expr_with_nulls(col(key), order.clone(), n),
        None => q.order_by_expr(col(key), order.clone()),
    };
    q.order_by_expr(col(reports::Column::Id), order);
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_trigram_index_is_asked_for_long_runs() {
        use super::index_pattern;
        assert_eq!(index_pattern("pa-2f3eydh").as_deref(), Some("%2f3eydh%"));
        assert_eq!(index_pattern("karaoke"), None);
        assert_eq!(index_pattern("22h"), None);
        assert_eq!(index_pattern("0912345678"), None);
        assert_eq!(index_pattern("12/5"), None);
        assert_eq!(index_pattern("--"), None);
        assert_eq!(
            index_pattern("kim-ma-ba-dinh").as_deref(),
            Some("%kim%dinh%")
        );
        assert_eq!(index_pattern("so.12a/34b").as_deref(), Some("%12a%34b%"));
        assert_eq!(index_pattern("100%").as_deref(), Some("%100%"));
    }
}
