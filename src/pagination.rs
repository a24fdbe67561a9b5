//! Keyset pagination: `?limit=` (default 20, at most 100) and an opaque
//! `?cursor=`; answers are `{items, next_cursor}`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use crate::error::AppResult;
use crate::messages::Msg;
use crate::validate::{Check, Validate};

/// `?limit=&cursor=`, for lists that take nothing else.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// 1–100, default 20.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl Validate for PageQuery {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        parse_limit(&mut c, &self.limit);
        parse_cursor(&mut c, &self.cursor);
        c.finish()
    }
}

/// A page of `q`, newest first by (`created`, `id`): the rows after `cursor`,
/// `limit + 1` of them (one more than asked, to know if there is more).
/// Every "newest first" list pages this way, so they all accept the same
/// cursors and use the same `(created_at, id)` indexes.
pub fn newest_first<E: EntityTrait>(
    q: Select<E>,
    created: E::Column,
    id: E::Column,
    cursor: Option<Keyset>,
    limit: u64,
) -> Select<E> {
    let q = match cursor {
        Some(k) => q.filter(
            Condition::any().add(created.lt(k.created_at)).add(
                Condition::all()
                    .add(created.eq(k.created_at))
                    .add(id.lt(k.id)),
            ),
        ),
        None => q,
    };
    q.order_by_desc(created).order_by_desc(id).limit(limit + 1)
}

pub const DEFAULT_LIMIT: u64 = 20;
pub const MAX_LIMIT: u64 = 100;

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A position in a list ordered by `(created_at, id)`, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keyset {
    #[serde(rename = "t")]
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Keyset {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(s: &str) -> Option<Keyset> {
        let bytes = URL_SAFE_NO_PAD.decode(s.trim()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

pub fn parse_limit(c: &mut Check, raw: &Option<String>) -> u64 {
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => DEFAULT_LIMIT,
        Some(s) => match s.parse::<u64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                c.add("limit", Msg::LimitOutOfRange);
                DEFAULT_LIMIT
            }
        },
    }
}

pub fn parse_cursor(c: &mut Check, raw: &Option<String>) -> Option<Keyset> {
    let s = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    let k = Keyset::decode(s);
    if k.is_none() {
        c.add("cursor", Msg::InvalidCursor);
    }
    k
}

/// Cuts a page fetched with `limit + 1` rows and makes the next cursor.
pub fn finish<T>(
    mut rows: Vec<T>,
    limit: u64,
    key: impl Fn(&T) -> Keyset,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(|r| key(r).encode())
    } else {
        None
    };
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_roundtrip_and_reject_garbage() {
        let k = Keyset {
            created_at: Utc::now(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Keyset::decode(&k.encode()), Some(k));
        assert_eq!(Keyset::decode("not a cursor"), None);
        let mut c = Check::new();
        assert_eq!(parse_limit(&mut c, &Some("0".into())), DEFAULT_LIMIT);
        assert_eq!(parse_limit(&mut c, &Some("101".into())), DEFAULT_LIMIT);
        assert_eq!(parse_limit(&mut c, &Some("100".into())), 100);
        assert!(c.has_error("limit"));
    }
}
