use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_stats_monthly")]
pub struct Model {
    /// Local `YYYYMM`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: i32,
    /// The nil UUID for reports without a unit.
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub category_id: Uuid,
    /// Empty for reports without an area.
    #[sea_orm(primary_key, auto_increment = false)]
    pub area_code: String,
    /// By received month.
    pub received: i64,
    pub handled: i64,
    pub handled_on_time: i64,
    pub rejected: i64,
    pub duplicates: i64,
    pub rating_sum: i64,
    pub rating_count: i64,
    /// By handled month.
    pub handled_in_month: i64,
    /// By the month of the deadline.
    pub due_count: i64,
    /// By the later of the deadline's and the handling's month.
    pub due_handled: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
