//! What a service call needs from the world outside it: the database, the
//! moment it acts at, and the city's time zone. Handlers, jobs, the CLI and
//! tests build one (`AppState::ctx`, or by hand); no service sees the whole
//! `AppState` or anything of HTTP.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::DatabaseConnection;

#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub db: &'a DatabaseConnection,
    /// One instant for the whole call, so every row it writes agrees.
    pub now: DateTime<Utc>,
    /// The city's zone: local months, working hours.
    pub tz: Tz,
}

impl<'a> Ctx<'a> {
    pub fn new(db: &'a DatabaseConnection, now: DateTime<Utc>, tz: Tz) -> Self {
        Ctx { db, now, tz }
    }
}
