//! The demo city as data (`hanoi.toml`, embedded in the binary): units,
//! categories, staff accounts and the words of the generated reports.

use serde::Deserialize;

use crate::domain::UnitKind;

const HANOI: &str = include_str!("hanoi.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct City {
    pub city: Root,
    pub staff: Staff,
    pub citizens: Citizens,
    pub texts: Texts,
    pub departments: Vec<Department>,
    pub wards: Vec<Ward>,
    pub categories: Vec<Category>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Root {
    pub code: String,
    pub name: String,
    pub area_code: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The part of the email before `@`; may use `{slug}` and `{n}`.
    pub login: String,
    /// May use `{unit}` and `{n}`.
    pub name: String,
}

impl Account {
    /// The email and full name for a unit's `n`-th account.
    pub fn fill(&self, domain: &str, slug: &str, unit: &str, n: usize) -> (String, String) {
        let fill = |s: &str| {
            s.replace("{slug}", slug)
                .replace("{unit}", unit)
                .replace("{n}", &n.to_string())
        };
        (format!("{}@{domain}", fill(&self.login)), fill(&self.name))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    pub email_domain: String,
    pub admin: Account,
    pub city_coordinator: Account,
    pub ward_coordinator: Account,
    pub ward_officer: Account,
    pub ward_officers: usize,
    pub department_officer: Account,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Citizens {
    pub phone_prefix: String,
    pub name: String,
}

impl Citizens {
    /// The `i`-th demo citizen's phone and name.
    pub fn nth(&self, i: usize) -> (String, String) {
        (
            format!("{}{i:07}", self.phone_prefix),
            self.name.replace("{n}", &(i + 1).to_string()),
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub description: String,
    pub address: String,
    pub resolved: String,
    pub rejected: String,
    pub duplicate: String,
    pub reopened: String,
    pub titles: Vec<String>,
    pub streets: Vec<String>,
}

impl Texts {
    pub fn description(&self, title: &str, street: &str) -> String {
        self.description
            .replace("{title}", title)
            .replace("{street}", street)
    }

    pub fn address(&self, number: u32, street: &str, ward: &str) -> String {
        self.address
            .replace("{number}", &number.to_string())
            .replace("{street}", street)
            .replace("{ward}", ward)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    pub code: String,
    pub slug: String,
    pub name: String,
    /// A city service under this department (listed before it): kind
    /// `other`. Without one, a department of the city.
    #[serde(default)]
    pub parent: Option<String>,
}

impl Department {
    pub fn kind(&self) -> UnitKind {
        if self.parent.is_some() {
            UnitKind::Other
        } else {
            UnitKind::Department
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ward {
    pub code: String,
    pub slug: String,
    pub name: String,
    /// `ward` (phường) or `commune` (xã).
    pub kind: String,
    pub area_code: String,
    pub lat: f64,
    pub lng: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub group: String,
    pub ack_hours: i32,
    pub sla_hours: i32,
    pub sensitive: bool,
    /// The department that handles it where no ward rule applies.
    pub department: String,
    /// Whether every ward gets a routing rule for it.
    pub by_ward: bool,
}

impl Ward {
    pub fn kind(&self) -> UnitKind {
        UnitKind::parse(&self.kind).unwrap_or(UnitKind::Ward)
    }
}

impl City {
    /// The embedded Hanoi-like city.
    pub fn hanoi() -> anyhow::Result<City> {
        City::parse(HANOI)
    }

    /// Parses and checks a city: what the generator picks from is not
    /// empty, and every category's department exists.
    pub fn parse(text: &str) -> anyhow::Result<City> {
        let city: City = toml::from_str(text)?;
        anyhow::ensure!(!city.wards.is_empty(), "the city has no wards");
        anyhow::ensure!(!city.categories.is_empty(), "the city has no categories");
        anyhow::ensure!(!city.texts.titles.is_empty(), "no report titles");
        anyhow::ensure!(!city.texts.streets.is_empty(), "no streets");
        for (i, d) in city.departments.iter().enumerate() {
            if let Some(parent) = &d.parent {
                anyhow::ensure!(
                    city.departments[..i]
                        .iter()
                        .any(|p| &p.code == parent && p.parent.is_none()),
                    "unit {} names a parent {parent} that is no department listed before it",
                    d.code
                );
            }
        }
        for w in &city.wards {
            anyhow::ensure!(
                matches!(w.kind.as_str(), "ward" | "commune"),
                "{} is of kind {}, neither ward nor commune",
                w.code,
                w.kind
            );
        }
        for c in &city.categories {
            anyhow::ensure!(
                city.departments.iter().any(|d| d.code == c.department),
                "category {} names an unknown department {}",
                c.code,
                c.department
            );
            anyhow::ensure!(
                c.ack_hours >= 0 && c.sla_hours > 0,
                "category {} has negative hours",
                c.code
            );
        }
        Ok(city)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_embedded_city_parses() {
        let city = City::hanoi().expect("hanoi.toml");
        // Hanoi after 1 July 2025: 126 communal-level units, 51 wards and
        // 75 communes; a dozen departments, a dozen city services.
        assert_eq!(city.wards.len(), 126);
        let communes = city.wards.iter().filter(|w| w.kind() == UnitKind::Commune);
        assert_eq!(communes.count(), 75);
        let departments = city.departments.iter().filter(|d| d.parent.is_none());
        assert_eq!(departments.count(), 12);
        assert_eq!(city.departments.len(), 24);
        assert_eq!(city.categories.len(), 12);
        assert!(1 + city.departments.len() + city.wards.len() >= 150);
        let mut codes = HashSet::new();
        assert!(codes.insert(city.city.code.as_str()));
        for code in city.departments.iter().map(|d| &d.code) {
            assert!(codes.insert(code), "{code} twice");
        }
        let mut slugs = HashSet::new();
        let mut areas = HashSet::new();
        for w in &city.wards {
            assert!(codes.insert(&w.code), "{} twice", w.code);
            assert!(slugs.insert(&w.slug), "{} twice", w.slug);
            assert!(areas.insert(&w.area_code), "{} twice", w.area_code);
            assert!(w.area_code.len() == 5 && w.area_code.bytes().all(|b| b.is_ascii_digit()));
            assert!(w.slug.bytes().all(|b| b.is_ascii_lowercase()));
            // The slug is the folded name, so demo logins stay what they were.
            let prefix = match w.kind() {
                UnitKind::Commune => "Xã ",
                _ => "Phường ",
            };
            assert!(w.name.starts_with(prefix), "{}", w.name);
            let folded = crate::reports::text::fold(&w.name[prefix.len()..]);
            assert_eq!(w.slug, folded.replace(' ', ""));
        }
    }

    #[test]
    fn accounts_are_filled_in() {
        let city = City::hanoi().expect("hanoi.toml");
        let w = &city.wards[0];
        let (email, name) =
            city.staff
                .ward_officer
                .fill(&city.staff.email_domain, &w.slug, &w.name, 1);
        assert_eq!(email, "canbo1.hoankiem@demo.hanoi.gov.vn");
        assert_eq!(name, "Cán bộ 1 Phường Hoàn Kiếm");
        assert_eq!(
            city.citizens.nth(0),
            ("+84980000000".to_owned(), "Công dân 1".to_owned())
        );
    }

    #[test]
    fn a_broken_city_is_an_error() {
        assert!(City::parse("city = 1").is_err());
        let no_dept = HANOI.replace("department = \"HN-SXD\"", "department = \"HN-NONE\"");
        assert!(City::parse(&no_dept).is_err());
    }
}
