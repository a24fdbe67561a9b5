//! The monthly figures, computed from rollup counters: pure functions, so
//! the definitions of `domain.md` live in one place and are tested alone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rollup::Counters;

/// `YYYYMM` ↔ `YYYY-MM`.
pub fn month_label(m: i32) -> String {
    format!("{:04}-{:02}", m / 100, m % 100)
}

pub fn parse_month(s: &str) -> Option<i32> {
    let (y, m) = s.trim().split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let y: i32 = y.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    ((1970..=9999).contains(&y) && (1..=12).contains(&m)).then_some(y * 100 + m)
}

pub fn next_month(m: i32) -> i32 {
    if m % 100 == 12 {
        (m / 100 + 1) * 100 + 1
    } else {
        m + 1
    }
}

/// The months from `from` to `to`, both included.
pub fn months(from: i32, to: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let mut m = from;
    while m <= to && out.len() < 1200 {
        out.push(m);
        m = next_month(m);
    }
    out
}

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

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| round4(a as f64 / b as f64))
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Nearest-rank percentile of a histogram (hours → count).
pub fn percentile(hist: &BTreeMap<i32, i64>, p: f64) -> Option<i64> {
    let n: i64 = hist.values().sum();
    if n <= 0 {
        return None;
    }
    let rank = ((p * n as f64).ceil() as i64).max(1);
    let mut seen = 0;
    for (h, c) in hist {
        seen += c;
        if seen >= rank {
            return Some(i64::from(*h));
        }
    }
    hist.keys().last().map(|h| i64::from(*h))
}

/// The figures of months `from..=to` from counters by month (which must
/// include every earlier month, for the cumulative figures) and the
/// resolution histograms by month.
pub fn series(
    counters: &BTreeMap<i32, Counters>,
    hist: &BTreeMap<i32, BTreeMap<i32, i64>>,
    from: i32,
    to: i32,
) -> Vec<MonthFigures> {
    let mut cum = Counters::default();
    let mut before = counters.range(..from);
    for (_, c) in before.by_ref() {
        cum.add(c, 1);
    }
    let empty = BTreeMap::new();
    months(from, to)
        .into_iter()
        .map(|m| {
            let c = counters.get(&m).copied().unwrap_or_default();
            cum.add(&c, 1);
            let h = hist.get(&m).unwrap_or(&empty);
            MonthFigures {
                month: month_label(m),
                received: c.received,
                handled: c.handled,
                handled_in_month: c.handled_in_month,
                handled_on_time: c.handled_on_time,
                rejected: c.rejected,
                duplicates: c.duplicates,
                cohort_rate: ratio(c.handled, c.received),
                cumulative_rate: ratio(cum.handled_in_month, cum.received),
                on_time_rate: ratio(c.handled_on_time, c.handled),
                median_resolution_hours: percentile(h, 0.5),
                p90_resolution_hours: percentile(h, 0.9),
                mean_rating: (c.rating_count > 0)
                    .then(|| round4(c.rating_sum as f64 / c.rating_count as f64)),
                rating_count: c.rating_count,
                open_at_end: cum.received - cum.handled_in_month,
                overdue_at_end: cum.due_count - cum.due_handled,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_labels() {
        assert_eq!(parse_month("2025-04"), Some(202504));
        assert_eq!(parse_month("2025-13"), None);
        assert_eq!(parse_month("25-04"), None);
        assert_eq!(parse_month("2025-4"), None);
        assert_eq!(months(202411, 202502), vec![202411, 202412, 202501, 202502]);
        assert_eq!(month_label(202501), "2025-01");
        assert!(months(202502, 202501).is_empty());
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let h: BTreeMap<i32, i64> = [(1, 5), (10, 4), (100, 1)].into();
        assert_eq!(percentile(&h, 0.5), Some(1));
        assert_eq!(percentile(&h, 0.6), Some(10));
        assert_eq!(percentile(&h, 0.9), Some(10));
        assert_eq!(percentile(&h, 1.0), Some(100));
        assert_eq!(percentile(&BTreeMap::new(), 0.5), None);
    }

    #[test]
    fn cumulative_and_backlog() {
        let c = |received, handled, handled_in_month| Counters {
            received,
            handled,
            handled_in_month,
            ..Default::default()
        };
        // Jan: 10 received, 8 of them handled by now, 6 handled in Jan.
        // Feb: 10 received, 5 handled by now; 6 handled in Feb (2 from Jan).
        let counters: BTreeMap<i32, Counters> =
            [(202501, c(10, 8, 6)), (202502, c(10, 5, 6))].into();
        let s = series(&counters, &BTreeMap::new(), 202501, 202503);
        assert_eq!(s[0].cohort_rate, Some(0.8));
        assert_eq!(s[0].cumulative_rate, Some(0.6));
        assert_eq!(s[0].open_at_end, 4);
        assert_eq!(s[1].cumulative_rate, Some(0.6));
        assert_eq!(s[1].open_at_end, 8);
        assert_eq!(s[2].received, 0);
        assert_eq!(s[2].cohort_rate, None);
        assert_eq!(s[2].cumulative_rate, Some(0.6));
        // Starting later still counts the earlier months.
        let s = series(&counters, &BTreeMap::new(), 202502, 202502);
        assert_eq!(s[0].open_at_end, 8);
    }
}
