//! How people identify themselves: phone numbers in E.164 (Vietnam by default)
//! and case-folded emails.

use phonenumber::{Mode, country};

/// `0912345678`, `+84 912 345 678`, `84912345678` → `+84912345678`.
/// Numbers of other countries are accepted in international form.
pub fn normalize_phone(input: &str) -> Option<String> {
    let trimmed = input.trim();
    if trimmed.is_empty() || trimmed.len() > 32 {
        return None;
    }
    let number = phonenumber::parse(Some(country::Id::VN), trimmed).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    Some(number.format().mode(Mode::E164).to_string())
}

/// Emails are compared case-insensitively: stored trimmed and lower-cased.
pub fn normalize_email(input: &str) -> String {
    input.trim().to_lowercase()
}

/// Whether a login string is an email (otherwise it is read as a phone).
pub fn looks_like_email(login: &str) -> bool {
    login.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_numbers_become_e164() {
        for input in [
            "0912345678",
            "+84912345678",
            "+84 912 345 678",
            "0912 345 678",
            "84912345678",
            "(091) 234-5678",
        ] {
            assert_eq!(
                normalize_phone(input).as_deref(),
                Some("+84912345678"),
                "{input}"
            );
        }
        assert_eq!(
            normalize_phone("02438251234").as_deref(),
            Some("+842438251234")
        );
        assert_eq!(
            normalize_phone("+1 650 253 0000").as_deref(),
            Some("+16502530000")
        );
        for bad in ["", "123", "abc", "091234567890123", "+84 000"] {
            assert_eq!(normalize_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn emails_are_case_folded() {
        assert_eq!(
            normalize_email("  An.Nguyen@Example.COM "),
            "an.nguyen@example.com"
        );
    }
}
