//! `overdue=true` read down an index that holds only what can be overdue.
//!
//! A report is overdue when it is open and its deadline has passed
//! (domain.md). Submitted reports have no deadline yet (`due_at` is set when
//! a coordinator accepts or assigns), so the open-reports index of migration
//! 16 made the overdue page step over every submitted report newer than the
//! first overdue one: at a million seeded reports the city's overdue page read
//! 35,000 rows to return 21 (330 ms), and the newest reports of a busy
//! service are mostly waiting for triage. These indexes leave them out: open
//! reports with a deadline, newest first, city-wide and by unit (a busy
//! department's overdue page took 140 ms at ten million reports, 2 ms with
//! its own). `due_at < $now` implies their `due_at IS NOT NULL` on both
//! databases, so no query changes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, columns) in [
            ("idx_reports_open_due_created", "created_at, id"),
            (
                "idx_reports_open_due_unit_created",
                "unit_id, created_at, id",
            ),
        ] {
            db.execute_unprepared(&format!(
                "CREATE INDEX {name} ON reports ({columns}) \
                 WHERE status IN ('submitted', 'assigned', 'in_progress') AND due_at IS NOT NULL"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for name in [
            "idx_reports_open_due_unit_created",
            "idx_reports_open_due_created",
        ] {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
