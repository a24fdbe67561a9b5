use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000001_units::Units;
use crate::m20261123_000002_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RoutingRules {
    Table,
    Id,
    CategoryId,
    AreaCode,
    UnitId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiClients {
    Table,
    Id,
    Name,
    KeyHash,
    KeyPrefix,
    CreatedBy,
    CreatedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RoutingRules::Table)
                    .col(pk_uuid(RoutingRules::Id))
                    .col(uuid(RoutingRules::CategoryId))
                    // An administrative area code; a rule matches reports whose
                    // area code starts with it, the longest match winning.
                    .col(string_len(RoutingRules::AreaCode, 32))
                    .col(uuid(RoutingRules::UnitId))
                    .col(timestamp_with_time_zone(RoutingRules::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_routing_rules_category")
                            .from(RoutingRules::Table, RoutingRules::CategoryId)
                            .to(Categories::Table, Categories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_routing_rules_unit")
                            .from(RoutingRules::Table, RoutingRules::UnitId)
                            .to(Units::Table, Units::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_routing_rules_category_area")
                    .table(RoutingRules::Table)
                    .col(RoutingRules::CategoryId)
                    .col(RoutingRules::AreaCode)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiClients::Table)
                    .col(pk_uuid(ApiClients::Id))
                    .col(string_len(ApiClients::Name, 255))
                    .col(string_len_uniq(ApiClients::KeyHash, 64))
                    .col(string_len(ApiClients::KeyPrefix, 16))
                    .col(uuid_null(ApiClients::CreatedBy))
                    .col(timestamp_with_time_zone(ApiClients::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiClients::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_clients_created_by")
                            .from(ApiClients::Table, ApiClients::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiClients::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RoutingRules::Table).to_owned())
            .await
    }
}
