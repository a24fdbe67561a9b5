use sea_orm::entity::prelude::*;

use crate::domain::UnitKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "units")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Unique, e.g. `HN`, `HN-HOANKIEM`.
    pub code: String,
    pub name: String,
    /// `city` | `department` | `district` | `ward` | `commune` | `other`
    pub kind: UnitKind,
    pub parent_id: Option<Uuid>,
    /// The administrative area the unit covers.
    pub area_code: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
