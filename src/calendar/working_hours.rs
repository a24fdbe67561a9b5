//! One pure function: add N working hours to an instant.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// Working intervals per weekday and the public holidays, in the city's zone.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkCalendar {
    pub tz: Tz,
    /// Index 0 = Monday … 6 = Sunday; sorted, non-overlapping `[start, end)`.
    pub week: [Vec<(NaiveTime, NaiveTime)>; 7],
    /// Days off although their weekday works (Tết, Reunification Day, …).
    pub holidays: BTreeSet<NaiveDate>,
    /// Days that work although their weekday does not (make-up Saturdays),
    /// with Monday's hours.
    pub extra_working_days: BTreeSet<NaiveDate>,
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

impl WorkCalendar {
    /// Mon–Fri 08:00–12:00 and 13:30–17:30, no holidays.
    pub fn standard(tz: Tz) -> Self {
        let day = vec![(t(8, 0), t(12, 0)), (t(13, 30), t(17, 30))];
        WorkCalendar {
            tz,
            week: [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                vec![],
                vec![],
            ],
            holidays: BTreeSet::new(),
            extra_working_days: BTreeSet::new(),
        }
    }

    fn intervals(&self, date: NaiveDate) -> &[(NaiveTime, NaiveTime)] {
        if self.holidays.contains(&date) {
            return &[];
        }
        let idx = date.weekday().num_days_from_monday() as usize;
        if self.week[idx].is_empty() && self.extra_working_days.contains(&date) {
            return &self.week[Weekday::Mon.num_days_from_monday() as usize];
        }
        &self.week[idx]
    }

    fn instant(&self, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
        self.tz
            .from_local_datetime(&date.and_time(time))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    /// `start` plus `hours` of working time. `None` only when the calendar has
    /// no working time at all within ten years.
    pub fn add_working_hours(&self, start: DateTime<Utc>, hours: u32) -> Option<DateTime<Utc>> {
        let mut remaining = Duration::hours(i64::from(hours));
        let mut date = start.with_timezone(&self.tz).date_naive();
        for _ in 0..3660 {
            for &(from, to) in self.intervals(date) {
                let (Some(a), Some(b)) = (self.instant(date, from), self.instant(date, to)) else {
                    continue;
                };
                if b <= start {
                    continue;
                }
                let seg_start = a.max(start);
                let available = b - seg_start;
                if remaining <= available {
                    return Some(seg_start + remaining);
                }
                remaining -= available;
            }
            date = date.succ_opt()?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Ho_Chi_Minh;

    fn local(s: &str) -> DateTime<Utc> {
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time");
        Ho_Chi_Minh
            .from_local_datetime(&naive)
            .single()
            .expect("local")
            .with_timezone(&Utc)
    }

    fn add(start: &str, hours: u32) -> DateTime<Utc> {
        WorkCalendar::standard(Ho_Chi_Minh)
            .add_working_hours(local(start), hours)
            .expect("deadline")
    }

    #[test]
    fn within_one_day() {
        // 2025-04-07 is a Monday.
        assert_eq!(add("2025-04-07 08:00", 2), local("2025-04-07 10:00"));
        assert_eq!(add("2025-04-07 08:00", 4), local("2025-04-07 12:00"));
        assert_eq!(
            add("2025-04-07 11:00", 2),
            local("2025-04-07 14:30"),
            "lunch does not count"
        );
        assert_eq!(
            add("2025-04-07 12:45", 1),
            local("2025-04-07 14:30"),
            "starting at lunch"
        );
        assert_eq!(add("2025-04-07 08:00", 8), local("2025-04-07 17:30"));
        assert_eq!(add("2025-04-07 09:00", 0), local("2025-04-07 09:00"));
    }

    #[test]
    fn across_nights_and_weekends() {
        assert_eq!(add("2025-04-07 16:30", 2), local("2025-04-08 09:00"));
        assert_eq!(
            add("2025-04-07 20:00", 1),
            local("2025-04-08 09:00"),
            "filed at night"
        );
        assert_eq!(
            add("2025-04-07 06:00", 1),
            local("2025-04-07 09:00"),
            "filed before opening"
        );
        assert_eq!(
            add("2025-04-11 16:00", 4),
            local("2025-04-14 10:30"),
            "Friday to Monday"
        );
        assert_eq!(
            add("2025-04-12 10:00", 8),
            local("2025-04-14 17:30"),
            "filed on Saturday"
        );
        assert_eq!(
            add("2025-04-07 08:00", 40),
            local("2025-04-11 17:30"),
            "a working week"
        );
        assert_eq!(add("2025-04-07 08:00", 41), local("2025-04-14 09:00"));
    }

    #[test]
    fn holidays_and_make_up_days() {
        let mut cal = WorkCalendar::standard(Ho_Chi_Minh);
        // 30 April and 1 May 2025 (Wednesday, Thursday), and 2 May bridged.
        for d in ["2025-04-30", "2025-05-01", "2025-05-02"] {
            cal.holidays.insert(d.parse().expect("date"));
        }
        let due = cal
            .add_working_hours(local("2025-04-29 16:30"), 2)
            .expect("due");
        assert_eq!(due, local("2025-05-05 09:00"));
        // A make-up Saturday works with Monday's hours.
        cal.extra_working_days
            .insert("2025-05-03".parse().expect("date"));
        let due = cal
            .add_working_hours(local("2025-04-29 16:30"), 2)
            .expect("due");
        assert_eq!(due, local("2025-05-03 09:00"));
    }

    #[test]
    fn time_zones() {
        // 01:00 UTC is 08:00 in Hanoi: the day starts there, not in UTC.
        let start: DateTime<Utc> = "2025-04-07T01:00:00Z".parse().expect("utc");
        let cal = WorkCalendar::standard(Ho_Chi_Minh);
        assert_eq!(
            cal.add_working_hours(start, 1),
            "2025-04-07T02:00:00Z".parse().ok()
        );
        // The same instant in a zone where it is Sunday evening.
        let ny = WorkCalendar::standard(chrono_tz::America::New_York);
        assert_eq!(
            ny.add_working_hours(start, 1),
            "2025-04-07T13:00:00Z".parse().ok()
        );
    }

    #[test]
    fn no_working_time_at_all() {
        let mut cal = WorkCalendar::standard(Ho_Chi_Minh);
        cal.week = Default::default();
        assert_eq!(cal.add_working_hours(local("2025-04-07 08:00"), 1), None);
    }
}
