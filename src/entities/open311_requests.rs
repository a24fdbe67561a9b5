use sea_orm::entity::prelude::*;

/// What an Open311 filing carried besides the report itself.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "open311_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub report_id: Uuid,
    pub api_client_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub device_id: Option<String>,
    /// The citizen's id in the client's own system.
    pub account_id: Option<String>,
    /// SHA-256 (hex) of what was reported.
    pub content_hash: String,
    /// A link the client sent; stored, never fetched.
    pub media_url: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
