use sea_orm::entity::prelude::*;

use crate::domain::{Priority, Status};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Short human tracking code, e.g. `PA-7K3M9Q`.
    pub code: String,
    pub reporter_id: Option<Uuid>,
    pub category_id: Uuid,
    pub priority: Priority,
    pub title: String,
    pub description: String,
    pub lat: f64,
    pub lng: f64,
    /// What the public sees: the point itself, or a ~500 m cell centre for
    /// sensitive categories. Public filters use these, so a bounding box
    /// cannot narrow down a hidden location.
    pub public_lat: f64,
    pub public_lng: f64,
    pub address: Option<String>,
    pub area_code: Option<String>,
    pub is_anonymous: bool,
    pub is_public: bool,
    pub status: Status,
    pub unit_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub ack_due_at: DateTimeUtc,
    pub due_at: Option<DateTimeUtc>,
    /// Local `YYYYMM` of `created_at` in the city time zone.
    pub received_month: i32,
    pub handled_at: Option<DateTimeUtc>,
    pub handled_month: Option<i32>,
    pub resolved_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub rating: Option<i16>,
    pub rating_comment: Option<String>,
    pub rated_at: Option<DateTimeUtc>,
    pub duplicate_of: Option<Uuid>,
    pub follower_count: i32,
    /// Lower-cased, diacritics folded: what text search matches.
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Incremented by every change; stale writes compare it.
    pub version: i32,
    /// The `Idempotency-Key` the report was filed with, and a hash of the body.
    pub client_request_id: Option<String>,
    pub client_request_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
