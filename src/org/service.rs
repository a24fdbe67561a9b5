//! Transactions on the organization: units, categories, routing rules.
//!
//! A create is the same change as an update applied to a new row with every
//! field given, so each entity has one `apply` path and one set of checks.
//! Inputs are already validated and trimmed (see the handlers' `Validate`).

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use super::public_points::recompute_public_points;
use super::reference;
use super::units::would_cycle;
use crate::context::Ctx;
use crate::db::begin_write;
use crate::domain::UnitKind;
use crate::entities::{categories, routing_rules, units};
use crate::error::{AppError, AppResult};
use crate::messages::Msg;

/// 422 on `field` unless the unit exists.
pub async fn ensure_unit<C: ConnectionTrait>(db: &C, field: &str, id: Uuid) -> AppResult<()> {
    if units::Entity::find_by_id(id).one(db).await?.is_none() {
        return Err(AppError::field(field, Msg::UnknownUnit));
    }
    Ok(())
}

// ---------- units ----------

/// A new unit: every field a unit must have.
pub struct NewUnit {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<Uuid>,
    pub area_code: Option<String>,
}

/// A change to a unit: `None` leaves a field as it is; for the nullable
/// fields `Some(None)` clears it.
#[derive(Default)]
pub struct UnitChanges {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<UnitKind>,
    pub parent_id: Option<Option<Uuid>>,
    pub area_code: Option<Option<String>>,
}

impl From<NewUnit> for UnitChanges {
    fn from(n: NewUnit) -> Self {
        UnitChanges {
            code: Some(n.code),
            name: Some(n.name),
            kind: Some(n.kind),
            parent_id: Some(n.parent_id),
            area_code: Some(n.area_code),
        }
    }
}

impl UnitChanges {
    /// The parent must exist and must not sit below the unit itself.
    async fn check<C: ConnectionTrait>(&self, db: &C, unit: Uuid) -> AppResult<()> {
        if let Some(Some(parent)) = self.parent_id {
            ensure_unit(db, "parent_id", parent).await?;
            if would_cycle(db, unit, parent).await? {
                return Err(AppError::field("parent_id", Msg::UnitCycle));
            }
        }
        Ok(())
    }

    fn apply(self, m: &mut units::ActiveModel) {
        if let Some(v) = self.code {
            m.code = Set(v);
        }
        if let Some(v) = self.name {
            m.name = Set(v);
        }
        if let Some(v) = self.kind {
            m.kind = Set(v);
        }
        if let Some(v) = self.parent_id {
            m.parent_id = Set(v);
        }
        if let Some(v) = self.area_code {
            m.area_code = Set(v);
        }
    }
}

/// Adds a unit. 422 on an unknown parent, 409 when the code is taken.
pub async fn create_unit(ctx: Ctx<'_>, new: NewUnit) -> AppResult<units::Model> {
    let id = Uuid::now_v7();
    let changes = UnitChanges::from(new);
    let txn = begin_write(ctx.db).await?;
    changes.check(&txn, id).await?;
    let mut m = units::ActiveModel {
        id: Set(id),
        created_at: Set(ctx.now),
        updated_at: Set(ctx.now),
        ..Default::default()
    };
    changes.apply(&mut m);
    let unit = m.insert(&txn).await?;
    reference::announce(&txn).await?;
    txn.commit().await?;
    reference::changed(ctx.db);
    Ok(unit)
}

/// Changes a unit. 404 when it does not exist, 422 on an unknown parent or
/// one that would close a loop, 409 when the new code is taken.
pub async fn update_unit(ctx: Ctx<'_>, id: Uuid, changes: UnitChanges) -> AppResult<units::Model> {
    let txn = begin_write(ctx.db).await?;
    if changes.parent_id.is_some() {
        // Two moves checked at once could each see no cycle and together
        // make one (A under B, B under A): moves of the tree take turns.
        crate::db::advisory_xact_lock(&txn, crate::db::UNIT_TREE_LOCK).await?;
    }
    let unit = units::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    changes.check(&txn, id).await?;
    let mut m = unit.into_active_model();
    changes.apply(&mut m);
    m.updated_at = Set(ctx.now);
    let unit = m.update(&txn).await?;
    reference::announce(&txn).await?;
    txn.commit().await?;
    reference::changed(ctx.db);
    Ok(unit)
}

// ---------- categories ----------

/// A new category: every field a category must have.
pub struct NewCategory {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub description: Option<String>,
    pub group: Option<String>,
    pub ack_hours: i32,
    pub sla_hours: i32,
    pub default_unit_id: Option<Uuid>,
    pub sensitive: bool,
    pub active: bool,
}

/// A change to a category: `None` leaves a field as it is; for the nullable
/// fields `Some(None)` clears it.
#[derive(Default)]
pub struct CategoryChanges {
    pub code: Option<String>,
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    pub description: Option<Option<String>>,
    pub group: Option<Option<String>>,
    pub ack_hours: Option<i32>,
    pub sla_hours: Option<i32>,
    pub default_unit_id: Option<Option<Uuid>>,
    pub sensitive: Option<bool>,
    pub active: Option<bool>,
}

impl From<NewCategory> for CategoryChanges {
    fn from(n: NewCategory) -> Self {
        CategoryChanges {
            code: Some(n.code),
            name_vi: Some(n.name_vi),
            name_en: Some(n.name_en),
            description: Some(n.description),
            group: Some(n.group),
            ack_hours: Some(n.ack_hours),
            sla_hours: Some(n.sla_hours),
            default_unit_id: Some(n.default_unit_id),
            sensitive: Some(n.sensitive),
            active: Some(n.active),
        }
    }
}

impl CategoryChanges {
    async fn check<C: ConnectionTrait>(&self, db: &C) -> AppResult<()> {
        if let Some(Some(unit)) = self.default_unit_id {
            ensure_unit(db, "default_unit_id", unit).await?;
        }
        Ok(())
    }

    fn apply(self, m: &mut categories::ActiveModel) {
        if let Some(v) = self.code {
            m.code = Set(v);
        }
        if let Some(v) = self.name_vi {
            m.name_vi = Set(v);
        }
        if let Some(v) = self.name_en {
            m.name_en = Set(v);
        }
        if let Some(v) = self.description {
            m.description = Set(v);
        }
        if let Some(v) = self.group {
            m.group = Set(v);
        }
        if let Some(v) = self.ack_hours {
            m.ack_hours = Set(v);
        }
        if let Some(v) = self.sla_hours {
            m.sla_hours = Set(v);
        }
        if let Some(v) = self.default_unit_id {
            m.default_unit_id = Set(v);
        }
        if let Some(v) = self.sensitive {
            m.sensitive = Set(v);
        }
        if let Some(v) = self.active {
            m.active = Set(v);
        }
    }
}

/// Adds a category. 422 on an unknown default unit, 409 when the code is taken.
pub async fn create_category(ctx: Ctx<'_>, new: NewCategory) -> AppResult<categories::Model> {
    let changes = CategoryChanges::from(new);
    let txn = begin_write(ctx.db).await?;
    changes.check(&txn).await?;
    let mut m = categories::ActiveModel {
        id: Set(Uuid::now_v7()),
        created_at: Set(ctx.now),
        updated_at: Set(ctx.now),
        ..Default::default()
    };
    changes.apply(&mut m);
    let cat = m.insert(&txn).await?;
    reference::announce(&txn).await?;
    txn.commit().await?;
    reference::changed(ctx.db);
    Ok(cat)
}

/// Changes a category. When its `sensitive` flag flips, the public points of
/// its reports move in the same transaction, so the public never sees an
/// exact point of a sensitive category.
pub async fn update_category(
    ctx: Ctx<'_>,
    id: Uuid,
    changes: CategoryChanges,
) -> AppResult<categories::Model> {
    let txn = begin_write(ctx.db).await?;
    let cat = categories::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    changes.check(&txn).await?;
    let was_sensitive = cat.sensitive;
    let mut m = cat.into_active_model();
    changes.apply(&mut m);
    m.updated_at = Set(ctx.now);
    let cat = m.update(&txn).await?;
    if cat.sensitive != was_sensitive {
        recompute_public_points(&txn, cat.id, cat.sensitive).await?;
    }
    reference::announce(&txn).await?;
    txn.commit().await?;
    reference::changed(ctx.db);
    Ok(cat)
}

// ---------- routing rules ----------

pub struct NewRule {
    pub category_id: Uuid,
    pub area_code: String,
    pub unit_id: Uuid,
}

/// Routes a category in an area to a unit. 422 on an unknown category or
/// unit, 409 when the category already has a rule for that area.
pub async fn create_rule(ctx: Ctx<'_>, new: NewRule) -> AppResult<routing_rules::Model> {
    let txn = begin_write(ctx.db).await?;
    if categories::Entity::find_by_id(new.category_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(AppError::field("category_id", Msg::UnknownCategory));
    }
    ensure_unit(&txn, "unit_id", new.unit_id).await?;
    let rule = routing_rules::ActiveModel {
        id: Set(Uuid::now_v7()),
        category_id: Set(new.category_id),
        area_code: Set(new.area_code),
        unit_id: Set(new.unit_id),
        created_at: Set(ctx.now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(rule)
}

/// Removes a routing rule; 404 when there is none with this id.
pub async fn delete_rule(ctx: Ctx<'_>, id: Uuid) -> AppResult<()> {
    let res = routing_rules::Entity::delete_by_id(id).exec(ctx.db).await?;
    if res.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}
