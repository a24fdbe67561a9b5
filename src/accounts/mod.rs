//! Accounts and sessions: register, log in, refresh, log out, own profile;
//! staff accounts and API clients; the person's rights over their data.

pub mod admin_routes;
pub mod admin_service;
pub mod code_sender;
pub mod dto;
pub mod identity;
pub mod privacy_routes;
pub mod privacy_service;
pub mod reset_routes;
pub mod reset_service;
pub mod routes;
pub mod rules;
pub mod service;
