//! The resolution-time histogram in the buckets `domain.md` defines: whole
//! hours for the first 72 hours, then a day wide up to two weeks, a week
//! wide up to 14 weeks, 30 days wide after, each past 72 hours stored at its
//! upper bound (`stats::rollup::resolution_bucket` says the same in Rust;
//! a test holds the two to each other). Rows stored by whole hours before
//! are summed into their buckets; the counts do not change, only how finely
//! they are kept, so `stats check` agrees after it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The bucket of the whole hours in `col`, in SQL both databases run
/// (integer division of non-negative integers truncates on both).
pub fn bucket_sql(col: &str) -> String {
    format!(
        "CASE WHEN {col} < 72 THEN {col} \
         WHEN {col} < 336 THEN 72 + 24 * (({col} - 72) / 24 + 1) \
         WHEN {col} < 2352 THEN 336 + 168 * (({col} - 336) / 168 + 1) \
         ELSE 2352 + 720 * (({col} - 2352) / 720 + 1) END"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let bucket = bucket_sql("hours");
        for sql in [
            format!(
                "CREATE TABLE resolution_rebucketed AS \
                 SELECT month, unit_id, category_id, area_code, {bucket} AS hours, \
                 SUM(count) AS count FROM report_stats_resolution \
                 GROUP BY month, unit_id, category_id, area_code, {bucket}"
            ),
            "DELETE FROM report_stats_resolution".to_owned(),
            "INSERT INTO report_stats_resolution (month, unit_id, category_id, area_code, hours, count) \
             SELECT month, unit_id, category_id, area_code, hours, count FROM resolution_rebucketed"
                .to_owned(),
            "DROP TABLE resolution_rebucketed".to_owned(),
        ] {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Whole hours cannot be recovered from a bucket: `stats rebuild`
        // after going back recomputes them from the reports.
        Ok(())
    }
}
