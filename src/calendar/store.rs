//! The calendar as stored (one JSON row) and as the API shows it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::WorkCalendar;
use crate::entities::calendar;
use crate::error::AppResult;

pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Working intervals per weekday (`"08:00"`–`"12:00"`), public holidays, and
/// make-up working days (which work with Monday's hours).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(example = json!({
    "week": {"mon": [["08:00", "12:00"], ["13:30", "17:30"]], "tue": [["08:00", "12:00"], ["13:30", "17:30"]],
             "wed": [["08:00", "12:00"], ["13:30", "17:30"]], "thu": [["08:00", "12:00"], ["13:30", "17:30"]],
             "fri": [["08:00", "12:00"], ["13:30", "17:30"]], "sat": [], "sun": []},
    "holidays": ["2025-04-30", "2025-05-01"],
    "extra_working_days": []
}))]
pub struct CalendarData {
    /// `mon` … `sun`: working intervals `["HH:MM", "HH:MM"]`, each starting
    /// before it ends.
    #[schema(schema_with = week_schema)]
    pub week: BTreeMap<String, Vec<[String; 2]>>,
    pub holidays: Vec<NaiveDate>,
    pub extra_working_days: Vec<NaiveDate>,
}

/// The week as the API takes it: the seven day names, each a list of
/// `["HH:MM", "HH:MM"]` intervals.
fn week_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Type};
    let day = || {
        let time = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^([01][0-9]|2[0-3]):[0-5][0-9]$"));
        let interval = ArrayBuilder::new()
            .items(time)
            .min_items(Some(2))
            .max_items(Some(2));
        ArrayBuilder::new().items(interval)
    };
    let mut week = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for d in DAYS {
        week = week.property(d, day());
    }
    week.build()
}

fn hm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

impl CalendarData {
    pub fn from_calendar(c: &WorkCalendar) -> Self {
        CalendarData {
            week: DAYS
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    (
                        (*d).to_owned(),
                        c.week[i].iter().map(|(a, b)| [hm(*a), hm(*b)]).collect(),
                    )
                })
                .collect(),
            holidays: c.holidays.iter().copied().collect(),
            extra_working_days: c.extra_working_days.iter().copied().collect(),
        }
    }

    /// The calendar, or the first problem found as `(field, reason)`.
    pub fn to_calendar(&self, tz: Tz) -> Result<WorkCalendar, String> {
        let mut cal = WorkCalendar::standard(tz);
        for key in self.week.keys() {
            if !DAYS.contains(&key.as_str()) {
                return Err(format!("week.{key}"));
            }
        }
        for (i, day) in DAYS.iter().enumerate() {
            let mut intervals = Vec::new();
            for (j, [a, b]) in self
                .week
                .get(*day)
                .cloned()
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let field = format!("week.{day}[{j}]");
                let a = NaiveTime::parse_from_str(a, "%H:%M").map_err(|_| field.clone())?;
                let b = NaiveTime::parse_from_str(b, "%H:%M").map_err(|_| field.clone())?;
                if a >= b {
                    return Err(field);
                }
                intervals.push((a, b));
            }
            intervals.sort();
            if intervals.windows(2).any(|w| w[0].1 > w[1].0) {
                return Err(format!("week.{day}"));
            }
            cal.week[i] = intervals;
        }
        cal.holidays = self.holidays.iter().copied().collect::<BTreeSet<_>>();
        cal.extra_working_days = self.extra_working_days.iter().copied().collect();
        Ok(cal)
    }
}

/// The city's calendar (the standard one until an admin sets it).
pub async fn load<C: ConnectionTrait>(db: &C, tz: Tz) -> AppResult<WorkCalendar> {
    let row = calendar::Entity::find_by_id(1).one(db).await?;
    Ok(row
        .and_then(|r| serde_json::from_value::<CalendarData>(r.data).ok())
        .and_then(|d| d.to_calendar(tz).ok())
        .unwrap_or_else(|| WorkCalendar::standard(tz)))
}

pub async fn save<C: ConnectionTrait>(
    db: &C,
    data: &CalendarData,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let json = serde_json::to_value(data).map_err(anyhow::Error::from)?;
    let exists = calendar::Entity::find_by_id(1).one(db).await?.is_some();
    let model = calendar::ActiveModel {
        id: Set(1),
        data: Set(json),
        updated_at: Set(now),
    };
    if exists {
        model.update(db).await?;
    } else {
        model.insert(db).await?;
    }
    Ok(())
}
