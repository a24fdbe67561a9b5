use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "categories")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Unique; also the Open311 `service_code`.
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub description: Option<String>,
    pub group: Option<String>,
    /// Working hours to accept or route a new report.
    pub ack_hours: i32,
    /// Working hours to handle a report, from its first assignment.
    pub sla_hours: i32,
    pub default_unit_id: Option<Uuid>,
    pub active: bool,
    /// Hide the exact location from the public.
    pub sensitive: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
