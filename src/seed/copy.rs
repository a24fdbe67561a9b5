//! Rows in PostgreSQL's `COPY ... FROM STDIN` text format, built in memory
//! by the report generator and sent as they are by `write`. Pure: no
//! database.
//!
//! The text format: one row a line, columns separated by a tab, `\N` for
//! NULL; in a value, a backslash, tab, newline or carriage return is written
//! as `\\`, `\t`, `\n`, `\r` (so no value can end a row, split a column or
//! look like `\N` or the end marker `\.`).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::history::History;
use super::write::Follow;
use crate::entities::reports;
use crate::stats::rollup::{self, Contribution, Counters};

/// The columns of `reports`, in the order [`CopyText::report`] writes them.
pub const REPORT_COLUMNS: &str = "id, code, reporter_id, category_id, priority, title, description, \
     lat, lng, public_lat, public_lng, address, area_code, is_anonymous, is_public, status, \
     unit_id, assignee_id, ack_due_at, due_at, received_month, handled_at, handled_month, \
     resolved_at, closed_at, rating, rating_comment, rated_at, duplicate_of, follower_count, \
     search_text, created_at, updated_at, version, client_request_id, client_request_hash";
/// The columns of `report_events`, in the order of [`CopyText::event`].
pub const EVENT_COLUMNS: &str = "id, report_id, actor_id, kind, from_status, to_status, \
     public_message, internal_note, data, created_at";
/// The columns of `report_followers`, in the order of [`CopyText::follow`].
pub const FOLLOW_COLUMNS: &str = "report_id, user_id, created_at";
/// The key of both rollup tables, before their counters.
pub const ROLLUP_KEY: &str = "month, unit_id, category_id, area_code";

/// A growing block of rows in COPY text format.
#[derive(Debug)]
pub struct CopyText {
    buf: String,
    /// Whether the next value starts a row (no tab before it).
    at_row_start: bool,
    rows: u64,
}

/// A value that needs no escaping: numbers, UUIDs, booleans, timestamps.
trait Plain {
    fn put(&self, out: &mut String);
}

impl Default for CopyText {
    fn default() -> CopyText {
        CopyText::new()
    }
}

impl CopyText {
    pub fn new() -> CopyText {
        CopyText {
            buf: String::new(),
            at_row_start: true,
            rows: 0,
        }
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.buf.as_bytes()
    }

    fn sep(&mut self) {
        if !self.at_row_start {
            self.buf.push('\t');
        }
        self.at_row_start = false;
    }

    pub fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.push_str("\\N");
        self
    }

    /// A text value, escaped.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.sep();
        escape_into(&mut self.buf, s);
        self
    }

    pub fn opt_text(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    fn plain(&mut self, v: &impl Plain) -> &mut Self {
        self.sep();
        v.put(&mut self.buf);
        self
    }

    fn opt<T: Plain>(&mut self, v: Option<&T>) -> &mut Self {
        match v {
            Some(v) => self.plain(v),
            None => self.null(),
        }
    }

    /// Ends the current row.
    pub fn end_row(&mut self) {
        self.buf.push('\n');
        self.at_row_start = true;
        self.rows += 1;
    }

    /// One `reports` row, in the order of [`REPORT_COLUMNS`].
    pub fn report(&mut self, r: &reports::Model) {
        self.plain(&r.id)
            .text(&r.code)
            .opt(r.reporter_id.as_ref())
            .plain(&r.category_id)
            .text(r.priority.as_str())
            .text(&r.title)
            .text(&r.description)
            .plain(&r.lat)
            .plain(&r.lng)
            .plain(&r.public_lat)
            .plain(&r.public_lng)
            .opt_text(r.address.as_deref())
            .opt_text(r.area_code.as_deref())
            .plain(&r.is_anonymous)
            .plain(&r.is_public)
            .text(r.status.as_str())
            .opt(r.unit_id.as_ref())
            .opt(r.assignee_id.as_ref())
            .plain(&r.ack_due_at)
            .opt(r.due_at.as_ref())
            .plain(&r.received_month)
            .opt(r.handled_at.as_ref())
            .opt(r.handled_month.as_ref())
            .opt(r.resolved_at.as_ref())
            .opt(r.closed_at.as_ref())
            .opt(r.rating.as_ref())
            .opt_text(r.rating_comment.as_deref())
            .opt(r.rated_at.as_ref())
            .opt(r.duplicate_of.as_ref())
            .plain(&r.follower_count)
            .text(&r.search_text)
            .plain(&r.created_at)
            .plain(&r.updated_at)
            .plain(&r.version)
            .opt_text(r.client_request_id.as_deref())
            .opt_text(r.client_request_hash.as_deref())
            .end_row();
    }

    /// One `report_events` row, in the order of [`EVENT_COLUMNS`].
    pub fn event(&mut self, id: Uuid, report: Uuid, e: &super::history::Event) {
        let data = e.data.as_ref().map(serde_json::Value::to_string);
        self.plain(&id)
            .plain(&report)
            .opt(e.actor.as_ref())
            .text(e.kind.as_str())
            .opt_text(e.from.map(|s| s.as_str()))
            .opt_text(e.to.map(|s| s.as_str()))
            .opt_text(e.message.as_deref())
            // The seed writes no internal notes.
            .null()
            .opt_text(data.as_deref())
            .plain(&e.at)
            .end_row();
    }

    /// One `report_followers` row, in the order of [`FOLLOW_COLUMNS`].
    pub fn follow(&mut self, f: &Follow) {
        self.plain(&f.report).plain(&f.user).plain(&f.at).end_row();
    }

    fn key(&mut self, k: &rollup::Key) -> &mut Self {
        self.plain(&k.month)
            .plain(&k.unit_id)
            .plain(&k.category_id)
            .text(&k.area_code)
    }

    /// One `report_stats_monthly` row: [`ROLLUP_KEY`], then
    /// [`Counters::NAMES`].
    pub fn counters(&mut self, k: &rollup::Key, c: &Counters) {
        self.key(k);
        for v in c.values() {
            self.plain(&v);
        }
        self.end_row();
    }

    /// One `report_stats_resolution` row: [`ROLLUP_KEY`], hours, count.
    pub fn resolution(&mut self, k: &rollup::Key, hours: i32, count: i64) {
        self.key(k).plain(&hours).plain(&count).end_row();
    }
}

/// Appends `s` to `out` escaped for the COPY text format.
pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

impl Plain for Uuid {
    fn put(&self, out: &mut String) {
        let mut b = Uuid::encode_buffer();
        out.push_str(self.hyphenated().encode_lower(&mut b));
    }
}

impl Plain for DateTime<Utc> {
    /// Microseconds, as PostgreSQL keeps them (the seed's instants are
    /// whole microseconds already).
    fn put(&self, out: &mut String) {
        let _ = write!(out, "{}", self.format("%Y-%m-%dT%H:%M:%S%.6fZ"));
    }
}

impl Plain for bool {
    fn put(&self, out: &mut String) {
        out.push(if *self { 't' } else { 'f' });
    }
}

macro_rules! plain_display {
    ($($t:ty),*) => {$(
        impl Plain for $t {
            fn put(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
// `f64`'s Display is the shortest text that reads back as the same number.
plain_display!(i16, i32, i64, f64);

/// A chunk of generated reports, ready for `COPY`: its rows per table and
/// the rollup they add up to.
#[derive(Debug, Default)]
pub struct Encoded {
    pub reports: CopyText,
    pub events: CopyText,
    pub follows: CopyText,
    pub monthly: CopyText,
    pub resolution: CopyText,
}

/// The rows of `histories` (and their followers), and the rollup rows of
/// `rollup`, in COPY text format. Event ids are made here (UUID v7, as
/// `store::event_row` makes them).
pub fn encode(histories: &[History], follows: &[Follow], rollup: &Contribution) -> Encoded {
    let mut out = Encoded::default();
    for h in histories {
        out.reports.report(&h.report);
        for e in &h.events {
            out.events.event(Uuid::now_v7(), h.report.id, e);
        }
    }
    for f in follows {
        out.follows.follow(f);
    }
    for (k, c) in &rollup.counters {
        out.monthly.counters(k, c);
    }
    for ((k, hours), n) in &rollup.resolution {
        out.resolution.resolution(k, *hours, *n);
    }
    out
}

/// What `histories` add to the statistics rollup, summed.
pub fn rollup_of(histories: &[History], tz: Tz) -> Contribution {
    let mut total = Contribution::default();
    for h in histories {
        total.merge(&rollup::contributions(&h.report, tz));
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &str) -> String {
        let mut out = String::new();
        escape_into(&mut out, s);
        out
    }

    /// Reads one COPY text value back as PostgreSQL does.
    fn unescape(s: &str) -> Option<String> {
        if s == "\\N" {
            return None;
        }
        let mut out = String::new();
        let mut it = s.chars();
        while let Some(c) = it.next() {
            if c == '\\' {
                match it.next() {
                    Some('t') => out.push('\t'),
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some(other) => out.push(other),
                    None => panic!("dangling backslash in {s:?}"),
                }
            } else {
                out.push(c);
            }
        }
        Some(out)
    }

    #[test]
    fn escaping_keeps_rows_and_columns_apart() {
        assert_eq!(escaped("Đường Láng"), "Đường Láng");
        assert_eq!(escaped("a\tb\nc\r\\d"), "a\\tb\\nc\\r\\\\d");
        // A value that reads as NULL or as the end marker is escaped.
        assert_eq!(escaped("\\N"), "\\\\N");
        assert_eq!(escaped("\\."), "\\\\.");
        for s in [
            "",
            "plain",
            "tab\there",
            "\\",
            "\\N",
            "line\r\nbreak",
            "{\"a\":\"b\\\"c\"}",
            "Hà Nội\t\\t",
        ] {
            let e = escaped(s);
            assert!(!e.contains(['\t', '\n', '\r']), "{e:?}");
            assert_eq!(unescape(&e).as_deref(), Some(s));
        }
    }

    #[test]
    fn rows_have_one_value_per_column() {
        let mut t = CopyText::new();
        t.text("a\tb").null().plain(&1_i32).plain(&true).end_row();
        t.opt_text(None)
            .opt_text(Some(""))
            .plain(&2.5_f64)
            .plain(&false)
            .end_row();
        let text = std::str::from_utf8(t.as_bytes()).expect("utf-8");
        let rows: Vec<Vec<Option<String>>> = text
            .lines()
            .map(|l| l.split('\t').map(unescape).collect())
            .collect();
        assert_eq!(t.rows(), 2);
        assert_eq!(
            rows,
            vec![
                vec![
                    Some("a\tb".into()),
                    None,
                    Some("1".into()),
                    Some("t".into())
                ],
                vec![
                    None,
                    Some(String::new()),
                    Some("2.5".into()),
                    Some("f".into())
                ],
            ]
        );
    }

    #[test]
    fn plain_values_are_what_postgresql_reads() {
        let mut t = CopyText::new();
        let id = Uuid::parse_str("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").expect("uuid");
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.000006Z")
            .expect("time")
            .with_timezone(&Utc);
        t.plain(&id).plain(&at).plain(&0.1_f64).plain(&-7_i16);
        t.end_row();
        assert_eq!(
            std::str::from_utf8(t.as_bytes()).expect("utf-8"),
            "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\t2026-01-02T03:04:05.000006Z\t0.1\t-7\n"
        );
    }

    #[test]
    fn a_report_row_has_every_column() {
        let columns = REPORT_COLUMNS.split(',').count();
        let r = reports::Model {
            id: Uuid::now_v7(),
            code: "PA-0000001".into(),
            reporter_id: None,
            category_id: Uuid::now_v7(),
            priority: crate::domain::Priority::Normal,
            title: "Đèn\tđường".into(),
            description: "mô tả\nhai dòng".into(),
            lat: 21.0,
            lng: 105.8,
            public_lat: 21.0,
            public_lng: 105.8,
            address: None,
            area_code: Some("00070".into()),
            is_anonymous: false,
            is_public: true,
            status: crate::domain::Status::Submitted,
            unit_id: None,
            assignee_id: None,
            ack_due_at: Utc::now(),
            due_at: None,
            received_month: 202601,
            handled_at: None,
            handled_month: None,
            resolved_at: None,
            closed_at: None,
            rating: Some(4),
            rating_comment: None,
            rated_at: None,
            duplicate_of: None,
            follower_count: 0,
            search_text: "den duong".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            version: 0,
            client_request_id: None,
            client_request_hash: None,
        };
        let mut t = CopyText::new();
        t.report(&r);
        let text = std::str::from_utf8(t.as_bytes()).expect("utf-8");
        assert_eq!(text.lines().count(), 1);
        let values: Vec<_> = text.trim_end_matches('\n').split('\t').collect();
        assert_eq!(values.len(), columns);
        assert_eq!(unescape(values[5]).as_deref(), Some("Đèn\tđường"));
        assert_eq!(values[25], "4");
    }
}
