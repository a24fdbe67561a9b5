//! The live queue: `GET /staff/stream`, Server-Sent Events of report events
//! in the caller's scope.
//!
//! - `routes.rs`: the handler (who may call, `Last-Event-ID`, SSE framing).
//! - `feed.rs`: one stream's loop, without HTTP: wait for a wake-up or the
//!   poll interval, read the table, hand events to a bounded buffer, end when
//!   the caller's session ends or the client falls too far behind.
//! - `service.rs`: the reads (scoped events after a cursor, the time of a
//!   `Last-Event-ID`, whether the caller still stands).
//! - `hub.rs`: wake-ups (LISTEN/NOTIFY on PostgreSQL), shared by the streams
//!   of one database in a process.
//! - `cursor.rs`: the rule of what a stream has already sent.
//!
//! The `report_events` table is the source of truth; a wake-up only makes a
//! stream read it sooner.

pub mod cursor;
pub mod feed;
pub mod hub;
pub mod routes;
pub mod service;
