//! The monthly figures, computed from rollup counters: pure functions, so
//! the definitions of `domain.md` live in one place and are tested alone.

use std::collections::BTreeMap;

use super::counters::Counters;
use super::model::{MonthFigures, SummaryBody};
use crate::domain::Month;

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
    counters: &BTreeMap<Month, Counters>,
    hist: &BTreeMap<Month, BTreeMap<i32, i64>>,
    from: Month,
    to: Month,
) -> Vec<MonthFigures> {
    let mut cum = Counters::default();
    let mut before = counters.range(..from);
    for (_, c) in before.by_ref() {
        cum.add(c, 1);
    }
    let empty = BTreeMap::new();
    from.through(to)
        .into_iter()
        .map(|m| {
            let c = counters.get(&m).copied().unwrap_or_default();
            cum.add(&c, 1);
            let h = hist.get(&m).unwrap_or(&empty);
            MonthFigures {
                month: m.to_string(),
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

/// Totals and rates over the months of one series (`/stats/summary`).
pub fn summary(from: String, to: String, months: &[MonthFigures]) -> SummaryBody {
    let sum = |f: fn(&MonthFigures) -> i64| months.iter().map(f).sum::<i64>();
    let received = sum(|m| m.received);
    let handled = sum(|m| m.handled);
    let on_time = sum(|m| m.handled_on_time);
    let rating_count = sum(|m| m.rating_count);
    let rating_total: f64 = months
        .iter()
        .filter_map(|m| m.mean_rating.map(|r| r * m.rating_count as f64))
        .sum();
    let last = months.last();
    SummaryBody {
        from,
        to,
        received,
        handled,
        handled_on_time: on_time,
        rejected: sum(|m| m.rejected),
        duplicates: sum(|m| m.duplicates),
        handled_rate: ratio(handled, received),
        on_time_rate: ratio(on_time, handled),
        cumulative_rate: last.and_then(|m| m.cumulative_rate),
        mean_rating: (rating_count > 0).then(|| round4(rating_total / rating_count as f64)),
        rating_count,
        open_at_end: last.map(|m| m.open_at_end).unwrap_or(0),
        overdue_at_end: last.map(|m| m.overdue_at_end).unwrap_or(0),
    }
}

/// The order of the ranking: units that received something first, then by
/// handled rate, on-time rate and mean rating, best first (ties: none).
pub fn ranking_order(a: &MonthFigures, b: &MonthFigures) -> std::cmp::Ordering {
    let key = |f: &MonthFigures| {
        (
            f.received > 0,
            f.cohort_rate.unwrap_or(-1.0),
            f.on_time_rate.unwrap_or(-1.0),
            f.mean_rating.unwrap_or(-1.0),
        )
    };
    let (ka, kb) = (key(a), key(b));
    kb.0.cmp(&ka.0)
        .then(kb.1.total_cmp(&ka.1))
        .then(kb.2.total_cmp(&ka.2))
        .then(kb.3.total_cmp(&ka.3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap_or_else(|| panic!("{s} is a month"))
    }

    #[test]
    fn months_and_labels() {
        assert_eq!(Month::parse("2025-04").map(Month::yyyymm), Some(202504));
        assert_eq!(Month::parse("2025-13"), None);
        assert_eq!(Month::parse("25-04"), None);
        assert_eq!(Month::parse("2025-4"), None);
        assert_eq!(
            m("2024-11").through(m("2025-02")),
            ["2024-11", "2024-12", "2025-01", "2025-02"].map(m)
        );
        assert_eq!(m("2025-01").to_string(), "2025-01");
        assert!(m("2025-02").through(m("2025-01")).is_empty());
        // The series is labelled the same way, across a year's end.
        let s = series(
            &BTreeMap::new(),
            &BTreeMap::new(),
            m("2024-12"),
            m("2025-01"),
        );
        let labels: Vec<&str> = s.iter().map(|f| f.month.as_str()).collect();
        assert_eq!(labels, ["2024-12", "2025-01"]);
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
        let counters: BTreeMap<Month, Counters> =
            [(m("2025-01"), c(10, 8, 6)), (m("2025-02"), c(10, 5, 6))].into();
        let s = series(&counters, &BTreeMap::new(), m("2025-01"), m("2025-03"));
        assert_eq!(s[0].cohort_rate, Some(0.8));
        assert_eq!(s[0].cumulative_rate, Some(0.6));
        assert_eq!(s[0].open_at_end, 4);
        assert_eq!(s[1].cumulative_rate, Some(0.6));
        assert_eq!(s[1].open_at_end, 8);
        assert_eq!(s[2].received, 0);
        assert_eq!(s[2].cohort_rate, None);
        assert_eq!(s[2].cumulative_rate, Some(0.6));
        // Starting later still counts the earlier months.
        let s = series(&counters, &BTreeMap::new(), m("2025-02"), m("2025-02"));
        assert_eq!(s[0].open_at_end, 8);
    }
}
