//! sea-orm entities: one file a table, no logic. The schema itself is made only
//! by the migrations in `migrations/`.

pub mod api_clients;
pub mod calendar;
pub mod categories;
pub mod contacts;
pub mod devices;
pub mod media;
pub mod notifications;
pub mod open311_requests;
pub mod outbox;
pub mod password_reset_codes;
pub mod refresh_tokens;
pub mod report_events;
pub mod report_followers;
pub mod report_media;
pub mod report_reminders;
pub mod report_stats_monthly;
pub mod report_stats_resolution;
pub mod reports;
pub mod routing_rules;
pub mod stats_snapshots;
pub mod stats_unit_snapshots;
pub mod units;
pub mod users;
pub mod webhook_deliveries;
pub mod webhooks;
