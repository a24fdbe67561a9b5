//! What a `GET` of a stored file answers, from the request's conditional and
//! `Range` headers (RFC 9110 §13 and §14). Pure: header values in, a decision
//! out; the handler streams the bytes it names.
//!
//! - `If-None-Match` (weak comparison, `*` included), else `If-Modified-Since`
//!   (second precision): a match is 304.
//! - `Range` is parsed by `http-range-header`; a header it cannot parse
//!   (other unit, bad syntax, reversed range, more than [`MAX_RANGES`]) is
//!   ignored, as RFC 9110 §14.2 allows: the whole file, 200.
//! - `If-Range` applies the range only when it names this file's strong ETag
//!   (strong comparison) or its exact `Last-Modified` date; otherwise 200.
//! - Satisfiable ranges are clamped to the file, sorted and coalesced when
//!   they overlap or touch (§14.6 allows it; it also defeats overlapping-range
//!   amplification). None satisfiable: 416 with `bytes */len`.
//! - A zero-length file has no byte to send: a suffix range gets the (empty)
//!   whole file, anything else 416.

use std::num::NonZeroUsize;

use chrono::{DateTime, SubsecRound, Utc};
use http_range_header::SyntacticallyCorrectRange as Spec;

/// More ranges than this in one header: the header is ignored (200).
pub const MAX_RANGES: usize = 32;

/// One satisfiable range, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    /// The number of bytes (never zero: both ends are inclusive).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(self) -> u64 {
        self.end - self.start + 1
    }

    /// The `Content-Range` value of this range of a `total`-byte file.
    pub fn content_range(self, total: u64) -> String {
        format!("bytes {}-{}/{total}", self.start, self.end)
    }
}

/// What the `Range` header asks for, once resolved against the file's length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeAnswer {
    /// No usable `Range`: the whole file.
    Whole,
    /// One or more disjoint ranges, in ascending order.
    Ranges(Vec<ByteRange>),
    /// Nothing in the file: 416.
    Unsatisfiable,
}

/// Resolves a `Range` header value against a file of `len` bytes.
pub fn resolve_range(header: &str, len: u64) -> RangeAnswer {
    let max = NonZeroUsize::new(MAX_RANGES).unwrap_or(NonZeroUsize::MIN);
    let Ok(parsed) = http_range_header::parse_range_header_with_max_ranges(header, max) else {
        return RangeAnswer::Whole;
    };
    let specs = parsed.into_ranges();
    if len == 0 {
        let any_suffix = specs
            .iter()
            .any(|s| matches!(s, Spec::FromLast(n) if *n > 0));
        return if any_suffix {
            RangeAnswer::Whole
        } else {
            RangeAnswer::Unsatisfiable
        };
    }
    let last = len - 1;
    let mut ranges: Vec<ByteRange> = specs
        .into_iter()
        .filter_map(|s| match s {
            Spec::FromStart(start) => (start <= last).then_some(ByteRange { start, end: last }),
            Spec::FromLast(0) => None,
            Spec::FromLast(n) => Some(ByteRange {
                start: len.saturating_sub(n),
                end: last,
            }),
            Spec::Indexed(start, end) => (start <= last).then_some(ByteRange {
                start,
                end: end.min(last),
            }),
        })
        .collect();
    if ranges.is_empty() {
        return RangeAnswer::Unsatisfiable;
    }
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<ByteRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(m) if r.start <= m.end.saturating_add(1) => m.end = m.end.max(r.end),
            _ => merged.push(r),
        }
    }
    RangeAnswer::Ranges(merged)
}

/// The validators of a stored file.
#[derive(Debug, Clone)]
pub struct Validators {
    /// A strong entity tag, quoted: `"…"`.
    pub etag: String,
    /// Whole seconds (what an HTTP date can say).
    pub last_modified: DateTime<Utc>,
}

impl Validators {
    /// From the stored content hash (hex) and the time the file was stored.
    pub fn new(sha256_hex: &str, stored_at: DateTime<Utc>) -> Self {
        Validators {
            etag: format!("\"{sha256_hex}\""),
            last_modified: stored_at.trunc_subsecs(0),
        }
    }

    pub fn last_modified_header(&self) -> String {
        httpdate::fmt_http_date(self.last_modified.into())
    }
}

/// The request headers that decide the answer, as sent (`None` if absent or
/// not text).
#[derive(Debug, Clone, Copy, Default)]
pub struct Conditions<'a> {
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
    pub if_range: Option<&'a str>,
    pub range: Option<&'a str>,
}

/// The answer to a `GET` of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 304: the client's copy is current.
    NotModified,
    /// 200 with the whole file.
    Whole,
    /// 206: one range (a plain body) or several (multipart/byteranges).
    Partial(Vec<ByteRange>),
    /// 416.
    Unsatisfiable,
}

/// Decides the answer to a `GET` of a `len`-byte file.
pub fn decide(c: &Conditions<'_>, v: &Validators, len: u64) -> Answer {
    if let Some(inm) = c.if_none_match {
        if none_match_hits(inm, &v.etag) {
            return Answer::NotModified;
        }
    } else if let Some(since) = c.if_modified_since.and_then(parse_date)
        && v.last_modified <= since
    {
        return Answer::NotModified;
    }
    let Some(range) = c.range else {
        return Answer::Whole;
    };
    if let Some(cond) = c.if_range
        && !if_range_holds(cond, v)
    {
        return Answer::Whole;
    }
    match resolve_range(range, len) {
        RangeAnswer::Whole => Answer::Whole,
        RangeAnswer::Ranges(r) => Answer::Partial(r),
        RangeAnswer::Unsatisfiable => Answer::Unsatisfiable,
    }
}

/// `If-None-Match`: `*`, or a list of entity tags compared weakly.
fn none_match_hits(header: &str, etag: &str) -> bool {
    let ours = etag.trim_start_matches("W/");
    header
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || (!t.is_empty() && t.strip_prefix("W/").unwrap_or(t) == ours))
}

/// `If-Range`: a strong entity tag equal to ours, or our exact date.
fn if_range_holds(header: &str, v: &Validators) -> bool {
    let h = header.trim();
    if h.starts_with('"') || h.starts_with("W/") {
        return h == v.etag;
    }
    parse_date(h).is_some_and(|d| d == v.last_modified)
}

fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    httpdate::parse_http_date(s.trim()).ok().map(DateTime::from)
}

/// The framing of a multipart/byteranges body (RFC 9110 §14.6).
#[derive(Debug, Clone)]
pub struct Multipart {
    pub boundary: String,
    pub content_type: String,
    pub total: u64,
}

impl Multipart {
    /// The `Content-Type` of the whole answer.
    pub fn header(&self) -> String {
        format!("multipart/byteranges; boundary={}", self.boundary)
    }

    /// What comes before the bytes of `r`.
    pub fn part_head(&self, r: ByteRange) -> String {
        format!(
            "\r\n--{}\r\nContent-Type: {}\r\nContent-Range: {}\r\n\r\n",
            self.boundary,
            self.content_type,
            r.content_range(self.total)
        )
    }

    /// What comes after the last part.
    pub fn tail(&self) -> String {
        format!("\r\n--{}--\r\n", self.boundary)
    }

    /// The exact length of the whole body, for `Content-Length`.
    pub fn body_len(&self, ranges: &[ByteRange]) -> u64 {
        ranges
            .iter()
            .map(|r| self.part_head(*r).len() as u64 + r.len())
            .sum::<u64>()
            + self.tail().len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: u64, end: u64) -> ByteRange {
        ByteRange { start, end }
    }

    fn ranges(v: &[(u64, u64)]) -> RangeAnswer {
        RangeAnswer::Ranges(v.iter().map(|&(s, e)| r(s, e)).collect())
    }

    #[test]
    fn single_ranges() {
        use RangeAnswer::*;
        let cases: &[(&str, u64, RangeAnswer)] = &[
            ("bytes=0-0", 1000, ranges(&[(0, 0)])),
            ("bytes=0-1", 1000, ranges(&[(0, 1)])),
            ("bytes=0-999", 1000, ranges(&[(0, 999)])),
            ("bytes=10-19", 1000, ranges(&[(10, 19)])),
            ("BYTES=10-19", 1000, ranges(&[(10, 19)])),
            // Open ranges.
            ("bytes=100-", 1000, ranges(&[(100, 999)])),
            ("bytes=0-", 1000, ranges(&[(0, 999)])),
            ("bytes=999-", 1000, ranges(&[(999, 999)])),
            // Suffix ranges, shorter and longer than the file.
            ("bytes=-500", 1000, ranges(&[(500, 999)])),
            ("bytes=-1", 1000, ranges(&[(999, 999)])),
            ("bytes=-5000", 1000, ranges(&[(0, 999)])),
            // Past the end: clamped.
            ("bytes=900-5000", 1000, ranges(&[(900, 999)])),
            ("bytes=0-18446744073709551615", 1000, ranges(&[(0, 999)])),
            // Wholly past the end.
            ("bytes=1000-", 1000, Unsatisfiable),
            ("bytes=1000-1001", 1000, Unsatisfiable),
            ("bytes=5000-6000", 1000, Unsatisfiable),
            ("bytes=-0", 1000, Unsatisfiable),
            // Leading zeros are digits; whitespace after '=' is allowed.
            ("bytes=007-008", 1000, ranges(&[(7, 8)])),
            ("bytes= 7-8", 1000, ranges(&[(7, 8)])),
        ];
        for (h, len, want) in cases {
            assert_eq!(&resolve_range(h, *len), want, "{h} of {len}");
        }
    }

    #[test]
    fn several_ranges_are_sorted_and_coalesced() {
        use RangeAnswer::*;
        let cases: &[(&str, u64, RangeAnswer)] = &[
            ("bytes=0-9,20-29", 100, ranges(&[(0, 9), (20, 29)])),
            ("bytes=20-29, 0-9", 100, ranges(&[(0, 9), (20, 29)])),
            ("bytes=0-9,-10", 100, ranges(&[(0, 9), (90, 99)])),
            // Overlapping and touching ranges merge.
            ("bytes=0-50,40-60", 100, ranges(&[(0, 60)])),
            ("bytes=0-9,10-19", 100, ranges(&[(0, 19)])),
            ("bytes=0-9,5-7", 100, ranges(&[(0, 9)])),
            ("bytes=0-0,0-0,0-0", 100, ranges(&[(0, 0)])),
            ("bytes=50-,-60", 100, ranges(&[(40, 99)])),
            ("bytes=0-9,11-19", 100, ranges(&[(0, 9), (11, 19)])),
            // Unsatisfiable members are dropped; none left is 416.
            ("bytes=0-9,500-600", 100, ranges(&[(0, 9)])),
            ("bytes=500-600,-0", 100, Unsatisfiable),
            // An empty member between commas is tolerated.
            ("bytes=0-1,,4-5", 100, ranges(&[(0, 1), (4, 5)])),
        ];
        for (h, len, want) in cases {
            assert_eq!(&resolve_range(h, *len), want, "{h} of {len}");
        }
    }

    #[test]
    fn invalid_syntax_is_ignored() {
        for h in [
            "",
            "bytes",
            "bytes=",
            "bytes=abc",
            "bytes=5-1",
            "bytes=1-2-3",
            "bytes=-",
            "bytes=+1-2",
            "bytes=-1-2",
            "bytes=0-1 ",
            "bytes=0-1,abc",
            "items=0-1",
            "0-1",
            "bytes=0-0000000000000000000000000000001",
        ] {
            assert_eq!(resolve_range(h, 1000), RangeAnswer::Whole, "{h:?}");
        }
        // More than MAX_RANGES members: ignored too.
        let many: Vec<String> = (0..=MAX_RANGES).map(|i| format!("{i}-{i}")).collect();
        let h = format!("bytes={}", many.join(","));
        assert_eq!(resolve_range(&h, 1000), RangeAnswer::Whole);
        let h = format!("bytes={}", many[..MAX_RANGES].join(","));
        assert_eq!(
            resolve_range(&h, 1000),
            ranges(&[(0, MAX_RANGES as u64 - 1)])
        );
    }

    #[test]
    fn zero_length_file() {
        use RangeAnswer::*;
        assert_eq!(resolve_range("bytes=-5", 0), Whole);
        assert_eq!(resolve_range("bytes=0-5,-5", 0), Whole);
        assert_eq!(resolve_range("bytes=0-", 0), Unsatisfiable);
        assert_eq!(resolve_range("bytes=0-0", 0), Unsatisfiable);
        assert_eq!(resolve_range("bytes=-0", 0), Unsatisfiable);
        assert_eq!(resolve_range("bytes=x", 0), Whole);
    }

    #[test]
    fn one_byte_file() {
        assert_eq!(resolve_range("bytes=0-1", 1), ranges(&[(0, 0)]));
        assert_eq!(resolve_range("bytes=-2", 1), ranges(&[(0, 0)]));
        assert_eq!(resolve_range("bytes=1-", 1), RangeAnswer::Unsatisfiable);
    }

    fn v() -> Validators {
        Validators::new(
            "abc123",
            DateTime::parse_from_rfc3339("2025-04-04T08:30:00.750Z")
                .expect("date")
                .with_timezone(&Utc),
        )
    }

    const LM: &str = "Fri, 04 Apr 2025 08:30:00 GMT";

    #[test]
    fn validators() {
        let v = v();
        assert_eq!(v.etag, "\"abc123\"");
        assert_eq!(v.last_modified_header(), LM);
    }

    #[test]
    fn conditional_requests() {
        use Answer::*;
        let v = v();
        let c = |inm, ims| Conditions {
            if_none_match: inm,
            if_modified_since: ims,
            ..Default::default()
        };
        let cases: &[(Option<&str>, Option<&str>, Answer)] = &[
            (None, None, Whole),
            (Some("\"abc123\""), None, NotModified),
            (Some("W/\"abc123\""), None, NotModified),
            (Some("\"x\", \"abc123\""), None, NotModified),
            (Some("*"), None, NotModified),
            (Some("\"other\""), None, Whole),
            (Some(""), None, Whole),
            (None, Some(LM), NotModified),
            (None, Some("Fri, 04 Apr 2025 09:00:00 GMT"), NotModified),
            (None, Some("Fri, 04 Apr 2025 08:29:59 GMT"), Whole),
            (None, Some("yesterday"), Whole),
            // If-None-Match wins over If-Modified-Since.
            (Some("\"other\""), Some(LM), Whole),
        ];
        for (inm, ims, want) in cases {
            assert_eq!(&decide(&c(*inm, *ims), &v, 100), want, "{inm:?} {ims:?}");
        }
        // 304 before the range is looked at.
        let c = Conditions {
            if_none_match: Some("\"abc123\""),
            range: Some("bytes=0-1"),
            ..Default::default()
        };
        assert_eq!(decide(&c, &v, 100), NotModified);
    }

    #[test]
    fn if_range() {
        use Answer::*;
        let v = v();
        let c = |ir| Conditions {
            if_range: ir,
            range: Some("bytes=0-1"),
            ..Default::default()
        };
        let part = Partial(vec![r(0, 1)]);
        let cases: &[(Option<&str>, &Answer)] = &[
            (None, &part),
            (Some("\"abc123\""), &part),
            (Some(LM), &part),
            // Weak tags never match If-Range; other tags and dates neither.
            (Some("W/\"abc123\""), &Whole),
            (Some("\"other\""), &Whole),
            (Some("Fri, 04 Apr 2025 08:30:01 GMT"), &Whole),
            (Some("garbage"), &Whole),
        ];
        for (ir, want) in cases {
            assert_eq!(&&decide(&c(*ir), &v, 100), want, "{ir:?}");
        }
        // If-Range without Range changes nothing.
        let c = Conditions {
            if_range: Some("\"other\""),
            ..Default::default()
        };
        assert_eq!(decide(&c, &v, 100), Whole);
        // Unsatisfiable and invalid ranges.
        let c = Conditions {
            range: Some("bytes=100-"),
            ..Default::default()
        };
        assert_eq!(decide(&c, &v, 100), Unsatisfiable);
        let c = Conditions {
            range: Some("bytes=oops"),
            ..Default::default()
        };
        assert_eq!(decide(&c, &v, 100), Whole);
    }

    #[test]
    fn multipart_framing_length_is_exact() {
        let m = Multipart {
            boundary: "b0undary".into(),
            content_type: "video/mp4".into(),
            total: 100,
        };
        let rs = [r(0, 9), r(90, 99)];
        let mut body = String::new();
        for x in rs {
            body.push_str(&m.part_head(x));
            body.push_str(&"x".repeat(x.len() as usize));
        }
        body.push_str(&m.tail());
        assert_eq!(m.body_len(&rs), body.len() as u64);
        assert!(body.contains("Content-Range: bytes 90-99/100\r\n"));
        assert_eq!(m.header(), "multipart/byteranges; boundary=b0undary");
        assert_eq!(r(5, 5).len(), 1);
        assert_eq!(r(0, 1).content_range(2), "bytes 0-1/2");
    }
}
