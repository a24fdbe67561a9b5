//! The organization: units (a tree of any depth), categories, and routing
//! rules (category × area → unit).

pub mod routes;
pub mod routing;
pub mod units;
