//! Reports: filing, the citizen's view, the public map.

pub mod code;
pub mod deadlines;
pub mod dto;
pub mod effects;
pub mod extract;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod lifecycle;
pub mod queries;
pub mod queue;
pub mod reminders;
pub mod routes;
pub mod scope;
pub mod service;
pub mod staff;
pub mod staff_routes;
pub mod store;
pub mod text;
pub mod view;
