//! Pure rules of an Open311 filing (`POST requests`): reading the form,
//! what counts as the same request, the title a report gets.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::model::AREA_ATTRIBUTE;
use crate::accounts::identity::{normalize_email, normalize_phone};
use crate::domain::geo::{valid_area_code, valid_point};
use crate::error::AppError;
use crate::messages::Msg;
use crate::validate::Check;

/// The longest description Open311 accepts (the spec's limit).
pub const MAX_DESCRIPTION: usize = 4000;
/// A resubmission of the same content from the same device within this many
/// minutes is the same request.
pub const RESUBMISSION_MINUTES: i64 = 10;

/// A filing as read from the form: trimmed, normalized, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Filing {
    pub service_code: String,
    pub lat: f64,
    pub long: f64,
    pub address: Option<String>,
    /// `attribute[area_code]`: routes the report.
    pub area_code: Option<String>,
    pub description: String,
    /// Case-folded.
    pub email: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub media_url: Option<String>,
}

fn present<'a>(form: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    form.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// A coordinate, or an error on `field`.
fn coordinate(check: &mut Check, field: &str, s: &str, limit: f64) -> Option<f64> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= limit => Some(v),
        _ => {
            check.add(
                field,
                if field == "lat" {
                    Msg::LatOutOfRange
                } else {
                    Msg::LngOutOfRange
                },
            );
            None
        }
    }
}

/// Reads the form of a `POST requests`. Empty parameters count as absent;
/// every bad field is reported at once.
pub fn parse_filing(form: &HashMap<String, String>) -> Result<Filing, AppError> {
    let mut check = Check::new();
    let text = |check: &mut Check, key: &str, max: usize| -> Option<String> {
        let v = present(form, key)?;
        check.max_len(key, v, max);
        Some(v.to_owned())
    };
    let service_code = text(&mut check, "service_code", 64);
    if service_code.is_none() {
        check.add("service_code", Msg::Required);
    }
    let lat = present(form, "lat").and_then(|s| coordinate(&mut check, "lat", s, 90.0));
    let long = present(form, "long").and_then(|s| coordinate(&mut check, "long", s, 180.0));
    let address = text(&mut check, "address_string", 500);
    match (present(form, "lat"), present(form, "long")) {
        (Some(_), Some(_)) => {}
        (None, None) => check.add("lat", Msg::PointRequired),
        (None, Some(_)) => check.add("lat", Msg::Required),
        (Some(_), None) => check.add("long", Msg::Required),
    }
    if let (Some(la), Some(lo)) = (lat, long)
        && !valid_point(la, lo)
    {
        check.add("lat", Msg::LatOutOfRange);
    }
    let area_key = format!("attribute[{AREA_ATTRIBUTE}]");
    let area_code = present(form, &area_key).map(str::to_owned);
    if let Some(a) = &area_code
        && !valid_area_code(a)
    {
        check.add(&area_key, Msg::InvalidAreaCode);
    }
    let description = text(&mut check, "description", MAX_DESCRIPTION).unwrap_or_default();
    let email = present(form, "email").map(|e| {
        check.email("email", e);
        normalize_email(e)
    });
    let phone = present(form, "phone").and_then(|p| {
        let n = normalize_phone(p);
        if n.is_none() {
            check.add("phone", Msg::InvalidPhone);
        }
        n
    });
    let first_name = text(&mut check, "first_name", 100);
    let last_name = text(&mut check, "last_name", 100);
    let device_id = text(&mut check, "device_id", 128);
    let account_id = text(&mut check, "account_id", 128);
    let media_url = text(&mut check, "media_url", 2048);
    if let Some(u) = &media_url
        && !is_http_url(u)
    {
        check.add("media_url", Msg::InvalidUrl);
    }
    check.finish()?;
    Ok(Filing {
        service_code: service_code.unwrap_or_default(),
        lat: lat.unwrap_or_default(),
        long: long.unwrap_or_default(),
        address,
        area_code,
        description,
        email,
        phone,
        first_name,
        last_name,
        device_id,
        account_id,
        media_url,
    })
}

fn is_http_url(s: &str) -> bool {
    url::Url::parse(s)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

impl Filing {
    /// What makes two filings the same report: the service, the point, the
    /// address, the text and the photo. Who filed it is not part of it.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.service_code.as_str(),
            &format!("{:.6},{:.6}", self.lat, self.long),
            self.address.as_deref().unwrap_or(""),
            self.area_code.as_deref().unwrap_or(""),
            &self.description,
            self.media_url.as_deref().unwrap_or(""),
        ] {
            h.update(part.as_bytes());
            // A separator no field can contain unnoticed: its length first.
            h.update((part.len() as u64).to_be_bytes());
        }
        hex::encode(h.finalize())
    }

    /// Open311 has no title: the description's first line, cut at a word
    /// within 120 characters, or the service's name when there is none.
    pub fn title(&self, service_name: &str) -> String {
        let first = self.description.lines().next().unwrap_or("").trim();
        if first.is_empty() {
            return service_name.to_owned();
        }
        if first.chars().count() <= 120 {
            return first.to_owned();
        }
        let cut: String = first.chars().take(119).collect();
        let at_word = cut.rsplit_once(' ').map(|(a, _)| a).unwrap_or(&cut);
        format!("{}…", at_word.trim_end())
    }

    /// The citizen's name as staff see it.
    pub fn full_name(&self) -> Option<String> {
        let name = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!name.is_empty()).then_some(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn fields(r: Result<Filing, AppError>) -> Vec<String> {
        match r {
            Err(AppError::Validation(errs)) => errs.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    const OK: &[(&str, &str)] = &[
        ("service_code", "den-duong"),
        ("lat", "21.0285"),
        ("long", "105.8542"),
        ("description", "Đèn không sáng"),
    ];

    #[test]
    fn a_plain_filing_reads() {
        let f = parse_filing(&form(OK)).expect("valid");
        assert_eq!(f.service_code, "den-duong");
        assert_eq!((f.lat, f.long), (21.0285, 105.8542));
        assert_eq!(f.description, "Đèn không sáng");
        assert_eq!(f.email, None);
    }

    #[test]
    fn empty_parameters_are_absent_and_contacts_normalized() {
        let mut p = OK.to_vec();
        p.extend([
            ("email", " An@Example.VN "),
            ("phone", "0912 345 678"),
            ("device_id", ""),
            ("media_url", ""),
        ]);
        let f = parse_filing(&form(&p)).expect("valid");
        assert_eq!(f.email.as_deref(), Some("an@example.vn"));
        assert_eq!(f.phone.as_deref(), Some("+84912345678"));
        assert_eq!((f.device_id, f.media_url), (None, None));
        let mut p = OK.to_vec();
        p.push(("attribute[area_code]", "00070"));
        let f = parse_filing(&form(&p)).expect("valid");
        assert_eq!(f.area_code.as_deref(), Some("00070"));
    }

    #[test]
    fn every_bad_field_is_named() {
        let long_text = "x".repeat(MAX_DESCRIPTION + 1);
        let got = fields(parse_filing(&form(&[
            ("lat", "north"),
            ("long", "105.8"),
            ("description", &long_text),
            ("email", "not-an-email"),
            ("phone", "12"),
            ("attribute[area_code]", "bad code!"),
            ("media_url", "ftp://example.org/x.jpg"),
        ])));
        for f in [
            "service_code",
            "lat",
            "description",
            "email",
            "phone",
            "media_url",
            "attribute[area_code]",
        ] {
            assert!(got.iter().any(|g| g == f), "{f} missing in {got:?}");
        }
    }

    #[test]
    fn a_location_is_required_and_an_address_alone_is_not_one() {
        for p in [
            vec![("service_code", "x")],
            vec![("service_code", "x"), ("address_string", "12 Hàng Bài")],
            vec![("service_code", "x"), ("lat", "21.0")],
            vec![("service_code", "x"), ("lat", "91"), ("long", "105")],
        ] {
            let got = fields(parse_filing(&form(&p)));
            assert!(got.iter().any(|g| g == "lat" || g == "long"), "{p:?}");
        }
    }

    #[test]
    fn the_description_limit_is_4000_characters_not_bytes() {
        let vi = "đ".repeat(MAX_DESCRIPTION);
        let mut p = OK.to_vec();
        p.retain(|(k, _)| *k != "description");
        p.push(("description", &vi));
        assert!(parse_filing(&form(&p)).is_ok());
    }

    #[test]
    fn same_content_same_hash_whoever_sends_it() {
        let a = parse_filing(&form(OK)).expect("valid");
        let mut b = a.clone();
        b.email = Some("x@y.vn".into());
        b.device_id = Some("d1".into());
        assert_eq!(a.content_hash(), b.content_hash());
        b.description.push('!');
        assert_ne!(a.content_hash(), b.content_hash());
        let mut c = a.clone();
        c.lat += 0.001;
        assert_ne!(a.content_hash(), c.content_hash());
    }

    #[test]
    fn titles_come_from_the_description() {
        let mut f = parse_filing(&form(OK)).expect("valid");
        assert_eq!(f.title("Đèn đường"), "Đèn không sáng");
        f.description = String::new();
        assert_eq!(f.title("Đèn đường"), "Đèn đường");
        f.description = format!("{} tail\nsecond line", "từ ".repeat(60));
        let t = f.title("x");
        assert!(t.chars().count() <= 120 && t.ends_with('…'), "{t}");
    }
}
