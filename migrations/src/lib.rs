//! The schema, as an ordered list of migrations. This is the only way the
//! schema changes: the server runs them at start (`serve`) or on `migrate`, and
//! tests build every database by running them.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_units;
mod m20261123_000002_users;
mod m20261123_000003_refresh_tokens;
mod m20261123_000004_categories;
mod m20261123_000005_reference_and_clients;
mod m20261123_000006_reports;
mod m20261123_000007_triage;
mod m20261123_000008_stats;
mod m20261124_000009_versions;
mod m20261124_000010_delivery;
mod m20261124_000011_reminders;
mod m20261124_000012_open311;
mod m20261124_000013_sessions;
mod m20261124_000014_unit_snapshots;
mod m20261124_000015_seed_runs;
mod m20261124_000016_queue_indexes;
mod m20261124_000017_resolution_buckets;
mod m20261124_000018_overdue_index;
mod m20261124_000019_duplicate_of_index;

pub use m20261124_000017_resolution_buckets::bucket_sql as resolution_bucket_sql;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_units::Migration),
            Box::new(m20261123_000002_users::Migration),
            Box::new(m20261123_000003_refresh_tokens::Migration),
            Box::new(m20261123_000004_categories::Migration),
            Box::new(m20261123_000005_reference_and_clients::Migration),
            Box::new(m20261123_000006_reports::Migration),
            Box::new(m20261123_000007_triage::Migration),
            Box::new(m20261123_000008_stats::Migration),
            Box::new(m20261124_000009_versions::Migration),
            Box::new(m20261124_000010_delivery::Migration),
            Box::new(m20261124_000011_reminders::Migration),
            Box::new(m20261124_000012_open311::Migration),
            Box::new(m20261124_000013_sessions::Migration),
            Box::new(m20261124_000014_unit_snapshots::Migration),
            Box::new(m20261124_000015_seed_runs::Migration),
            Box::new(m20261124_000016_queue_indexes::Migration),
            Box::new(m20261124_000017_resolution_buckets::Migration),
            Box::new(m20261124_000018_overdue_index::Migration),
            Box::new(m20261124_000019_duplicate_of_index::Migration),
        ]
    }
}
