//! Field rules for request bodies. Each request type lists its rules in a
//! `Validate` impl using [`Check`], which collects every failure so the client
//! learns about all bad fields at once.

use validator::ValidateEmail;

use crate::error::{AppError, FieldError};
use crate::messages::Msg;

pub trait Validate {
    fn validate(&self) -> Result<(), AppError>;
}

/// The trimmed text, or `None` when absent or blank.
pub fn nonblank(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Control characters other than tab and line breaks: never meant in text,
/// and NUL is refused by PostgreSQL.
pub fn has_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

#[derive(Default)]
pub struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, msg: Msg) {
        self.errors.push(FieldError::new(field, msg));
    }

    pub fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    /// The value, or a `required` error.
    pub fn required<'a, T>(&mut self, field: &str, value: &'a Option<T>) -> Option<&'a T> {
        if value.is_none() {
            self.add(field, Msg::Required);
        }
        value.as_ref()
    }

    /// A required text that must not be blank after trimming, at most `max` characters.
    pub fn text<'a>(
        &mut self,
        field: &str,
        value: &'a Option<String>,
        max: usize,
    ) -> Option<&'a str> {
        match value.as_deref().map(str::trim) {
            None | Some("") => {
                self.add(field, Msg::Required);
                None
            }
            Some(v) => {
                self.max_len(field, v, max);
                Some(v)
            }
        }
    }

    pub fn max_len(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.add(field, Msg::TooLong { max: max as u64 });
        } else if has_control(value) {
            self.add(field, Msg::InvalidCharacters);
        }
    }

    pub fn email(&mut self, field: &str, value: &str) {
        if value.chars().count() > 254 || !value.validate_email() {
            self.add(field, Msg::InvalidEmail);
        }
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.errors))
        }
    }
}
