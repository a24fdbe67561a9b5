//! Which unit handles a report: the most specific routing rule for its
//! category and area (the longest rule area code that prefixes the report's),
//! then the category's default unit, then the root unit for a coordinator.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::units::root_unit;
use crate::entities::{categories, routing_rules};
use crate::error::AppResult;

/// The pure choice among a category's rules.
pub fn pick_rule<'a>(
    rules: &'a [routing_rules::Model],
    area_code: Option<&str>,
) -> Option<&'a routing_rules::Model> {
    let area = area_code?;
    rules
        .iter()
        .filter(|r| !r.area_code.is_empty() && area.starts_with(r.area_code.as_str()))
        .max_by_key(|r| r.area_code.len())
}

pub async fn route<C: ConnectionTrait>(
    db: &C,
    category: &categories::Model,
    area_code: Option<&str>,
) -> AppResult<Option<Uuid>> {
    if area_code.is_some() {
        let rules = routing_rules::Entity::find()
            .filter(routing_rules::Column::CategoryId.eq(category.id))
            .all(db)
            .await?;
        if let Some(rule) = pick_rule(&rules, area_code) {
            return Ok(Some(rule.unit_id));
        }
    }
    if let Some(unit) = category.default_unit_id {
        return Ok(Some(unit));
    }
    Ok(root_unit(db).await?.map(|u| u.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(area: &str, unit: u128) -> routing_rules::Model {
        routing_rules::Model {
            id: Uuid::from_u128(unit + 1000),
            category_id: Uuid::nil(),
            area_code: area.into(),
            unit_id: Uuid::from_u128(unit),
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn longest_prefix_wins() {
        let rules = vec![rule("01", 1), rule("01001", 2), rule("79", 3)];
        let pick = |a: Option<&str>| pick_rule(&rules, a).map(|r| r.unit_id.as_u128());
        assert_eq!(pick(Some("01001")), Some(2));
        assert_eq!(pick(Some("0100123")), Some(2));
        assert_eq!(pick(Some("01002")), Some(1));
        assert_eq!(pick(Some("79123")), Some(3));
        assert_eq!(pick(Some("48")), None);
        assert_eq!(pick(None), None);
    }
}
