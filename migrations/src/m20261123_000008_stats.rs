use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReportStatsMonthly {
    Table,
    Month,
    UnitId,
    CategoryId,
    AreaCode,
    Received,
    Handled,
    HandledOnTime,
    Rejected,
    Duplicates,
    RatingSum,
    RatingCount,
    HandledInMonth,
    DueCount,
    DueHandled,
}

#[derive(DeriveIden)]
enum ReportStatsResolution {
    Table,
    Month,
    UnitId,
    CategoryId,
    AreaCode,
    Hours,
    Count,
}

#[derive(DeriveIden)]
enum StatsSnapshots {
    Table,
    Month,
    GroupBy,
    Data,
    ClosedAt,
    ClosedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ReportStatsMonthly as S;
        // The statistics rollup: counters per local month × unit × category ×
        // area, kept up to date inside every transaction that changes a
        // report. "No unit" is the nil UUID and "no area" the empty string, so
        // the key never holds NULL (NULLs never conflict in a unique index).
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(integer(S::Month))
                    .col(uuid(S::UnitId))
                    .col(uuid(S::CategoryId))
                    .col(string_len(S::AreaCode, 32))
                    .col(big_integer(S::Received).default(0))
                    .col(big_integer(S::Handled).default(0))
                    .col(big_integer(S::HandledOnTime).default(0))
                    .col(big_integer(S::Rejected).default(0))
                    .col(big_integer(S::Duplicates).default(0))
                    .col(big_integer(S::RatingSum).default(0))
                    .col(big_integer(S::RatingCount).default(0))
                    .col(big_integer(S::HandledInMonth).default(0))
                    .col(big_integer(S::DueCount).default(0))
                    .col(big_integer(S::DueHandled).default(0))
                    .primary_key(
                        Index::create()
                            .col(S::Month)
                            .col(S::UnitId)
                            .col(S::CategoryId)
                            .col(S::AreaCode),
                    )
                    .to_owned(),
            )
            .await?;
        use ReportStatsResolution as R;
        // Resolution times (whole hours from filing to handling) of the
        // reports handled in each month: the median and 90th percentile come
        // from this histogram.
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(integer(R::Month))
                    .col(uuid(R::UnitId))
                    .col(uuid(R::CategoryId))
                    .col(string_len(R::AreaCode, 32))
                    .col(integer(R::Hours))
                    .col(big_integer(R::Count).default(0))
                    .primary_key(
                        Index::create()
                            .col(R::Month)
                            .col(R::UnitId)
                            .col(R::CategoryId)
                            .col(R::AreaCode)
                            .col(R::Hours),
                    )
                    .to_owned(),
            )
            .await?;
        use StatsSnapshots as N;
        // Frozen figures of closed months, one per grouping.
        manager
            .create_table(
                Table::create()
                    .table(N::Table)
                    .col(integer(N::Month))
                    .col(string_len(N::GroupBy, 16))
                    .col(json(N::Data))
                    .col(timestamp_with_time_zone(N::ClosedAt))
                    .col(uuid_null(N::ClosedBy))
                    .primary_key(Index::create().col(N::Month).col(N::GroupBy))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "stats_snapshots",
            "report_stats_resolution",
            "report_stats_monthly",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
