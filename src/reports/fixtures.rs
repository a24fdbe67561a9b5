//! Test fixtures: a report as filed, for the unit tests of the rules that
//! take one (effects, reminders, the seed's histories).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{Priority, Status};
use crate::entities::reports;

/// A public report filed at `at`, at the root, in a fresh category.
pub fn report(at: DateTime<Utc>) -> reports::Model {
    reports::Model {
        id: Uuid::now_v7(),
        code: "PA-TEST001".into(),
        reporter_id: None,
        category_id: Uuid::now_v7(),
        priority: Priority::Normal,
        title: "t".into(),
        description: "d".into(),
        lat: 21.0,
        lng: 105.8,
        public_lat: 21.0,
        public_lng: 105.8,
        address: None,
        area_code: None,
        is_anonymous: false,
        is_public: true,
        status: Status::Submitted,
        unit_id: None,
        assignee_id: None,
        ack_due_at: at,
        due_at: None,
        received_month: 202511,
        handled_at: None,
        handled_month: None,
        resolved_at: None,
        closed_at: None,
        rating: None,
        rating_comment: None,
        rated_at: None,
        duplicate_of: None,
        follower_count: 0,
        search_text: String::new(),
        created_at: at,
        updated_at: at,
        version: 0,
        client_request_id: None,
        client_request_hash: None,
    }
}
