//! The organization: units (a tree of any depth), categories, and routing
//! rules (category × area → unit).

pub mod public_points;
pub mod reference;
pub mod routes;
pub mod routing;
pub mod service;
pub mod units;

use crate::entities::categories;
use crate::i18n::Locale;

/// A category's name in the reader's language.
pub fn category_name(c: &categories::Model, locale: Locale) -> String {
    match locale {
        Locale::Vi => c.name_vi.clone(),
        Locale::En => c.name_en.clone(),
    }
}
