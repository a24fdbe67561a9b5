//! Accounts and sessions: register, log in, refresh, log out, own profile.

pub mod identity;
pub mod routes;
pub mod service;
