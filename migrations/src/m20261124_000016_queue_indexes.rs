//! Indexes shaped for the triage queue at ten million reports: each of its
//! usual pages is read straight down one index, in the queue's order, and
//! stops after a page (`docs/query-plans.md` has the plans).
//!
//! - `idx_reports_created (created_at, id)`: the whole service newest first
//!   (admins and the city's coordinators, whose scope is no condition at
//!   all), and the search window of `q=`.
//! - `idx_reports_unit_created (unit_id, created_at, id)`: one unit's
//!   reports newest first (a ward coordinator), any status. It replaces
//!   `idx_reports_unit_status (unit_id, status, created_at)`, whose order
//!   served no page (a status list made every page a sort) and which the
//!   statistics no longer read (they read the rollup).
//! - `idx_reports_open_created` and `idx_reports_open_unit_created`: the
//!   same two over open reports only (submitted, assigned, in progress):
//!   the default working queue and `overdue=true` read about a page of rows
//!   however much has been handled, and the indexes stay small (open
//!   reports are a few percent of all). A query's status list within the
//!   open ones implies the predicate, so PostgreSQL uses them.
//!
//! Keyset pages compare `(created_at, id)` as one row value, a range on
//! these indexes: page 1,000 reads what page 1 does. Same SQL on both
//! databases (both have partial indexes and row values).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OPEN: &str = "status IN ('submitted', 'assigned', 'in_progress')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in [
            "CREATE INDEX idx_reports_created ON reports (created_at, id)".to_owned(),
            "CREATE INDEX idx_reports_unit_created ON reports (unit_id, created_at, id)".to_owned(),
            format!(
                "CREATE INDEX idx_reports_open_created ON reports (created_at, id) WHERE {OPEN}"
            ),
            format!(
                "CREATE INDEX idx_reports_open_unit_created ON reports (unit_id, created_at, id) WHERE {OPEN}"
            ),
            "DROP INDEX idx_reports_unit_status".to_owned(),
        ] {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in [
            "CREATE INDEX idx_reports_unit_status ON reports (unit_id, status, created_at)",
            "DROP INDEX idx_reports_open_unit_created",
            "DROP INDEX idx_reports_open_created",
            "DROP INDEX idx_reports_unit_created",
            "DROP INDEX idx_reports_created",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
