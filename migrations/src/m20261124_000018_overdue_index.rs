//! `overdue=true` read down an index that holds only what can be overdue.
//!
//! A report is overdue when it is open and its deadline has passed
//! (domain.md). Submitted reports have no deadline yet (`due_at` is set when
//! a coordinator accepts or assigns), so the open-reports index of migration
//! 16 made the overdue page step over every submitted report newer than the
//! first overdue one: at a million seeded reports the city's overdue page read
//! 35,000 rows to return 21 (330 ms), and the newest reports of a busy
//! service are mostly waiting for triage. This index leaves them out: open
//! reports with a deadline, newest first. `due_at < $now` implies its
//! `due_at IS NOT NULL` on both databases, so no query changes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_reports_open_due_created ON reports (created_at, id) \
                 WHERE status IN ('submitted', 'assigned', 'in_progress') AND due_at IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_reports_open_due_created")
            .await?;
        Ok(())
    }
}
