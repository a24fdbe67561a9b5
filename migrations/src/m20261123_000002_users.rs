use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000001_units::Units;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Phone,
    Email,
    PasswordHash,
    FullName,
    Role,
    UnitId,
    Locale,
    CreatedAt,
    UpdatedAt,
    DisabledAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    // Unique but nullable: both databases allow many NULLs.
                    .col(string_len_null(Users::Phone, 20).unique_key())
                    .col(string_len_null(Users::Email, 254).unique_key())
                    .col(string_len(Users::PasswordHash, 255))
                    .col(string_len(Users::FullName, 255))
                    .col(
                        string_len(Users::Role, 16).check(Expr::col(Users::Role).is_in([
                            "citizen",
                            "officer",
                            "coordinator",
                            "admin",
                        ])),
                    )
                    .col(uuid_null(Users::UnitId))
                    .col(string_len(Users::Locale, 8).default("vi"))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Users::DisabledAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_users_unit")
                            .from(Users::Table, Users::UnitId)
                            .to(Units::Table, Units::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_unit")
                    .table(Users::Table)
                    .col(Users::UnitId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}
