use sea_orm::entity::prelude::*;

use crate::domain::{Locale, Role};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// E.164, e.g. `+84912345678`.
    pub phone: Option<String>,
    /// Case-folded.
    pub email: Option<String>,
    /// argon2id PHC string.
    pub password_hash: String,
    pub full_name: String,
    pub role: Role,
    pub unit_id: Option<Uuid>,
    pub locale: Locale,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
    /// Set when the person deleted their account; personal data is erased.
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
