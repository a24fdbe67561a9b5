//! An index on `reports.duplicate_of`, over the duplicates only.
//!
//! Marking a report as a duplicate re-points the reports already merged into
//! it (`UPDATE reports SET duplicate_of = … WHERE duplicate_of = $1`, so no
//! chain forms), and PostgreSQL checks the foreign key `duplicate_of` the
//! same way when a report is deleted. Without an index each was a scan of the
//! whole table, inside the staff action's transaction: seconds at ten million
//! reports, found when bench/run's reports were cleaned up. Partial: most
//! reports are no duplicate, and `duplicate_of = $1` implies the predicate.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_reports_duplicate_of ON reports (duplicate_of) \
                 WHERE duplicate_of IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_reports_duplicate_of")
            .await?;
        Ok(())
    }
}
