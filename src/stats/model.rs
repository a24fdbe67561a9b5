//! The statistics as the service computes them and the API, the exports,
//! the chart and the monthly snapshots carry them. A closed month's
//! `MonthlyBody` is stored as JSON in `stats_snapshots.data`, so these
//! shapes are also a stored format.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One month of one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MonthFigures {
    #[schema(example = "2025-04")]
    pub month: String,
    /// Reports filed in the month, duplicates excluded.
    pub received: i64,
    /// Of those, handled (resolved, closed or rejected) as of now.
    pub handled: i64,
    /// Reports handled during the month, whenever filed.
    pub handled_in_month: i64,
    /// Of the month's received, handled by their deadline (or never assigned).
    pub handled_on_time: i64,
    pub rejected: i64,
    /// Filed in the month and merged into another report.
    pub duplicates: i64,
    /// handled / received (null when nothing was received).
    pub cohort_rate: Option<f64>,
    /// Received up to the month's end and handled by then, over received up
    /// to the month's end: the figure a city quotes.
    pub cumulative_rate: Option<f64>,
    /// handled_on_time / handled (null when nothing was handled).
    pub on_time_rate: Option<f64>,
    /// Of the reports handled in the month: hours from filing to handling.
    pub median_resolution_hours: Option<i64>,
    pub p90_resolution_hours: Option<i64>,
    /// Of the month's received reports that were rated.
    pub mean_rating: Option<f64>,
    pub rating_count: i64,
    /// Received by the month's end and not handled by then.
    pub open_at_end: i64,
    /// Of those, past their deadline at the month's end.
    pub overdue_at_end: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Series {
    /// `all`, a unit or category id, or an area code.
    pub key: String,
    pub name: String,
    pub months: Vec<MonthFigures>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MonthlyBody {
    pub from: String,
    pub to: String,
    pub group_by: String,
    pub series: Vec<Series>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryBody {
    pub from: String,
    pub to: String,
    pub received: i64,
    pub handled: i64,
    pub handled_on_time: i64,
    pub rejected: i64,
    pub duplicates: i64,
    /// handled / received over the period.
    pub handled_rate: Option<f64>,
    /// handled_on_time / handled.
    pub on_time_rate: Option<f64>,
    /// The cumulative rate at the end of `to`.
    pub cumulative_rate: Option<f64>,
    pub mean_rating: Option<f64>,
    pub rating_count: i64,
    pub open_at_end: i64,
    pub overdue_at_end: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitRefBody {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RankingItem {
    pub rank: u32,
    pub unit: UnitRefBody,
    pub received: i64,
    pub handled_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub mean_rating: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RankingBody {
    pub month: String,
    pub items: Vec<RankingItem>,
}
