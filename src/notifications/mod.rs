//! The per-user inbox, and the outbox that a push or webhook sender will
//! drain. Both are written in the transaction of the change they announce, so
//! nothing acknowledged is lost.

pub mod routes;
pub mod rules;
pub mod service;

pub use service::fan_out;
