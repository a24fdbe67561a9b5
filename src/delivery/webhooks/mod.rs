//! Signed webhooks (Standard Webhooks) to the city's other systems: the
//! admin endpoints (`routes.rs`), their transactions and the expansion of an
//! event into deliveries (`service.rs`), the request itself (`send.rs`), and
//! the pure rules: signatures, which addresses are public, event types.

pub mod address;
pub mod routes;
pub mod rules;
pub mod send;
pub mod service;
pub mod signature;
