//! The city's structure in the database: units, categories, routing rules
//! and staff accounts, each found by its code or email and created only when
//! missing, so running the seed again tops up the same city.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::data::{self, Account, City};
use crate::domain::{Locale, Role, UnitKind};
use crate::entities::{categories, routing_rules, units, users};

/// What report generation needs to know about the city as stored.
pub struct Org {
    pub root: Uuid,
    /// Parallel to `City::wards`.
    pub wards: Vec<Uuid>,
    /// Parallel to `City::categories`.
    pub categories: Vec<categories::Model>,
    /// The coordinator who triages a unit's reports: the ward's own, or the
    /// city centre's for departments.
    pub coordinators: HashMap<Uuid, Uuid>,
    pub city_coordinator: Uuid,
    pub officers: HashMap<Uuid, Vec<Uuid>>,
    pub units: usize,
    pub staff: usize,
}

impl Org {
    pub fn coordinator_of(&self, unit: Uuid) -> Uuid {
        self.coordinators
            .get(&unit)
            .copied()
            .unwrap_or(self.city_coordinator)
    }
}

async fn unit<C: ConnectionTrait>(
    db: &C,
    code: &str,
    name: &str,
    kind: UnitKind,
    parent: Option<Uuid>,
    area: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<Uuid> {
    if let Some(u) = units::Entity::find()
        .filter(units::Column::Code.eq(code))
        .one(db)
        .await?
    {
        return Ok(u.id);
    }
    let u = units::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set(code.into()),
        name: Set(name.into()),
        kind: Set(kind),
        parent_id: Set(parent),
        area_code: Set(area.map(str::to_owned)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(u.id)
}

/// A staff account from a template of the data file.
struct StaffAccount<'a> {
    account: &'a Account,
    slug: &'a str,
    unit_name: &'a str,
    n: usize,
    role: Role,
    unit: Option<Uuid>,
}

async fn staff_user<C: ConnectionTrait>(
    db: &C,
    city: &City,
    a: StaffAccount<'_>,
    hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Uuid> {
    let (email, name) = a
        .account
        .fill(&city.staff.email_domain, a.slug, a.unit_name, a.n);
    if let Some(u) = users::Entity::find()
        .filter(users::Column::Email.eq(&email))
        .one(db)
        .await?
    {
        return Ok(u.id);
    }
    Ok(users::ActiveModel {
        id: Set(Uuid::now_v7()),
        phone: Set(None),
        email: Set(Some(email)),
        password_hash: Set(hash.into()),
        full_name: Set(name),
        role: Set(a.role),
        unit_id: Set(a.unit),
        locale: Set(Locale::Vi),
        created_at: Set(now),
        updated_at: Set(now),
        disabled_at: Set(None),
        deleted_at: Set(None),
    }
    .insert(db)
    .await?
    .id)
}

async fn category<C: ConnectionTrait>(
    db: &C,
    c: &data::Category,
    department: Option<Uuid>,
    now: DateTime<Utc>,
) -> anyhow::Result<categories::Model> {
    if let Some(existing) = categories::Entity::find()
        .filter(categories::Column::Code.eq(&c.code))
        .one(db)
        .await?
    {
        return Ok(existing);
    }
    Ok(categories::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set(c.code.clone()),
        name_vi: Set(c.name_vi.clone()),
        name_en: Set(c.name_en.clone()),
        description: Set(None),
        group: Set(Some(c.group.clone())),
        ack_hours: Set(c.ack_hours),
        sla_hours: Set(c.sla_hours),
        default_unit_id: Set(department),
        active: Set(true),
        sensitive: Set(c.sensitive),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

async fn routing_rule<C: ConnectionTrait>(
    db: &C,
    category: Uuid,
    area: &str,
    unit: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let exists = routing_rules::Entity::find()
        .filter(routing_rules::Column::CategoryId.eq(category))
        .filter(routing_rules::Column::AreaCode.eq(area))
        .one(db)
        .await?
        .is_some();
    if !exists {
        routing_rules::ActiveModel {
            id: Set(Uuid::now_v7()),
            category_id: Set(category),
            area_code: Set(area.into()),
            unit_id: Set(unit),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Finds or creates the whole structure of `city`.
pub async fn build<C: ConnectionTrait>(
    db: &C,
    city: &City,
    hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Org> {
    let c = &city.city;
    let root = unit(
        db,
        &c.code,
        &c.name,
        UnitKind::City,
        None,
        Some(&c.area_code),
        now,
    )
    .await?;
    let mut departments = HashMap::new();
    for d in &city.departments {
        // A service hangs off its department (listed before it).
        let parent = d
            .parent
            .as_deref()
            .and_then(|p| departments.get(p).copied())
            .unwrap_or(root);
        let id = unit(db, &d.code, &d.name, d.kind(), Some(parent), None, now).await?;
        departments.insert(d.code.as_str(), id);
    }
    let mut wards = Vec::with_capacity(city.wards.len());
    for w in &city.wards {
        let kind = w.kind();
        wards.push(
            unit(
                db,
                &w.code,
                &w.name,
                kind,
                Some(root),
                Some(&w.area_code),
                now,
            )
            .await?,
        );
    }

    let mut categories = Vec::with_capacity(city.categories.len());
    for c in &city.categories {
        let model = category(db, c, departments.get(c.department.as_str()).copied(), now).await?;
        if c.by_ward {
            for (w, id) in city.wards.iter().zip(&wards) {
                routing_rule(db, model.id, &w.area_code, *id, now).await?;
            }
        }
        categories.push(model);
    }

    let s = &city.staff;
    let account = |account, slug, unit_name, n, role, unit| StaffAccount {
        account,
        slug,
        unit_name,
        n,
        role,
        unit,
    };
    staff_user(
        db,
        city,
        account(&s.admin, "", "", 0, Role::Admin, None),
        hash,
        now,
    )
    .await?;
    let city_coordinator = account(
        &s.city_coordinator,
        "",
        &c.name,
        0,
        Role::Coordinator,
        Some(root),
    );
    let city_coordinator = staff_user(db, city, city_coordinator, hash, now).await?;
    let mut staff = 2;
    let mut coordinators = HashMap::new();
    let mut officers: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (w, id) in city.wards.iter().zip(&wards) {
        let a = account(
            &s.ward_coordinator,
            &w.slug,
            &w.name,
            0,
            Role::Coordinator,
            Some(*id),
        );
        coordinators.insert(*id, staff_user(db, city, a, hash, now).await?);
        for n in 1..=s.ward_officers {
            let a = account(
                &s.ward_officer,
                &w.slug,
                &w.name,
                n,
                Role::Officer,
                Some(*id),
            );
            let o = staff_user(db, city, a, hash, now).await?;
            officers.entry(*id).or_default().push(o);
        }
        staff += 1 + s.ward_officers;
    }
    for d in &city.departments {
        let id = departments.get(d.code.as_str()).copied().unwrap_or(root);
        let a = account(
            &s.department_officer,
            &d.slug,
            &d.name,
            1,
            Role::Officer,
            Some(id),
        );
        let o = staff_user(db, city, a, hash, now).await?;
        officers.entry(id).or_default().push(o);
        staff += 1;
    }
    Ok(Org {
        root,
        wards,
        categories,
        coordinators,
        city_coordinator,
        officers,
        units: 1 + city.departments.len() + city.wards.len(),
        staff,
    })
}
