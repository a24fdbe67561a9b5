//! What `seed-demo` needs to be resumable: its runs (what was asked, how many
//! chunks are in, each chunk committed together with its row here), and the
//! secondary indexes a large load dropped, kept until they are built again,
//! so an interrupted seed (even killed) finds them and puts them back.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SeedRuns {
    Table,
    Id,
    Seed,
    Reports,
    Months,
    Chunk,
    /// The number of the run's first report (seeded codes come from it).
    FirstNumber,
    ChunksDone,
    StartedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum SeedDroppedIndexes {
    Table,
    Name,
    TableName,
    Definition,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SeedRuns as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(pk_auto(S::Id))
                    .col(big_integer(S::Seed))
                    .col(big_integer(S::Reports))
                    .col(integer(S::Months))
                    .col(big_integer(S::Chunk))
                    .col(big_integer(S::FirstNumber))
                    .col(big_integer(S::ChunksDone).default(0))
                    .col(timestamp_with_time_zone(S::StartedAt))
                    .col(timestamp_with_time_zone(S::UpdatedAt))
                    .col(timestamp_with_time_zone_null(S::FinishedAt))
                    .to_owned(),
            )
            .await?;
        use SeedDroppedIndexes as D;
        manager
            .create_table(
                Table::create()
                    .table(D::Table)
                    .col(string_len(D::Name, 128).primary_key())
                    .col(string_len(D::TableName, 64))
                    .col(text(D::Definition))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SeedDroppedIndexes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SeedRuns::Table).to_owned())
            .await
    }
}
