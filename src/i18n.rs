//! Language of the answer: Vietnamese by default, English on `Accept-Language: en`.
//!
//! The problem middleware reads the request's `Accept-Language` once and runs the
//! rest of the request inside [`scope`], so error rendering anywhere below it can
//! call [`current`] without threading the locale through every function.

use std::future::Future;

pub use crate::domain::Locale;

impl Locale {
    /// A language code as a client may send it (`" EN "` is English).
    pub fn from_code(code: &str) -> Option<Locale> {
        Locale::parse(code.trim().to_ascii_lowercase().as_str())
    }

    /// Picks the best supported language from an `Accept-Language` value
    /// (RFC 9110 §12.5.4): the highest `q` wins, ties go to the earlier entry,
    /// and anything unsupported falls back to Vietnamese.
    pub fn from_accept_language(header: &str) -> Locale {
        let mut best: Option<(f32, Locale)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|v| v.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            let primary = tag.split('-').next().unwrap_or("");
            let locale = match primary {
                "vi" => Locale::Vi,
                "en" => Locale::En,
                _ => continue,
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, locale));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }
}

tokio::task_local! {
    static LOCALE: Locale;
}

/// Runs `fut` with `locale` as the current request's language.
pub async fn scope<F: Future>(locale: Locale, fut: F) -> F::Output {
    LOCALE.scope(locale, fut).await
}

/// The current request's language (Vietnamese outside a request).
pub fn current() -> Locale {
    LOCALE.try_with(|l| *l).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        assert_eq!(Locale::from_accept_language(""), Locale::Vi);
        assert_eq!(Locale::from_accept_language("en"), Locale::En);
        assert_eq!(Locale::from_accept_language("en-US,en;q=0.9"), Locale::En);
        assert_eq!(Locale::from_accept_language("fr, en;q=0.5"), Locale::En);
        assert_eq!(Locale::from_accept_language("vi-VN, en;q=0.8"), Locale::Vi);
        assert_eq!(
            Locale::from_accept_language("en;q=0.3, vi;q=0.7"),
            Locale::Vi
        );
        assert_eq!(Locale::from_accept_language("en;q=0"), Locale::Vi);
        assert_eq!(Locale::from_accept_language("de"), Locale::Vi);
        assert_eq!(Locale::from_accept_language("*"), Locale::Vi);
    }
}
