//! A calendar month in the city's time zone: how reports are counted
//! (`received_month`, `handled_month`) and how statistics are asked for.

use std::fmt;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

/// A local month, stored as the integer `YYYYMM` and written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(i32);

impl Month {
    /// The month of `t` in the city's time zone.
    pub fn of(t: DateTime<Utc>, tz: Tz) -> Month {
        let l = t.with_timezone(&tz);
        Month(l.year() * 100 + l.month() as i32)
    }

    /// From the stored `YYYYMM`, if it is a month.
    pub fn from_yyyymm(v: i32) -> Option<Month> {
        let (y, m) = (v / 100, v % 100);
        ((1..=9999).contains(&y) && (1..=12).contains(&m)).then_some(Month(v))
    }

    /// `YYYY-MM`, as the API writes months (1970–9999).
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let y: i32 = y.parse().ok()?;
        let m: i32 = m.parse().ok()?;
        ((1970..=9999).contains(&y) && (1..=12).contains(&m)).then_some(Month(y * 100 + m))
    }

    /// The stored `YYYYMM`.
    pub fn yyyymm(self) -> i32 {
        self.0
    }

    pub fn year(self) -> i32 {
        self.0 / 100
    }

    /// 1 to 12.
    pub fn month(self) -> u32 {
        (self.0 % 100) as u32
    }

    pub fn next(self) -> Month {
        if self.0 % 100 == 12 {
            Month((self.0 / 100 + 1) * 100 + 1)
        } else {
            Month(self.0 + 1)
        }
    }

    pub fn prev(self) -> Month {
        if self.0 % 100 == 1 {
            Month((self.0 / 100 - 1) * 100 + 12)
        } else {
            Month(self.0 - 1)
        }
    }

    /// `self` moved by `n` months (negative: back).
    pub fn plus(self, n: i32) -> Month {
        let index = self.year() * 12 + self.month() as i32 - 1 + n;
        Month(index.div_euclid(12) * 100 + index.rem_euclid(12) + 1)
    }

    /// The months from `self` to `to`, both included (at most 1,200).
    pub fn through(self, to: Month) -> Vec<Month> {
        let mut out = Vec::new();
        let mut m = self;
        while m <= to && out.len() < 1200 {
            out.push(m);
            m = m.next();
        }
        out
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl From<Month> for i32 {
    fn from(m: Month) -> i32 {
        m.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn parse_and_label() {
        let m = Month::parse("2025-04").unwrap_or(Month(0));
        assert_eq!(m.yyyymm(), 202504);
        assert_eq!(m.to_string(), "2025-04");
        for bad in [
            "2025-4", "2025-13", "2025-00", "1969-12", "25-04", "x", "", "2025/04",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        assert_eq!(Month::from_yyyymm(202513), None);
        assert_eq!(Month::from_yyyymm(202512), Some(Month(202512)));
    }

    #[test]
    fn arithmetic() {
        let dec = Month(202412);
        assert_eq!(dec.next(), Month(202501));
        assert_eq!(Month(202501).prev(), dec);
        assert_eq!(Month(202503).plus(-11), Month(202404));
        assert_eq!(Month(202503).plus(10), Month(202601));
        assert_eq!(Month(202503).plus(0), Month(202503));
        for n in -30i32..30 {
            let mut m = Month(202506);
            for _ in 0..n.abs() {
                m = if n > 0 { m.next() } else { m.prev() };
            }
            assert_eq!(Month(202506).plus(n), m, "{n}");
        }
        assert_eq!(Month(202411).through(Month(202502)).len(), 4);
        assert!(Month(202502).through(Month(202411)).is_empty());
    }

    #[test]
    fn local_month_is_the_city_month() {
        let tz: Tz = "Asia/Ho_Chi_Minh".parse().unwrap_or(chrono_tz::UTC);
        // 2025-01-31 18:00 UTC is already 1 February in Hanoi (UTC+7).
        let t = Utc.with_ymd_and_hms(2025, 1, 31, 18, 0, 0).unwrap();
        assert_eq!(Month::of(t, tz), Month(202502));
        assert_eq!(Month::of(t, chrono_tz::UTC), Month(202501));
    }
}
