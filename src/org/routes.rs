//! Reference data: the public lists, and their administration.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::category_name;
use super::service::{self, CategoryChanges, NewCategory, NewRule, NewUnit, UnitChanges};
use super::units::build_tree;
use crate::auth::extract::Admin;
use crate::domain::UnitKind;
use crate::entities::{categories, routing_rules, units};
use crate::error::{AppResult, ProblemBody};
use crate::http::extract::ValidatedJson;
use crate::i18n;
use crate::messages::Msg;
use crate::state::AppState;
use crate::validate::{Check, Validate, nonblank};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories))
        .routes(routes!(list_units))
        .routes(routes!(create_unit))
        .routes(routes!(update_unit))
        .routes(routes!(admin_list_categories, create_category))
        .routes(routes!(update_category))
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(delete_rule))
}

pub fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

// ---------- public lists ----------

/// A category as citizens see it, named in the request's language.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryBody {
    pub id: Uuid,
    #[schema(example = "STREET_LIGHT")]
    pub code: String,
    #[schema(example = "Điện chiếu sáng")]
    pub name: String,
    pub description: Option<String>,
    pub group: Option<String>,
    /// Working hours to accept or route a new report.
    pub ack_hours: i32,
    /// Working hours to handle it once assigned.
    pub sla_hours: i32,
    /// Exact locations of this category are hidden from the public.
    pub sensitive: bool,
}

/// Active categories, to file a report under.
#[utoipa::path(get, path = "/categories", tag = "reference",
    responses((status = 200, body = Vec<CategoryBody>)))]
async fn list_categories(State(state): State<AppState>) -> AppResult<Json<Vec<CategoryBody>>> {
    let locale = i18n::current();
    let all = categories::Entity::find()
        .filter(categories::Column::Active.eq(true))
        .order_by_asc(categories::Column::Code)
        .all(&state.db)
        .await?;
    Ok(Json(
        all.into_iter()
            .map(|c| CategoryBody {
                id: c.id,
                name: category_name(&c, locale),
                code: c.code,
                description: c.description,
                group: c.group,
                ack_hours: c.ack_hours,
                sla_hours: c.sla_hours,
                sensitive: c.sensitive,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitNode {
    pub id: Uuid,
    #[schema(example = "HN-HOANKIEM")]
    pub code: String,
    #[schema(example = "Phường Hoàn Kiếm")]
    pub name: String,
    #[schema(example = "ward")]
    pub kind: String,
    pub parent_id: Option<Uuid>,
    pub area_code: Option<String>,
    #[schema(no_recursion)]
    pub children: Vec<UnitNode>,
}

/// The unit tree, roots first, children sorted by code.
#[utoipa::path(get, path = "/units", tag = "reference",
    responses((status = 200, body = Vec<UnitNode>)))]
async fn list_units(State(state): State<AppState>) -> AppResult<Json<Vec<UnitNode>>> {
    let all = units::Entity::find().all(&state.db).await?;
    Ok(Json(build_tree(all, |u, children| UnitNode {
        id: u.id,
        code: u.code,
        name: u.name,
        kind: u.kind.as_str().to_owned(),
        parent_id: u.parent_id,
        area_code: u.area_code,
        children,
    })))
}

// ---------- units ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitBody {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<Uuid>,
    pub area_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<units::Model> for UnitBody {
    fn from(u: units::Model) -> Self {
        UnitBody {
            id: u.id,
            code: u.code,
            name: u.name,
            kind: u.kind.as_str().to_owned(),
            parent_id: u.parent_id,
            area_code: u.area_code,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"code": "HN-HOANKIEM", "name": "Phường Hoàn Kiếm", "kind": "ward", "parent_id": "0199a1b2-0000-7000-8000-000000000001", "area_code": "00070"}))]
pub struct CreateUnit {
    #[schema(required = true)]
    pub code: Option<String>,
    #[schema(required = true)]
    pub name: Option<String>,
    /// `city` | `department` | `district` | `ward` | `commune` | `other`
    #[schema(required = true)]
    pub kind: Option<String>,
    pub parent_id: Option<Uuid>,
    pub area_code: Option<String>,
}

fn check_kind(c: &mut Check, kind: &str) {
    if UnitKind::parse(kind).is_none() {
        c.add("kind", Msg::InvalidKind);
    }
}

fn check_code(c: &mut Check, field: &str, code: &str) {
    if !valid_code(code) {
        c.add(field, Msg::InvalidCode);
    }
}

impl Validate for CreateUnit {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        if let Some(code) = c.text("code", &self.code, 64) {
            check_code(&mut c, "code", code);
        }
        c.text("name", &self.name, 255);
        if let Some(kind) = c.text("kind", &self.kind, 16) {
            check_kind(&mut c, kind);
        }
        if let Some(a) = &self.area_code {
            c.max_len("area_code", a, 32);
        }
        c.finish()
    }
}

/// Called after validation: the required fields are there.
impl From<CreateUnit> for NewUnit {
    fn from(req: CreateUnit) -> Self {
        NewUnit {
            code: nonblank(&req.code).unwrap_or_default(),
            name: nonblank(&req.name).unwrap_or_default(),
            kind: parse_kind(&req.kind).unwrap_or(UnitKind::Other),
            parent_id: req.parent_id,
            area_code: nonblank(&req.area_code),
        }
    }
}

fn parse_kind(kind: &Option<String>) -> Option<UnitKind> {
    nonblank(kind).as_deref().and_then(UnitKind::parse)
}

/// Add a unit to the tree.
#[utoipa::path(post, path = "/admin/units", tag = "admin", security(("bearer" = [])),
    request_body = CreateUnit,
    responses(
        (status = 201, body = UnitBody),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Code in use", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn create_unit(
    State(state): State<AppState>,
    _admin: Admin,
    ValidatedJson(req): ValidatedJson<CreateUnit>,
) -> AppResult<(StatusCode, Json<UnitBody>)> {
    let unit = service::create_unit(state.ctx(), req.into()).await?;
    Ok((StatusCode::CREATED, Json(unit.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUnit {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    /// `null` makes it a root; absent leaves it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<String>)]
    pub area_code: Option<Option<String>>,
}

impl Validate for UpdateUnit {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        if self.code.is_some()
            && let Some(code) = c.text("code", &self.code, 64)
        {
            check_code(&mut c, "code", code);
        }
        if self.name.is_some() {
            c.text("name", &self.name, 255);
        }
        if self.kind.is_some()
            && let Some(kind) = c.text("kind", &self.kind, 16)
        {
            check_kind(&mut c, kind);
        }
        if let Some(Some(a)) = &self.area_code {
            c.max_len("area_code", a, 32);
        }
        c.finish()
    }
}

impl From<UpdateUnit> for UnitChanges {
    fn from(req: UpdateUnit) -> Self {
        UnitChanges {
            code: nonblank(&req.code),
            name: nonblank(&req.name),
            kind: parse_kind(&req.kind),
            parent_id: req.parent_id,
            area_code: req.area_code.map(|a| nonblank(&a)),
        }
    }
}

/// Change a unit; absent fields stay.
#[utoipa::path(patch, path = "/admin/units/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = UpdateUnit,
    responses(
        (status = 200, body = UnitBody),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or a parent that would make a loop", body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn update_unit(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<Uuid>,
    ValidatedJson(req): ValidatedJson<UpdateUnit>,
) -> AppResult<Json<UnitBody>> {
    let unit = service::update_unit(state.ctx(), id, req.into()).await?;
    Ok(Json(unit.into()))
}

// ---------- categories ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminCategoryBody {
    pub id: Uuid,
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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<categories::Model> for AdminCategoryBody {
    fn from(c: categories::Model) -> Self {
        AdminCategoryBody {
            id: c.id,
            code: c.code,
            name_vi: c.name_vi,
            name_en: c.name_en,
            description: c.description,
            group: c.group,
            ack_hours: c.ack_hours,
            sla_hours: c.sla_hours,
            default_unit_id: c.default_unit_id,
            sensitive: c.sensitive,
            active: c.active,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"code": "STREET_LIGHT", "name_vi": "Điện chiếu sáng", "name_en": "Street lights", "group": "Hạ tầng", "ack_hours": 8, "sla_hours": 40}))]
pub struct CreateCategory {
    #[schema(required = true)]
    pub code: Option<String>,
    #[schema(required = true)]
    pub name_vi: Option<String>,
    #[schema(required = true)]
    pub name_en: Option<String>,
    pub description: Option<String>,
    pub group: Option<String>,
    #[schema(required = true)]
    pub ack_hours: Option<i32>,
    #[schema(required = true)]
    pub sla_hours: Option<i32>,
    pub default_unit_id: Option<Uuid>,
    pub sensitive: Option<bool>,
    pub active: Option<bool>,
}

fn check_hours(c: &mut Check, field: &str, v: Option<i32>) {
    if let Some(h) = v
        && !(1..=8760).contains(&h)
    {
        c.add(field, Msg::HoursOutOfRange);
    }
}

impl Validate for CreateCategory {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        if let Some(code) = c.text("code", &self.code, 64) {
            check_code(&mut c, "code", code);
        }
        c.text("name_vi", &self.name_vi, 255);
        c.text("name_en", &self.name_en, 255);
        if let Some(d) = &self.description {
            c.max_len("description", d, 4000);
        }
        if let Some(g) = &self.group {
            c.max_len("group", g, 128);
        }
        c.required("ack_hours", &self.ack_hours);
        c.required("sla_hours", &self.sla_hours);
        check_hours(&mut c, "ack_hours", self.ack_hours);
        check_hours(&mut c, "sla_hours", self.sla_hours);
        c.finish()
    }
}

/// Called after validation: the required fields are there.
impl From<CreateCategory> for NewCategory {
    fn from(req: CreateCategory) -> Self {
        NewCategory {
            code: nonblank(&req.code).unwrap_or_default(),
            name_vi: nonblank(&req.name_vi).unwrap_or_default(),
            name_en: nonblank(&req.name_en).unwrap_or_default(),
            description: nonblank(&req.description),
            group: nonblank(&req.group),
            ack_hours: req.ack_hours.unwrap_or(8),
            sla_hours: req.sla_hours.unwrap_or(40),
            default_unit_id: req.default_unit_id,
            sensitive: req.sensitive.unwrap_or(false),
            active: req.active.unwrap_or(true),
        }
    }
}

/// Every category, active or not, with both names.
#[utoipa::path(get, path = "/admin/categories", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<AdminCategoryBody>)))]
async fn admin_list_categories(
    State(state): State<AppState>,
    _admin: Admin,
) -> AppResult<Json<Vec<AdminCategoryBody>>> {
    let all = categories::Entity::find()
        .order_by_asc(categories::Column::Code)
        .all(&state.db)
        .await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Add a category.
#[utoipa::path(post, path = "/admin/categories", tag = "admin", security(("bearer" = [])),
    request_body = CreateCategory,
    responses(
        (status = 201, body = AdminCategoryBody),
        (status = 409, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn create_category(
    State(state): State<AppState>,
    _admin: Admin,
    ValidatedJson(req): ValidatedJson<CreateCategory>,
) -> AppResult<(StatusCode, Json<AdminCategoryBody>)> {
    let cat = service::create_category(state.ctx(), req.into()).await?;
    Ok((StatusCode::CREATED, Json(cat.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCategory {
    pub code: Option<String>,
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<String>)]
    pub group: Option<Option<String>>,
    pub ack_hours: Option<i32>,
    pub sla_hours: Option<i32>,
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub default_unit_id: Option<Option<Uuid>>,
    pub sensitive: Option<bool>,
    pub active: Option<bool>,
}

impl Validate for UpdateCategory {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        if self.code.is_some()
            && let Some(code) = c.text("code", &self.code, 64)
        {
            check_code(&mut c, "code", code);
        }
        if self.name_vi.is_some() {
            c.text("name_vi", &self.name_vi, 255);
        }
        if self.name_en.is_some() {
            c.text("name_en", &self.name_en, 255);
        }
        if let Some(Some(d)) = &self.description {
            c.max_len("description", d, 4000);
        }
        if let Some(Some(g)) = &self.group {
            c.max_len("group", g, 128);
        }
        check_hours(&mut c, "ack_hours", self.ack_hours);
        check_hours(&mut c, "sla_hours", self.sla_hours);
        c.finish()
    }
}

impl From<UpdateCategory> for CategoryChanges {
    fn from(req: UpdateCategory) -> Self {
        CategoryChanges {
            code: nonblank(&req.code),
            name_vi: nonblank(&req.name_vi),
            name_en: nonblank(&req.name_en),
            description: req.description.map(|d| nonblank(&d)),
            group: req.group.map(|g| nonblank(&g)),
            ack_hours: req.ack_hours,
            sla_hours: req.sla_hours,
            default_unit_id: req.default_unit_id,
            sensitive: req.sensitive,
            active: req.active,
        }
    }
}

/// Change a category; absent fields stay. Deactivating hides it from filing.
#[utoipa::path(patch, path = "/admin/categories/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = UpdateCategory,
    responses(
        (status = 200, body = AdminCategoryBody),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The code is taken", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn update_category(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<Uuid>,
    ValidatedJson(req): ValidatedJson<UpdateCategory>,
) -> AppResult<Json<AdminCategoryBody>> {
    let cat = service::update_category(state.ctx(), id, req.into()).await?;
    Ok(Json(cat.into()))
}

// ---------- routing rules ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleBody {
    pub id: Uuid,
    pub category_id: Uuid,
    pub area_code: String,
    pub unit_id: Uuid,
    pub created_at: DateTime<Utc>,
}

impl From<routing_rules::Model> for RuleBody {
    fn from(r: routing_rules::Model) -> Self {
        RuleBody {
            id: r.id,
            category_id: r.category_id,
            area_code: r.area_code,
            unit_id: r.unit_id,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateRule {
    #[schema(required = true)]
    pub category_id: Option<Uuid>,
    /// Matches reports whose `area_code` starts with it; the longest wins.
    #[schema(required = true)]
    pub area_code: Option<String>,
    #[schema(required = true)]
    pub unit_id: Option<Uuid>,
}

impl Validate for CreateRule {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        c.required("category_id", &self.category_id);
        c.text("area_code", &self.area_code, 32);
        c.required("unit_id", &self.unit_id);
        c.finish()
    }
}

/// Called after validation: the required fields are there (a missing id
/// would be the nil id, which names no category or unit).
impl From<CreateRule> for NewRule {
    fn from(req: CreateRule) -> Self {
        NewRule {
            category_id: req.category_id.unwrap_or_default(),
            area_code: nonblank(&req.area_code).unwrap_or_default(),
            unit_id: req.unit_id.unwrap_or_default(),
        }
    }
}

/// Every routing rule.
#[utoipa::path(get, path = "/admin/routing-rules", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<RuleBody>)))]
async fn list_rules(
    State(state): State<AppState>,
    _admin: Admin,
) -> AppResult<Json<Vec<RuleBody>>> {
    let all = routing_rules::Entity::find()
        .order_by_asc(routing_rules::Column::CategoryId)
        .order_by_asc(routing_rules::Column::AreaCode)
        .all(&state.db)
        .await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Route a category in an area to a unit.
#[utoipa::path(post, path = "/admin/routing-rules", tag = "admin", security(("bearer" = [])),
    request_body = CreateRule,
    responses(
        (status = 201, body = RuleBody),
        (status = 409, description = "A rule for this category and area exists", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn create_rule(
    State(state): State<AppState>,
    _admin: Admin,
    ValidatedJson(req): ValidatedJson<CreateRule>,
) -> AppResult<(StatusCode, Json<RuleBody>)> {
    let rule = service::create_rule(state.ctx(), req.into()).await?;
    Ok((StatusCode::CREATED, Json(rule.into())))
}

/// Remove a routing rule.
#[utoipa::path(delete, path = "/admin/routing-rules/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
async fn delete_rule(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<Uuid>,
) -> AppResult<StatusCode> {
    service::delete_rule(state.ctx(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
