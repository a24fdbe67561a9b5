use sea_orm::entity::prelude::*;

use crate::domain::{EventKind, Status};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub report_id: Uuid,
    pub event_id: Uuid,
    /// The event kind that caused it.
    pub kind: EventKind,
    pub report_code: String,
    pub to_status: Option<Status>,
    /// The public message of the event, if any.
    pub message: Option<String>,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
