//! Delivery: push devices, webhook endpoints and their deliveries, and a
//! lease on outbox rows so several workers never send the same attempt at
//! once (a crashed worker's lease runs out and the row is sent again, with
//! the same id: at least once, never lost).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000002_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Devices {
    Table,
    Token,
    UserId,
    SessionId,
    Platform,
    Locale,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    Url,
    Events,
    Description,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    Active,
    FailingSince,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    EventId,
    EventType,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LastStatusCode,
    LastError,
    DeliveredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    LockedUntil,
    Status,
    NextAttemptAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Devices::Table)
                    // FCM tokens are opaque; at most 4 KB of printable ASCII.
                    .col(string_len(Devices::Token, 4096).primary_key())
                    .col(uuid(Devices::UserId))
                    // The refresh-token family (the session) that registered it:
                    // logging that session out removes the device.
                    .col(uuid_null(Devices::SessionId))
                    .col(
                        string_len(Devices::Platform, 16)
                            .check(Expr::col(Devices::Platform).is_in(["android", "ios", "web"])),
                    )
                    .col(string_len(Devices::Locale, 8).default("vi"))
                    .col(timestamp_with_time_zone(Devices::CreatedAt))
                    .col(timestamp_with_time_zone(Devices::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_devices_user")
                            .from(Devices::Table, Devices::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_devices_user")
                    .table(Devices::Table)
                    .col(Devices::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_devices_session")
                    .table(Devices::Table)
                    .col(Devices::SessionId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .col(pk_uuid(Webhooks::Id))
                    .col(text(Webhooks::Url))
                    // A JSON array of event types, or ["*"].
                    .col(json(Webhooks::Events))
                    .col(text_null(Webhooks::Description))
                    .col(text(Webhooks::Secret))
                    // After a rotation the old secret signs too, for 24 hours.
                    .col(text_null(Webhooks::PreviousSecret))
                    .col(timestamp_with_time_zone_null(Webhooks::PreviousSecretUntil))
                    .col(boolean(Webhooks::Active).default(true))
                    // Set at the first failed attempt after a success; an
                    // endpoint failing for 5 days is set inactive.
                    .col(timestamp_with_time_zone_null(Webhooks::FailingSince))
                    .col(timestamp_with_time_zone(Webhooks::CreatedAt))
                    .col(timestamp_with_time_zone(Webhooks::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(pk_uuid(WebhookDeliveries::Id))
                    .col(uuid(WebhookDeliveries::WebhookId))
                    .col(uuid(WebhookDeliveries::EventId))
                    .col(string_len(WebhookDeliveries::EventType, 64))
                    // The exact body sent, so every retry sends the same bytes.
                    .col(json(WebhookDeliveries::Payload))
                    .col(
                        string_len(WebhookDeliveries::Status, 16)
                            .default("pending")
                            .check(Expr::col(WebhookDeliveries::Status).is_in([
                                "pending",
                                "delivered",
                                "failed",
                            ])),
                    )
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(integer_null(WebhookDeliveries::LastStatusCode))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_deliveries_webhook")
                            .from(WebhookDeliveries::Table, WebhookDeliveries::WebhookId)
                            .to(Webhooks::Table, Webhooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One delivery per event per endpoint, however often the event is
        // expanded (a worker that crashed after expanding does it again).
        manager
            .create_index(
                Index::create()
                    .name("uq_webhook_deliveries_event")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::WebhookId)
                    .col(WebhookDeliveries::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_webhook")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::WebhookId)
                    .col(WebhookDeliveries::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(timestamp_with_time_zone_null(Outbox::LockedUntil))
                    .to_owned(),
            )
            .await?;
        // What a worker claims: pending rows that are due.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_due")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_outbox_due")
                    .table(Outbox::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::LockedUntil)
                    .to_owned(),
            )
            .await?;
        for t in ["webhook_deliveries", "webhooks", "devices"] {
            manager
                .drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
