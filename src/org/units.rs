//! The unit tree. No level is hard-coded: since 1 July 2025 Vietnam has two
//! levels of local government, and departments hang off either.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entities::units;
use crate::error::AppResult;

/// The unit and all units below it.
pub async fn subtree_ids<C: ConnectionTrait>(db: &C, root: Uuid) -> AppResult<Vec<Uuid>> {
    let mut all = vec![root];
    let mut frontier = vec![root];
    // One query per level: trees are shallow (city → ward → team).
    while !frontier.is_empty() {
        let children: Vec<Uuid> = units::Entity::find()
            .select_only()
            .column(units::Column::Id)
            .filter(units::Column::ParentId.is_in(frontier.clone()))
            .into_tuple()
            .all(db)
            .await?;
        frontier = children.into_iter().filter(|c| !all.contains(c)).collect();
        all.extend(frontier.iter().copied());
    }
    Ok(all)
}

/// Whether making `new_parent` the parent of `unit` would close a loop.
pub async fn would_cycle<C: ConnectionTrait>(
    db: &C,
    unit: Uuid,
    new_parent: Uuid,
) -> AppResult<bool> {
    Ok(subtree_ids(db, unit).await?.contains(&new_parent))
}

/// The root unit where unrouted reports wait for a coordinator: the oldest
/// unit without a parent (the city centre).
pub async fn root_unit<C: ConnectionTrait>(db: &C) -> AppResult<Option<units::Model>> {
    Ok(units::Entity::find()
        .filter(units::Column::ParentId.is_null())
        .order_by_asc(units::Column::CreatedAt)
        .order_by_asc(units::Column::Code)
        .one(db)
        .await?)
}

/// Builds the tree from a flat list (children sorted by code).
pub fn build_tree<T, F>(all: Vec<units::Model>, mut make: F) -> Vec<T>
where
    F: FnMut(units::Model, Vec<T>) -> T,
{
    let ids: HashSet<Uuid> = all.iter().map(|u| u.id).collect();
    let mut children: HashMap<Option<Uuid>, Vec<units::Model>> = HashMap::new();
    for u in all {
        // A parent that is missing (should not happen) makes the unit a root.
        let key = u.parent_id.filter(|p| ids.contains(p));
        children.entry(key).or_default().push(u);
    }
    fn walk<T, F: FnMut(units::Model, Vec<T>) -> T>(
        parent: Option<Uuid>,
        children: &mut HashMap<Option<Uuid>, Vec<units::Model>>,
        make: &mut F,
    ) -> Vec<T> {
        let mut list = children.remove(&parent).unwrap_or_default();
        list.sort_by(|a, b| a.code.cmp(&b.code));
        list.into_iter()
            .map(|u| {
                let kids = walk(Some(u.id), children, make);
                make(u, kids)
            })
            .collect()
    }
    walk(None, &mut children, &mut make)
}
