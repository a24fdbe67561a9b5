use sea_orm_migration::sea_orm::DatabaseBackend;
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
enum Media {
    Table,
    Id,
    OwnerId,
    ContentType,
    ByteSize,
    Sha256,
    StorageKey,
    Width,
    Height,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    Code,
    ReporterId,
    CategoryId,
    Priority,
    Title,
    Description,
    Lat,
    Lng,
    PublicLat,
    PublicLng,
    Address,
    AreaCode,
    IsAnonymous,
    IsPublic,
    Status,
    UnitId,
    AssigneeId,
    AckDueAt,
    DueAt,
    ReceivedMonth,
    HandledAt,
    HandledMonth,
    ResolvedAt,
    ClosedAt,
    Rating,
    RatingComment,
    RatedAt,
    DuplicateOf,
    FollowerCount,
    SearchText,
    CreatedAt,
    UpdatedAt,
    ClientRequestId,
    ClientRequestHash,
}

#[derive(DeriveIden)]
enum ReportMedia {
    Table,
    ReportId,
    MediaId,
    Position,
}

#[derive(DeriveIden)]
enum ReportEvents {
    Table,
    Id,
    ReportId,
    ActorId,
    Kind,
    FromStatus,
    ToStatus,
    PublicMessage,
    InternalNote,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReportFollowers {
    Table,
    ReportId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UsersExtra {
    #[sea_orm(iden = "users")]
    Table,
    DeletedAt,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<Reports>,
) -> Result<(), DbErr> {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(c);
    }
    manager.create_index(idx.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(UsersExtra::Table)
                    .add_column(timestamp_with_time_zone_null(UsersExtra::DeletedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Media::Table)
                    .col(pk_uuid(Media::Id))
                    .col(uuid_null(Media::OwnerId))
                    .col(string_len(Media::ContentType, 64))
                    .col(big_integer(Media::ByteSize))
                    .col(string_len(Media::Sha256, 64))
                    .col(string_len(Media::StorageKey, 255))
                    .col(integer_null(Media::Width))
                    .col(integer_null(Media::Height))
                    .col(timestamp_with_time_zone(Media::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_media_owner",
                        (Media::Table, Media::OwnerId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_media_owner")
                    .table(Media::Table)
                    .col(Media::OwnerId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Reports::Table)
                    .col(pk_uuid(Reports::Id))
                    .col(string_len_uniq(Reports::Code, 16))
                    .col(uuid_null(Reports::ReporterId))
                    .col(uuid(Reports::CategoryId))
                    .col(string_len(Reports::Priority, 8).default("normal"))
                    .col(string_len(Reports::Title, 200))
                    .col(text(Reports::Description))
                    .col(double(Reports::Lat))
                    .col(double(Reports::Lng))
                    .col(double(Reports::PublicLat))
                    .col(double(Reports::PublicLng))
                    .col(string_len_null(Reports::Address, 500))
                    .col(string_len_null(Reports::AreaCode, 32))
                    .col(boolean(Reports::IsAnonymous).default(false))
                    .col(boolean(Reports::IsPublic).default(true))
                    .col(
                        string_len(Reports::Status, 16).check(Expr::col(Reports::Status).is_in([
                            "submitted",
                            "assigned",
                            "in_progress",
                            "resolved",
                            "closed",
                            "rejected",
                            "duplicate",
                        ])),
                    )
                    .col(uuid_null(Reports::UnitId))
                    .col(uuid_null(Reports::AssigneeId))
                    .col(timestamp_with_time_zone(Reports::AckDueAt))
                    .col(timestamp_with_time_zone_null(Reports::DueAt))
                    .col(integer(Reports::ReceivedMonth))
                    .col(timestamp_with_time_zone_null(Reports::HandledAt))
                    .col(integer_null(Reports::HandledMonth))
                    .col(timestamp_with_time_zone_null(Reports::ResolvedAt))
                    .col(timestamp_with_time_zone_null(Reports::ClosedAt))
                    .col(small_integer_null(Reports::Rating))
                    .col(text_null(Reports::RatingComment))
                    .col(timestamp_with_time_zone_null(Reports::RatedAt))
                    .col(uuid_null(Reports::DuplicateOf))
                    .col(integer(Reports::FollowerCount).default(0))
                    .col(text(Reports::SearchText))
                    .col(timestamp_with_time_zone(Reports::CreatedAt))
                    .col(timestamp_with_time_zone(Reports::UpdatedAt))
                    .col(string_len_null(Reports::ClientRequestId, 128))
                    .col(string_len_null(Reports::ClientRequestHash, 64))
                    .foreign_key(&mut fk(
                        "fk_reports_reporter",
                        (Reports::Table, Reports::ReporterId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_reports_category",
                        (Reports::Table, Reports::CategoryId),
                        (Categories::Table, Categories::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_reports_unit",
                        (Reports::Table, Reports::UnitId),
                        (Units::Table, Units::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_reports_assignee",
                        (Reports::Table, Reports::AssigneeId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_reports_duplicate_of",
                        (Reports::Table, Reports::DuplicateOf),
                        (Reports::Table, Reports::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        // Idempotency: one report per (reporter, Idempotency-Key).
        manager
            .create_index(
                Index::create()
                    .name("uq_reports_idempotency")
                    .table(Reports::Table)
                    .col(Reports::ReporterId)
                    .col(Reports::ClientRequestId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // "Mine", newest first.
        index(
            manager,
            "idx_reports_reporter_created",
            Reports::Table,
            vec![Reports::ReporterId, Reports::CreatedAt, Reports::Id],
        )
        .await?;
        // The public feed: newest first, and its bounding-box filter.
        index(
            manager,
            "idx_reports_public_created",
            Reports::Table,
            vec![Reports::IsPublic, Reports::CreatedAt, Reports::Id],
        )
        .await?;
        index(
            manager,
            "idx_reports_public_location",
            Reports::Table,
            vec![Reports::PublicLng, Reports::PublicLat],
        )
        .await?;
        // Triage and statistics filters.
        index(
            manager,
            "idx_reports_unit_status",
            Reports::Table,
            vec![Reports::UnitId, Reports::Status, Reports::CreatedAt],
        )
        .await?;
        index(
            manager,
            "idx_reports_category",
            Reports::Table,
            vec![Reports::CategoryId, Reports::CreatedAt],
        )
        .await?;
        index(
            manager,
            "idx_reports_received_month",
            Reports::Table,
            vec![Reports::ReceivedMonth],
        )
        .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            // Diacritics-folded text search ("duong lang" finds "Đường Láng")
            // with substring matches served by a trigram index.
            let db = manager.get_connection();
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                .await?;
            db.execute_unprepared("CREATE INDEX idx_reports_search_trgm ON reports USING gin (search_text gin_trgm_ops)")
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ReportMedia::Table)
                    .col(uuid(ReportMedia::ReportId))
                    .col(uuid_uniq(ReportMedia::MediaId))
                    .col(integer(ReportMedia::Position))
                    .primary_key(
                        Index::create()
                            .col(ReportMedia::ReportId)
                            .col(ReportMedia::MediaId),
                    )
                    .foreign_key(&mut fk(
                        "fk_report_media_report",
                        (ReportMedia::Table, ReportMedia::ReportId),
                        (Reports::Table, Reports::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_report_media_media",
                        (ReportMedia::Table, ReportMedia::MediaId),
                        (Media::Table, Media::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReportEvents::Table)
                    .col(pk_uuid(ReportEvents::Id))
                    .col(uuid(ReportEvents::ReportId))
                    .col(uuid_null(ReportEvents::ActorId))
                    .col(string_len(ReportEvents::Kind, 24))
                    .col(string_len_null(ReportEvents::FromStatus, 16))
                    .col(string_len_null(ReportEvents::ToStatus, 16))
                    .col(text_null(ReportEvents::PublicMessage))
                    .col(text_null(ReportEvents::InternalNote))
                    .col(json_null(ReportEvents::Data))
                    .col(timestamp_with_time_zone(ReportEvents::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_report_events_report",
                        (ReportEvents::Table, ReportEvents::ReportId),
                        (Reports::Table, Reports::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_report_events_actor",
                        (ReportEvents::Table, ReportEvents::ActorId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_report_events_report")
                    .table(ReportEvents::Table)
                    .col(ReportEvents::ReportId)
                    .col(ReportEvents::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReportFollowers::Table)
                    .col(uuid(ReportFollowers::ReportId))
                    .col(uuid(ReportFollowers::UserId))
                    .col(timestamp_with_time_zone(ReportFollowers::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ReportFollowers::ReportId)
                            .col(ReportFollowers::UserId),
                    )
                    .foreign_key(&mut fk(
                        "fk_report_followers_report",
                        (ReportFollowers::Table, ReportFollowers::ReportId),
                        (Reports::Table, Reports::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_report_followers_user",
                        (ReportFollowers::Table, ReportFollowers::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_report_followers_user")
                    .table(ReportFollowers::Table)
                    .col(ReportFollowers::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "report_followers",
            "report_events",
            "report_media",
            "reports",
            "media",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(UsersExtra::Table)
                    .drop_column(UsersExtra::DeletedAt)
                    .to_owned(),
            )
            .await
    }
}
