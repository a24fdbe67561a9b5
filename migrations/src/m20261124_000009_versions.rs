//! `reports.version`, the optimistic-concurrency counter (every change of a
//! report increments it; a stale write compares it, never a timestamp), and
//! `outbox.status`, the delivery status as a closed set.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reports {
    Table,
    Version,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Status,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Reports::Table)
                    .add_column(integer(Reports::Version).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(
                        string_len(Outbox::Status, 16).default("pending").check(
                            Expr::col(Outbox::Status).is_in(["pending", "delivered", "failed"]),
                        ),
                    )
                    .to_owned(),
            )
            .await?;
        // Rows delivered before the column existed.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE outbox SET status = 'delivered' WHERE delivered_at IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Reports::Table)
                    .drop_column(Reports::Version)
                    .to_owned(),
            )
            .await
    }
}
