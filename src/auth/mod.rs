//! Authentication: password hashing, tokens, login throttling, and the
//! extractors that say in a handler's signature who may call it.

pub mod extract;
pub mod password;
pub mod rate_limit;
pub mod tokens;

use serde::{Deserialize, Serialize};

/// The four roles of `domain.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Citizen,
    Officer,
    Coordinator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Citizen, Role::Officer, Role::Coordinator, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Officer => "officer",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Citizen)
    }
}
