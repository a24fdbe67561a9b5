//! Accounts and sessions: register, log in, refresh, log out, own profile.

pub mod admin;
pub mod identity;
pub mod privacy;
pub mod routes;
pub mod service;
