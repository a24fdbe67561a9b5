use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Units {
    Table,
    Id,
    Code,
    Name,
    Kind,
    ParentId,
    AreaCode,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Units::Table)
                    .col(pk_uuid(Units::Id))
                    .col(string_len_uniq(Units::Code, 64))
                    .col(string_len(Units::Name, 255))
                    // No level is hard-coded: since 2025 Vietnam has two levels of
                    // local government, and departments hang off either.
                    .col(
                        string_len(Units::Kind, 16).check(Expr::col(Units::Kind).is_in([
                            "city",
                            "department",
                            "district",
                            "ward",
                            "commune",
                            "other",
                        ])),
                    )
                    .col(uuid_null(Units::ParentId))
                    .col(string_len_null(Units::AreaCode, 32))
                    .col(timestamp_with_time_zone(Units::CreatedAt))
                    .col(timestamp_with_time_zone(Units::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_units_parent")
                            .from(Units::Table, Units::ParentId)
                            .to(Units::Table, Units::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_units_parent")
                    .table(Units::Table)
                    .col(Units::ParentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_units_area")
                    .table(Units::Table)
                    .col(Units::AreaCode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Units::Table).to_owned())
            .await
    }
}
