//! Who may see which report. Staff see the reports of their unit's subtree
//! (coordinators of a root unit also see unrouted ones); admins see all;
//! citizens see their own and public ones. What one may not see is 404.

use sea_orm::sea_query::{Condition, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::{Actor, Role};
use crate::entities::reports;
use crate::error::AppResult;
use crate::org::reference::{self, Reference};

#[derive(Debug, Clone, PartialEq)]
pub enum StaffScope {
    All,
    Units {
        ids: Vec<Uuid>,
        include_unrouted: bool,
    },
}

impl StaffScope {
    /// The scope of `user` (none for a citizen), from the unit tree in
    /// memory ([`reference::current`]).
    pub async fn of(db: &DatabaseConnection, user: &Actor) -> AppResult<Option<StaffScope>> {
        if !user.role.is_staff() {
            return Ok(None);
        }
        let refs = reference::current(db).await?;
        Ok(StaffScope::in_tree(&refs, user))
    }

    /// The scope of `user` in the unit tree `refs`.
    pub fn in_tree(refs: &Reference, user: &Actor) -> Option<StaffScope> {
        match (user.role, user.unit_id) {
            (Role::Admin, _) => Some(StaffScope::All),
            (Role::Officer | Role::Coordinator, Some(unit)) => {
                let ids = refs.subtree(unit);
                // The city centre (the root where unrouted reports wait), not
                // any unit that happens to have no parent.
                let is_root = refs.root().is_some_and(|u| u.id == unit);
                let include_unrouted = is_root && user.role == Role::Coordinator;
                // The city's coordinators see every report: no condition at
                // all, so the queue reads straight down an index instead of
                // an `IN (every unit) OR unit_id IS NULL` no index serves.
                if include_unrouted && ids.len() == refs.units.len() {
                    return Some(StaffScope::All);
                }
                Some(StaffScope::Units {
                    ids,
                    include_unrouted,
                })
            }
            _ => None,
        }
    }

    pub fn contains(&self, unit_id: Option<Uuid>) -> bool {
        match (self, unit_id) {
            (StaffScope::All, _) => true,
            (StaffScope::Units { ids, .. }, Some(u)) => ids.contains(&u),
            (
                StaffScope::Units {
                    include_unrouted, ..
                },
                None,
            ) => *include_unrouted,
        }
    }

    /// The report with this id if it is in the scope: a scoped select, so
    /// the rule cannot be forgotten.
    pub async fn find<C: ConnectionTrait>(
        &self,
        db: &C,
        id: Uuid,
    ) -> AppResult<Option<reports::Model>> {
        Ok(reports::Entity::find_by_id(id)
            .filter(self.condition())
            .one(db)
            .await?)
    }

    /// The same rule as a SQL condition, for scoped selects.
    pub fn condition(&self) -> Condition {
        match self {
            StaffScope::All => Condition::all(),
            StaffScope::Units {
                ids,
                include_unrouted,
            } => {
                let mut c = Condition::any().add(reports::Column::UnitId.is_in(ids.clone()));
                if *include_unrouted {
                    c = c.add(reports::Column::UnitId.is_null());
                }
                c
            }
        }
    }
}

/// How a caller stands to one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Owner,
    Staff,
    Public,
}

impl Access {
    /// Full view: exact location, reporter, comments.
    pub fn is_full(self) -> bool {
        matches!(self, Access::Owner | Access::Staff)
    }
}

pub async fn access(
    db: &DatabaseConnection,
    viewer: Option<&Actor>,
    report: &reports::Model,
) -> AppResult<Option<Access>> {
    if let Some(user) = viewer {
        if report.reporter_id == Some(user.id) {
            return Ok(Some(Access::Owner));
        }
        if user.role.is_staff()
            && let Some(scope) = StaffScope::of(db, user).await?
            && scope.contains(report.unit_id)
        {
            return Ok(Some(Access::Staff));
        }
    }
    Ok(report.is_public.then_some(Access::Public))
}

/// Only public reports: the start of every public query.
pub fn public_only() -> SimpleExpr {
    reports::Column::IsPublic.eq(true)
}
