//! Open311 filings: who filed (an API client), the person behind it (a
//! contact that is not a login, when no account matches), and what the
//! client sent besides the report (device, its own account id, a media link).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    FirstName,
    LastName,
    Email,
    Phone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Open311Requests {
    Table,
    ReportId,
    ApiClientId,
    ContactId,
    DeviceId,
    AccountId,
    ContentHash,
    MediaUrl,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ApiClients {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .col(pk_uuid(Contacts::Id))
                    .col(string_len_null(Contacts::FirstName, 100))
                    .col(string_len_null(Contacts::LastName, 100))
                    // Case-folded, as on accounts.
                    .col(string_len_null(Contacts::Email, 254))
                    // E.164.
                    .col(string_len_null(Contacts::Phone, 32))
                    .col(timestamp_with_time_zone(Contacts::CreatedAt))
                    .col(timestamp_with_time_zone(Contacts::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_contacts_email", Contacts::Email),
            ("ix_contacts_phone", Contacts::Phone),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Contacts::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Open311Requests::Table)
                    .col(pk_uuid(Open311Requests::ReportId))
                    .col(uuid(Open311Requests::ApiClientId))
                    .col(uuid_null(Open311Requests::ContactId))
                    .col(string_len_null(Open311Requests::DeviceId, 128))
                    .col(string_len_null(Open311Requests::AccountId, 128))
                    // SHA-256 of what was reported, hex: a resubmission from
                    // the same device within minutes is the same request.
                    .col(string_len(Open311Requests::ContentHash, 64))
                    .col(string_len_null(Open311Requests::MediaUrl, 2048))
                    .col(timestamp_with_time_zone(Open311Requests::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_open311_requests_report")
                            .from(Open311Requests::Table, Open311Requests::ReportId)
                            .to(Reports::Table, Reports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_open311_requests_client")
                            .from(Open311Requests::Table, Open311Requests::ApiClientId)
                            .to(ApiClients::Table, ApiClients::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_open311_requests_contact")
                            .from(Open311Requests::Table, Open311Requests::ContactId)
                            .to(Contacts::Table, Contacts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_open311_requests_resubmission")
                    .table(Open311Requests::Table)
                    .col(Open311Requests::ApiClientId)
                    .col(Open311Requests::DeviceId)
                    .col(Open311Requests::ContentHash)
                    .col(Open311Requests::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_open311_requests_contact")
                    .table(Open311Requests::Table)
                    .col(Open311Requests::ContactId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Open311Requests::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Contacts::Table).to_owned())
            .await?;
        Ok(())
    }
}
