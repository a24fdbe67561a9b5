//! Deadline reminders sent, one row each, so every instance may look for due
//! reminders and each goes out once: the primary key makes the second insert
//! a no-op. And the index the live stream reads `report_events` by.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReportReminders {
    Table,
    ReportId,
    Kind,
    Deadline,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ReportEvents {
    Table,
    CreatedAt,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReportReminders::Table)
                    .col(uuid(ReportReminders::ReportId))
                    .col(string_len(ReportReminders::Kind, 16).check(
                        Expr::col(ReportReminders::Kind).is_in(["ack_due", "due", "overdue"]),
                    ))
                    // The deadline it was about: an extended deadline is a new
                    // one and is reminded of again.
                    .col(timestamp_with_time_zone(ReportReminders::Deadline))
                    .col(timestamp_with_time_zone(ReportReminders::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ReportReminders::ReportId)
                            .col(ReportReminders::Kind)
                            .col(ReportReminders::Deadline),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_reminders_report")
                            .from(ReportReminders::Table, ReportReminders::ReportId)
                            .to(Reports::Table, Reports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_report_events_created")
                    .table(ReportEvents::Table)
                    .col(ReportEvents::CreatedAt)
                    .col(ReportEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_report_events_created")
                    .table(ReportEvents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ReportReminders::Table).to_owned())
            .await
    }
}
