use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stats_snapshots")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: i32,
    /// `none`, `unit`, `category` or `area`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_by: String,
    pub data: Json,
    pub closed_at: DateTimeUtc,
    pub closed_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
