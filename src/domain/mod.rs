//! The shared vocabulary of the domain: the closed sets (statuses, roles,
//! priorities, event kinds, …) and the local month. Every capability folder
//! may use these; nothing here knows about HTTP or the database schema
//! beyond the column values.

mod enums;
pub mod geo;
mod month;

pub use enums::{
    DeliveryStatus, EventKind, GroupBy, Locale, Platform, Priority, Role, Status, UnitKind,
};
pub use month::Month;

use uuid::Uuid;

/// Who does something: what a service needs to know of the caller (the
/// HTTP layer's `CurrentUser` carries one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: Uuid,
    pub role: Role,
    /// Staff only: the unit whose subtree they work in.
    pub unit_id: Option<Uuid>,
}
