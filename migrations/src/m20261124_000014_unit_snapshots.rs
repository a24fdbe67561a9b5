//! Frozen figures of a closed month for every unit's scope, beside the
//! city-wide ones of `stats_snapshots`: a ward coordinator's export of a
//! closed month is what was frozen for its ward, so what a ward published
//! never moves either (a report reopened later, a unit moved under another).
//! One row per month, unit and grouping.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StatsUnitSnapshots {
    Table,
    Month,
    UnitId,
    GroupBy,
    Data,
    ClosedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use StatsUnitSnapshots as N;
        manager
            .create_table(
                Table::create()
                    .table(N::Table)
                    .col(integer(N::Month))
                    .col(uuid(N::UnitId))
                    .col(string_len(N::GroupBy, 16))
                    .col(json(N::Data))
                    .col(timestamp_with_time_zone(N::ClosedAt))
                    .primary_key(Index::create().col(N::Month).col(N::UnitId).col(N::GroupBy))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StatsUnitSnapshots::Table).to_owned())
            .await
    }
}
