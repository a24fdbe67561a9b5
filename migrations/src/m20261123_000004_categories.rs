use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000001_units::Units;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
    Code,
    NameVi,
    NameEn,
    Description,
    Group,
    AckHours,
    SlaHours,
    DefaultUnitId,
    Active,
    Sensitive,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Categories::Table)
                    .col(pk_uuid(Categories::Id))
                    .col(string_len_uniq(Categories::Code, 64))
                    .col(string_len(Categories::NameVi, 255))
                    .col(string_len(Categories::NameEn, 255))
                    .col(text_null(Categories::Description))
                    .col(string_len_null(Categories::Group, 128))
                    .col(integer(Categories::AckHours).check(Expr::col(Categories::AckHours).gt(0)))
                    .col(integer(Categories::SlaHours).check(Expr::col(Categories::SlaHours).gt(0)))
                    .col(uuid_null(Categories::DefaultUnitId))
                    .col(boolean(Categories::Active).default(true))
                    .col(boolean(Categories::Sensitive).default(false))
                    .col(timestamp_with_time_zone(Categories::CreatedAt))
                    .col(timestamp_with_time_zone(Categories::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_categories_default_unit")
                            .from(Categories::Table, Categories::DefaultUnitId)
                            .to(Units::Table, Units::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Categories::Table).to_owned())
            .await
    }
}
