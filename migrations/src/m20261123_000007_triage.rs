use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000002_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Calendar {
    Table,
    Id,
    Data,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    ReportId,
    EventId,
    Kind,
    ReportCode,
    ToStatus,
    Message,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Topic,
    Payload,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    DeliveredAt,
    LastError,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    Status,
    DueAt,
    AssigneeId,
    CreatedAt,
    ResolvedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The city's working calendar: one row, JSON (working intervals per
        // weekday, holidays, make-up working days).
        manager
            .create_table(
                Table::create()
                    .table(Calendar::Table)
                    .col(integer(Calendar::Id).primary_key())
                    .col(json(Calendar::Data))
                    .col(timestamp_with_time_zone(Calendar::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(pk_uuid(Notifications::Id))
                    .col(uuid(Notifications::UserId))
                    .col(uuid(Notifications::ReportId))
                    .col(uuid(Notifications::EventId))
                    .col(string_len(Notifications::Kind, 24))
                    .col(string_len(Notifications::ReportCode, 16))
                    .col(string_len_null(Notifications::ToStatus, 16))
                    .col(text_null(Notifications::Message))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notifications_user")
                            .from(Notifications::Table, Notifications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notifications_report")
                            .from(Notifications::Table, Notifications::ReportId)
                            .to(Reports::Table, Reports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_user_created")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::CreatedAt)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await?;

        // Events to deliver to push services and webhooks, written in the same
        // transaction as the change they announce.
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(pk_uuid(Outbox::Id))
                    .col(string_len(Outbox::Topic, 64))
                    .col(json(Outbox::Payload))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Outbox::DeliveredAt))
                    .col(text_null(Outbox::LastError))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_pending")
                    .table(Outbox::Table)
                    .col(Outbox::DeliveredAt)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;

        // The triage queue: by status and deadline (overdue), by assignee.
        manager
            .create_index(
                Index::create()
                    .name("idx_reports_status_due")
                    .table(Reports::Table)
                    .col(Reports::Status)
                    .col(Reports::DueAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_reports_assignee_status")
                    .table(Reports::Table)
                    .col(Reports::AssigneeId)
                    .col(Reports::Status)
                    .col(Reports::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // Auto-close: resolved reports by resolution time.
        manager
            .create_index(
                Index::create()
                    .name("idx_reports_status_resolved")
                    .table(Reports::Table)
                    .col(Reports::Status)
                    .col(Reports::ResolvedAt)
                    .col(Reports::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["outbox", "notifications", "calendar"] {
            manager
                .drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        for i in [
            "idx_reports_status_due",
            "idx_reports_assignee_status",
            "idx_reports_status_resolved",
        ] {
            manager
                .drop_index(Index::drop().name(i).table(Reports::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
