use sea_orm::entity::prelude::*;

use crate::domain::{Locale, Platform};

/// A phone (or browser) that receives push messages for a user.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "devices")]
pub struct Model {
    /// The push token (FCM registration token).
    #[sea_orm(primary_key, auto_increment = false)]
    pub token: String,
    pub user_id: Uuid,
    /// The session (refresh-token family) that registered it.
    pub session_id: Option<Uuid>,
    pub platform: Platform,
    pub locale: Locale,
    pub created_at: DateTimeUtc,
    pub last_used_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
