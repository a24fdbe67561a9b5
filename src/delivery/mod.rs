//! Delivery: the outbox leaves the database. A worker (any number of
//! instances may run one) claims due outbox rows, sends them (webhooks to the
//! city's other systems, push to citizens' phones), records each attempt and
//! retries with backoff; nothing acknowledged is lost.

pub mod backoff;
pub mod devices_routes;
pub mod devices_service;
pub mod outbox;
pub mod push;
pub mod webhooks;
pub mod worker;
