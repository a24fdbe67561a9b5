//! Response bodies shared by the account handlers (sessions, admin, privacy).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Role;
use crate::entities::users;
use crate::i18n::Locale;

/// An account as its owner (or an admin) sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserBody {
    pub id: Uuid,
    #[schema(example = "+84912345678")]
    pub phone: Option<String>,
    #[schema(example = "an.nguyen@example.com")]
    pub email: Option<String>,
    #[schema(example = "Nguyễn Văn An")]
    pub full_name: String,
    pub role: Role,
    pub unit_id: Option<Uuid>,
    pub locale: Locale,
    pub created_at: DateTime<Utc>,
}

impl From<users::Model> for UserBody {
    fn from(u: users::Model) -> Self {
        UserBody {
            id: u.id,
            phone: u.phone,
            email: u.email,
            full_name: u.full_name,
            role: u.role,
            unit_id: u.unit_id,
            locale: u.locale,
            created_at: u.created_at,
        }
    }
}
