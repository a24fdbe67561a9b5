//! What serde says about a body or query it could not read, turned into what
//! the field expects, in words a person reads (`messages::Expected`), never
//! serde's own English with Rust type names.

use crate::messages::{Expected, Msg};

/// serde's text without the position (`… at line 1 column 9`).
fn without_position(text: &str) -> &str {
    text.split(" at line ").next().unwrap_or(text)
}

/// The values of `one of `a`, `b``.
fn backticked(s: &str) -> Vec<String> {
    s.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// What serde's `expected …` phrase asks for.
pub fn expected(phrase: &str) -> Expected {
    let p = phrase.trim();
    if let Some(rest) = p.strip_prefix("one of ") {
        return Expected::OneOf(backticked(rest));
    }
    let word = p
        .trim_start_matches("a ")
        .trim_start_matches("an ")
        .trim_start_matches("borrowed ");
    match word {
        "string" | "str" | "char" | "character" => Expected::Text,
        "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128" | "usize"
        | "isize" | "integer" => Expected::Integer,
        "f32" | "f64" | "number" | "float" => Expected::Number,
        "bool" | "boolean" => Expected::Boolean,
        "sequence" | "list" | "array" | "tuple" => Expected::List,
        "map" | "object" => Expected::Object,
        "UUID" | "uuid" => Expected::Uuid,
        _ if word.starts_with("struct ") || word.starts_with("tuple struct ") => Expected::Object,
        _ if word.starts_with("sequence") || word.starts_with("tuple of") => Expected::List,
        _ if word.contains("date") || word.contains("timestamp") => Expected::Timestamp,
        _ if word.contains("UUID") => Expected::Uuid,
        _ => Expected::Valid,
    }
}

/// A data error (the JSON was well formed) as the field message: a missing
/// field names itself, an unknown field is refused, a wrong value says what
/// the field expects. `(field suffix, message)`: the field is the one serde
/// reported unless the message names another.
pub fn data_error(text: &str) -> (Option<String>, Msg) {
    let t = without_position(text);
    if let Some(rest) = t.strip_prefix("missing field `") {
        return (Some(rest.trim_end_matches('`').to_owned()), Msg::Required);
    }
    if let Some(rest) = t.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or("").to_owned();
        return (Some(name), Msg::UnknownField);
    }
    if let Some(rest) = t.strip_prefix("unknown variant `") {
        let values = rest
            .split_once("expected ")
            .map(|(_, e)| expected(e))
            .unwrap_or(Expected::Valid);
        return (None, Msg::Expected(values));
    }
    if let Some((_, exp)) = t.split_once(", expected ") {
        return (None, Msg::Expected(expected(exp)));
    }
    // A field's own parser (a date, a UUID) with its own words.
    let lower = t.to_lowercase();
    let e = if lower.contains("uuid") {
        Expected::Uuid
    } else if lower.contains("premature end of input")
        || lower.contains("input contains invalid characters")
        || lower.contains("input is out of range")
        || lower.contains("trailing input")
    {
        Expected::Timestamp
    } else {
        Expected::Valid
    };
    (None, Msg::Expected(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    /// Every message a person reads is free of serde's and Rust's words.
    fn no_rust(m: &Msg) {
        for locale in [Locale::Vi, Locale::En] {
            let text = m.render(locale);
            for word in [
                "i64",
                "i16",
                "u32",
                "f64",
                "struct",
                "serde",
                "invalid type",
                "Request",
                "sequence",
                "borrowed",
            ] {
                assert!(!text.contains(word), "{word} in {text}");
            }
        }
    }

    #[test]
    fn serde_texts_become_what_the_field_expects() {
        for (text, want) in [
            (
                "invalid type: floating point `5.0`, expected i64 at line 1 column 14",
                Expected::Integer,
            ),
            (
                "invalid type: integer `1`, expected a string",
                Expected::Text,
            ),
            ("invalid type: string \"x\", expected f64", Expected::Number),
            (
                "invalid type: integer `5`, expected a boolean",
                Expected::Boolean,
            ),
            (
                "invalid type: string \"a\", expected struct ReopenRequest",
                Expected::Object,
            ),
            ("invalid type: map, expected a sequence", Expected::List),
            (
                "invalid type: integer `5`, expected a formatted date and time string or a unix timestamp",
                Expected::Timestamp,
            ),
            (
                "UUID parsing failed: invalid length: expected length 32 for simple format, found 3",
                Expected::Uuid,
            ),
            ("input contains invalid characters", Expected::Timestamp),
            (
                "invalid value: integer `300`, expected u8",
                Expected::Integer,
            ),
            ("something else entirely", Expected::Valid),
        ] {
            let (field, msg) = data_error(text);
            assert_eq!(field, None, "{text}");
            assert_eq!(msg, Msg::Expected(want), "{text}");
            no_rust(&msg);
        }
    }

    #[test]
    fn variants_list_the_allowed_values() {
        let (_, msg) = data_error(
            "unknown variant `sideways`, expected one of `accept`, `assign`, `start` at line 1 column 20",
        );
        assert_eq!(
            msg,
            Msg::Expected(Expected::OneOf(vec![
                "accept".into(),
                "assign".into(),
                "start".into()
            ]))
        );
        assert!(msg.render(Locale::Vi).contains("accept, assign, start"));
        no_rust(&msg);
    }

    #[test]
    fn missing_and_unknown_fields_name_themselves() {
        assert_eq!(
            data_error("missing field `lat` at line 1 column 2"),
            (Some("lat".into()), Msg::Required)
        );
        assert_eq!(
            data_error("unknown field `colour`, expected one of `lat`, `lng`"),
            (Some("colour".into()), Msg::UnknownField)
        );
    }
}
