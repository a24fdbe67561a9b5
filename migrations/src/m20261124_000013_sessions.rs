//! Sessions that can end, and password reset codes.
//!
//! - `ix_refresh_tokens_live_family`: every authenticated request checks that
//!   its session (the refresh-token family named by the access token's `sid`)
//!   is still alive. A live family has exactly one token that is neither
//!   revoked nor rotated, so a partial index over the unrevoked rows answers
//!   that check with one index probe, whatever the number of sessions and of
//!   rotations kept. Same SQL on PostgreSQL and SQLite (both have partial
//!   indexes).
//! - `password_reset_codes`: one-time codes, stored as a keyed hash only,
//!   with their expiry, the tries used and when one was used.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PasswordResetCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    ExpiresAt,
    Attempts,
    UsedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_refresh_tokens_live_family \
                 ON refresh_tokens (family_id, expires_at) WHERE revoked_at IS NULL",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PasswordResetCodes::Table)
                    .col(pk_uuid(PasswordResetCodes::Id))
                    .col(uuid(PasswordResetCodes::UserId))
                    // HMAC-SHA256 of the code, hex.
                    .col(string_len(PasswordResetCodes::CodeHash, 64))
                    .col(timestamp_with_time_zone(PasswordResetCodes::CreatedAt))
                    .col(timestamp_with_time_zone(PasswordResetCodes::ExpiresAt))
                    .col(integer(PasswordResetCodes::Attempts).default(0))
                    .col(timestamp_with_time_zone_null(PasswordResetCodes::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_password_reset_codes_user")
                            .from(PasswordResetCodes::Table, PasswordResetCodes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_password_reset_codes_user")
                    .table(PasswordResetCodes::Table)
                    .col(PasswordResetCodes::UserId)
                    .col(PasswordResetCodes::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PasswordResetCodes::Table).to_owned())
            .await?;
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_refresh_tokens_live_family")
            .await?;
        Ok(())
    }
}
