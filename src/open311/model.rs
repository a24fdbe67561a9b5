//! Pure Open311 rules: formats, query parsing, the status mapping, and the
//! XML and JSON documents, element for element as the GeoReport v2 examples.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::{Locale, Status};
use crate::error::FieldError;
use crate::messages::Msg;

/// The longest window a `requests` query may span, and the default one.
pub const MAX_WINDOW_DAYS: i64 = 90;
/// At most this many requests per answer.
pub const MAX_RESULTS: u64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
}

/// Splits `services.json` into (`services`, Json); an unknown extension is `None`.
pub fn split_ext(file: &str) -> Option<(&str, Format)> {
    let (stem, ext) = file.rsplit_once('.')?;
    let fmt = match ext {
        "xml" => Format::Xml,
        "json" => Format::Json,
        _ => return None,
    };
    (!stem.is_empty()).then_some((stem, fmt))
}

/// An Open311 error: `{code, description}`; `code` is the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Open311Error {
    pub code: u16,
    pub description: String,
}

impl Open311Error {
    pub fn bad(description: impl Into<String>) -> Self {
        Open311Error {
            code: 400,
            description: description.into(),
        }
    }
    pub fn not_found(description: impl Into<String>) -> Self {
        Open311Error {
            code: 404,
            description: description.into(),
        }
    }
}

/// `open` while not yet handled, `closed` otherwise.
pub fn open311_status(s: Status) -> &'static str {
    if s.is_open() { "open" } else { "closed" }
}

/// Dates ISO 8601 with an offset.
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// What a `GET requests` asks for, after parsing.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestsQuery {
    /// `service_request_id` given: those, and nothing else filters.
    Ids(Vec<String>),
    Window {
        service_codes: Vec<String>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        /// `Some(true)` open only, `Some(false)` closed only.
        open: Option<bool>,
    },
}

fn present<'a>(q: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    q.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn comma_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An ISO 8601 instant with an offset (`2010-01-01T00:00:00Z`) or a date
/// (`2010-01-01`, midnight UTC).
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// Parses the `requests` filters; empty parameters count as absent.
pub fn parse_requests_query(
    q: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<RequestsQuery, Open311Error> {
    if let Some(ids) = present(q, "service_request_id") {
        return Ok(RequestsQuery::Ids(comma_list(ids)));
    }
    let date = |key: &str| -> Result<Option<DateTime<Utc>>, Open311Error> {
        match present(q, key) {
            None => Ok(None),
            Some(s) => parse_date(s)
                .map(Some)
                .ok_or_else(|| Open311Error::bad(format!("{key}: not an ISO 8601 date"))),
        }
    };
    let window = Duration::days(MAX_WINDOW_DAYS);
    let (start, end) = match (date("start_date")?, date("end_date")?) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, s + window),
        (None, Some(e)) => (e - window, e),
        (None, None) => (now - window, now),
    };
    if start > end {
        return Err(Open311Error::bad("start_date is after end_date"));
    }
    if end - start > window {
        return Err(Open311Error::bad(format!(
            "the date window may not span more than {MAX_WINDOW_DAYS} days"
        )));
    }
    // A comma list: `open`, `closed`, or both (which is all).
    let open = match present(q, "status") {
        None => None,
        Some(list) => {
            let (mut open, mut closed) = (false, false);
            for s in comma_list(list) {
                match s.as_str() {
                    "open" => open = true,
                    "closed" => closed = true,
                    _ => return Err(Open311Error::bad("status: open, closed, or both")),
                }
            }
            match (open, closed) {
                (true, false) => Some(true),
                (false, true) => Some(false),
                _ => None,
            }
        }
    };
    Ok(RequestsQuery::Window {
        service_codes: present(q, "service_code")
            .map(comma_list)
            .unwrap_or_default(),
        start,
        end,
        open,
    })
}

/// One service (a category).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceDoc {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    pub metadata: bool,
    #[serde(rename = "type")]
    pub kind: String,
    pub keywords: String,
    pub group: String,
}

/// One service request (a public report), already coarsened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestDoc {
    pub service_request_id: String,
    pub status: String,
    pub status_notes: Option<String>,
    pub service_name: String,
    pub service_code: String,
    pub description: String,
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: String,
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    pub lat: f64,
    pub long: f64,
    pub media_url: Option<String>,
}

/// The answer to a filing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FiledDoc {
    pub service_request_id: String,
    pub service_notice: Option<String>,
    pub account_id: Option<String>,
}

/// Validation failures as Open311 errors: 404 for an unknown service, 400
/// for the rest, each naming its field.
pub fn field_errors(errors: &[FieldError], locale: Locale) -> Vec<Open311Error> {
    errors
        .iter()
        .map(|e| Open311Error {
            code: if matches!(e.message, Msg::UnknownService) {
                404
            } else {
                400
            },
            description: format!("{}: {}", e.field, e.message.render(locale)),
        })
        .collect()
}

/// Escapes text for XML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and newlines are not XML.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

fn el(out: &mut String, name: &str, value: Option<&str>) {
    match value {
        Some(v) => {
            out.push('<');
            out.push_str(name);
            out.push('>');
            out.push_str(&escape(v));
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        None => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
    }
}

/// Renders a flat JSON object's fields as elements, in order.
fn fields(out: &mut String, names: &[&str], v: &Value) {
    for name in names {
        let text = match v.get(*name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        };
        el(out, name, text.as_deref());
    }
}

const SERVICE_FIELDS: &[&str] = &[
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
];

const REQUEST_FIELDS: &[&str] = &[
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
];

fn list_xml<T: Serialize>(outer: &str, inner: &str, names: &[&str], items: &[T]) -> String {
    let mut out = String::from(XML_DECL);
    out.push_str(&format!("<{outer}>"));
    for it in items {
        let v = serde_json::to_value(it).unwrap_or(Value::Null);
        out.push_str(&format!("<{inner}>"));
        fields(&mut out, names, &v);
        out.push_str(&format!("</{inner}>"));
    }
    out.push_str(&format!("</{outer}>"));
    out
}

pub fn services_xml(items: &[ServiceDoc]) -> String {
    list_xml("services", "service", SERVICE_FIELDS, items)
}

pub fn requests_xml(items: &[RequestDoc]) -> String {
    list_xml("service_requests", "request", REQUEST_FIELDS, items)
}

pub fn filed_xml(answer: &FiledDoc) -> String {
    list_xml(
        "service_requests",
        "request",
        &["service_request_id", "service_notice", "account_id"],
        std::slice::from_ref(answer),
    )
}

pub fn errors_xml(items: &[Open311Error]) -> String {
    list_xml("errors", "error", &["code", "description"], items)
}

/// The one attribute every service takes: the administrative area code the
/// report lies in (as `attribute[area_code]`), which routes it to the unit
/// responsible there. Optional: without it the category's default unit (or
/// a coordinator) takes the report.
pub const AREA_ATTRIBUTE: &str = "area_code";
const AREA_DESCRIPTION: &str = "Mã địa bàn hành chính (area code) nơi xảy ra sự việc, ví dụ 00070";

/// The service definition.
pub fn definition_json(code: &str) -> Value {
    json!({"service_code": code, "attributes": [{
        "variable": true,
        "code": AREA_ATTRIBUTE,
        "datatype": "string",
        "required": false,
        "datatype_description": "1–32 letters, digits, '.' or '-'",
        "order": 1,
        "description": AREA_DESCRIPTION,
    }]})
}

pub fn definition_xml(code: &str) -> String {
    let mut out = String::from(XML_DECL);
    out.push_str("<service_definition>");
    el(&mut out, "service_code", Some(code));
    out.push_str("<attributes><attribute>");
    el(&mut out, "variable", Some("true"));
    el(&mut out, "code", Some(AREA_ATTRIBUTE));
    el(&mut out, "datatype", Some("string"));
    el(&mut out, "required", Some("false"));
    el(
        &mut out,
        "datatype_description",
        Some("1–32 letters, digits, '.' or '-'"),
    );
    el(&mut out, "order", Some("1"));
    el(&mut out, "description", Some(AREA_DESCRIPTION));
    out.push_str("</attribute></attributes></service_definition>");
    out
}

/// The discovery document.
pub fn discovery_json(base_url: &str, changeset: DateTime<Utc>) -> Value {
    json!({
        "changeset": iso(changeset),
        "contact": "",
        "key_service": format!("{base_url}/api/v1/admin/api-clients"),
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": format!("{base_url}/open311/v2"),
            "changeset": iso(changeset),
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    })
}

pub fn discovery_xml(base_url: &str, changeset: DateTime<Utc>) -> String {
    let mut out = String::from(XML_DECL);
    out.push_str("<discovery>");
    el(&mut out, "changeset", Some(&iso(changeset)));
    el(&mut out, "contact", None);
    el(
        &mut out,
        "key_service",
        Some(&format!("{base_url}/api/v1/admin/api-clients")),
    );
    out.push_str("<endpoints><endpoint>");
    el(
        &mut out,
        "specification",
        Some("http://wiki.open311.org/GeoReport_v2"),
    );
    el(&mut out, "url", Some(&format!("{base_url}/open311/v2")));
    el(&mut out, "changeset", Some(&iso(changeset)));
    el(&mut out, "type", Some("production"));
    out.push_str("<formats>");
    el(&mut out, "format", Some("text/xml"));
    el(&mut out, "format", Some("application/json"));
    out.push_str("</formats></endpoint></endpoints></discovery>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn now() -> DateTime<Utc> {
        parse_date("2026-05-01T00:00:00Z").unwrap_or_default()
    }

    #[test]
    fn escapes_markup_and_keeps_vietnamese() {
        assert_eq!(
            escape("Đèn <b> & \"x\""),
            "Đèn &lt;b&gt; &amp; &quot;x&quot;"
        );
    }

    #[test]
    fn extensions() {
        assert_eq!(split_ext("services.xml"), Some(("services", Format::Xml)));
        assert_eq!(split_ext("PA-1.json"), Some(("PA-1", Format::Json)));
        assert_eq!(split_ext("services.csv"), None);
        assert_eq!(split_ext("services"), None);
    }

    #[test]
    fn default_window_is_90_days_and_empty_counts_as_absent() {
        let r = parse_requests_query(&q(&[("status", ""), ("start_date", "")]), now());
        let Ok(RequestsQuery::Window {
            start, end, open, ..
        }) = r
        else {
            panic!("{r:?}")
        };
        assert_eq!((end - start).num_days(), 90);
        assert_eq!(open, None);
    }

    #[test]
    fn bad_parameters_are_400() {
        for p in [
            vec![("start_date", "yesterday")],
            vec![("status", "pending")],
            vec![
                ("start_date", "2026-01-01T00:00:00Z"),
                ("end_date", "2026-05-01T00:00:00+07:00"),
            ],
        ] {
            assert_eq!(
                parse_requests_query(&q(&p), now()).map_err(|e| e.code),
                Err(400)
            );
        }
    }

    #[test]
    fn status_is_a_comma_list() {
        let open = |s: &str| match parse_requests_query(&q(&[("status", s)]), now()) {
            Ok(RequestsQuery::Window { open, .. }) => Ok(open),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.code),
        };
        assert_eq!(open("open"), Ok(Some(true)));
        assert_eq!(open("closed"), Ok(Some(false)));
        assert_eq!(open("open,closed"), Ok(None));
        assert_eq!(open("closed, open"), Ok(None));
        assert_eq!(open("open,pending"), Err(400));
    }

    #[test]
    fn ids_override_the_rest() {
        assert_eq!(
            parse_requests_query(
                &q(&[("service_request_id", "A, B"), ("status", "x")]),
                now()
            ),
            Ok(RequestsQuery::Ids(vec!["A".into(), "B".into()]))
        );
    }

    #[test]
    fn errors_render_as_the_spec_shows() {
        assert_eq!(
            errors_xml(&[Open311Error::not_found("x & y")]),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<errors><error><code>404</code><description>x &amp; y</description></error></errors>"
        );
    }
}
