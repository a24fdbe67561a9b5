//! Report transactions on the citizen side: filing, comments, follows,
//! rating, reopening. Each is one transaction that checks the current state,
//! changes the report and appends its event.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::code::new_code;
use super::deadlines::ack_deadline;
use super::lifecycle::{Status, after_rating, citizen_may_reopen};
use super::text::search_text;
use crate::auth::extract::CurrentUser;
use crate::db::begin_write;
use crate::domain::Month;
use crate::domain::geo::{BBox, public_point, valid_point};
use crate::domain::{EventKind, Priority};
use crate::entities::{categories, media, report_events, report_followers, report_media, reports};
use crate::error::{AppError, AppResult, FieldError};
use crate::messages::Msg;
use crate::org::routing::route;
use crate::state::AppState;
use crate::validate::{Check, Validate};

pub const MAX_MEDIA: usize = 10;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "category_id": "0199a1b2-0000-7000-8000-000000000010",
    "title": "Đèn đường không sáng",
    "description": "Cột đèn trước số 12 Đinh Tiên Hoàng không sáng ba tối nay.",
    "lat": 21.028511, "lng": 105.854167,
    "address": "12 Đinh Tiên Hoàng, Hoàn Kiếm", "area_code": "00070",
    "media_ids": ["0199a1b2-0000-7000-8000-000000000003"],
    "is_anonymous": false, "is_public": true
}))]
pub struct CreateReport {
    #[schema(required = true)]
    pub category_id: Option<Uuid>,
    /// Up to 200 characters.
    #[schema(required = true)]
    pub title: Option<String>,
    /// Up to 5000 characters.
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(required = true, minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    #[schema(required = true, minimum = -180, maximum = 180)]
    pub lng: Option<f64>,
    pub address: Option<String>,
    /// Official code of the administrative area (used for routing).
    pub area_code: Option<String>,
    /// Files uploaded with `POST /media`, in display order (at most 10).
    pub media_ids: Option<Vec<Uuid>>,
    /// Hide the reporter from the public (staff still see who filed it).
    pub is_anonymous: Option<bool>,
    /// Show on the public map (default true).
    pub is_public: Option<bool>,
}

impl Validate for CreateReport {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        c.required("category_id", &self.category_id);
        c.text("title", &self.title, 200);
        c.text("description", &self.description, 5000);
        match c.required("lat", &self.lat) {
            Some(lat) if !(lat.is_finite() && (-90.0..=90.0).contains(lat)) => {
                c.add("lat", Msg::LatOutOfRange)
            }
            _ => {}
        }
        match c.required("lng", &self.lng) {
            Some(lng) if !(lng.is_finite() && (-180.0..=180.0).contains(lng)) => {
                c.add("lng", Msg::LngOutOfRange)
            }
            _ => {}
        }
        if let Some(a) = &self.address {
            c.max_len("address", a, 500);
        }
        if let Some(a) = self
            .area_code
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            && !valid_area_code(a)
        {
            c.add("area_code", Msg::InvalidAreaCode);
        }
        if let Some(ids) = &self.media_ids {
            if ids.len() > MAX_MEDIA {
                c.add("media_ids", Msg::TooManyMedia);
            }
            let mut seen = std::collections::HashSet::new();
            if !ids.iter().all(|id| seen.insert(*id)) {
                c.add("media_ids", Msg::DuplicateMedia);
            }
        }
        c.finish()
    }
}

/// Official area codes are digits; letters, '.' and '-' are allowed for
/// local schemes. Nothing that a spreadsheet would read as a formula.
pub fn valid_area_code(a: &str) -> bool {
    !a.is_empty()
        && a.len() <= 32
        && a.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
}

fn body_hash(req: &CreateReport) -> String {
    hex::encode(Sha256::digest(serde_json::to_vec(req).unwrap_or_default()))
}

fn nonblank(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// An existing report filed with this key, or 422 if the key was used for
/// another body.
async fn replay<C: ConnectionTrait>(
    db: &C,
    reporter: Uuid,
    key: &str,
    hash: &str,
) -> AppResult<Option<reports::Model>> {
    let existing = reports::Entity::find()
        .filter(reports::Column::ReporterId.eq(reporter))
        .filter(reports::Column::ClientRequestId.eq(key))
        .one(db)
        .await?;
    match existing {
        Some(r) if r.client_request_hash.as_deref() == Some(hash) => Ok(Some(r)),
        Some(_) => Err(AppError::Validation(vec![FieldError::new(
            "Idempotency-Key",
            Msg::IdempotencyKeyReused,
        )])),
        None => Ok(None),
    }
}

/// Files a report: code, month, acknowledgement deadline, routing and the
/// `created` event in one transaction. With an idempotency key, a retry of the
/// same request returns the first report (`created = false`).
pub async fn create(
    state: &AppState,
    user: &CurrentUser,
    req: CreateReport,
    idempotency_key: Option<String>,
) -> AppResult<(reports::Model, bool)> {
    let hash = body_hash(&req);
    if let Some(key) = &idempotency_key
        && let Some(r) = replay(&state.db, user.id, key, &hash).await?
    {
        return Ok((r, false));
    }
    state.filing_limit.check(&user.id)?;

    let (Some(category_id), Some(lat), Some(lng)) = (req.category_id, req.lat, req.lng) else {
        return Err(AppError::Validation(vec![]));
    };
    let mut check = Check::new();
    let category = categories::Entity::find_by_id(category_id)
        .one(&state.db)
        .await?
        .filter(|c| c.active);
    if category.is_none() {
        check.add("category_id", Msg::UnknownCategory);
    }
    if let [min_lng, min_lat, max_lng, max_lat] = state.config.reports.service_area[..] {
        let area = BBox {
            min_lng,
            min_lat,
            max_lng,
            max_lat,
        };
        if valid_point(lat, lng) && !area.contains(lat, lng) {
            check.add("lat", Msg::OutsideServiceArea);
        }
    }
    let media_ids = req.media_ids.clone().unwrap_or_default();
    if !media_ids.is_empty() {
        let owned = media::Entity::find()
            .filter(media::Column::Id.is_in(media_ids.clone()))
            .filter(media::Column::OwnerId.eq(user.id))
            .all(&state.db)
            .await?;
        let attached = report_media::Entity::find()
            .filter(report_media::Column::MediaId.is_in(media_ids.clone()))
            .all(&state.db)
            .await?;
        for (i, id) in media_ids.iter().enumerate() {
            if !owned.iter().any(|m| m.id == *id) || attached.iter().any(|a| a.media_id == *id) {
                check.add(&format!("media_ids[{i}]"), Msg::UnknownMedia);
            }
        }
    }
    check.finish()?;
    let Some(category) = category else {
        return Err(AppError::Validation(vec![]));
    };

    let now = state.clock.now();
    let tz = state.config.city_tz;
    let title = nonblank(&req.title).unwrap_or_default();
    let description = nonblank(&req.description).unwrap_or_default();
    let address = nonblank(&req.address);
    let area_code = nonblank(&req.area_code);
    let (public_lat, public_lng) = public_point(lat, lng, category.sensitive);
    let calendar = crate::calendar::store::load(&state.db, tz).await?;
    let ack_due_at = ack_deadline(&calendar, now, category.ack_hours);

    let txn = begin_write(&state.db).await?;
    let unit_id = route(&txn, &category, area_code.as_deref()).await?;
    let code = unique_code(&txn).await?;
    let report = reports::ActiveModel {
        id: Set(Uuid::now_v7()),
        search_text: Set(search_text(&code, &title, &description, address.as_deref())),
        code: Set(code),
        reporter_id: Set(Some(user.id)),
        category_id: Set(category.id),
        priority: Set(Priority::Normal),
        title: Set(title),
        description: Set(description),
        lat: Set(lat),
        lng: Set(lng),
        public_lat: Set(public_lat),
        public_lng: Set(public_lng),
        address: Set(address),
        area_code: Set(area_code),
        is_anonymous: Set(req.is_anonymous.unwrap_or(false)),
        is_public: Set(req.is_public.unwrap_or(true)),
        status: Set(Status::Submitted),
        unit_id: Set(unit_id),
        assignee_id: Set(None),
        ack_due_at: Set(ack_due_at),
        due_at: Set(None),
        received_month: Set(Month::of(now, tz).yyyymm()),
        handled_at: Set(None),
        handled_month: Set(None),
        resolved_at: Set(None),
        closed_at: Set(None),
        rating: Set(None),
        rating_comment: Set(None),
        rated_at: Set(None),
        duplicate_of: Set(None),
        follower_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(0),
        client_request_id: Set(idempotency_key.clone()),
        client_request_hash: Set(idempotency_key.as_ref().map(|_| hash.clone())),
    };
    let report = match report.insert(&txn).await {
        Ok(r) => r,
        Err(e) => {
            let err = AppError::from(e);
            txn.rollback().await?;
            // A concurrent request with the same key won the race.
            if let (AppError::Conflict(_), Some(key)) = (&err, &idempotency_key)
                && let Some(r) = replay(&state.db, user.id, key, &hash).await?
            {
                return Ok((r, false));
            }
            return Err(err);
        }
    };
    for (i, id) in media_ids.iter().enumerate() {
        report_media::ActiveModel {
            report_id: Set(report.id),
            media_id: Set(*id),
            position: Set(i as i32),
        }
        .insert(&txn)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict(_) => AppError::field(format!("media_ids[{i}]"), Msg::UnknownMedia),
            other => other,
        })?;
    }
    append_event(
        &txn,
        &report,
        Some(user.id),
        EventKind::Created,
        None,
        Some(Status::Submitted),
        None,
        now,
    )
    .await?;
    crate::stats::rollup::apply_change(&txn, None, Some(&report), tz).await?;
    txn.commit().await?;
    Ok((report, true))
}

async fn unique_code(txn: &DatabaseTransaction) -> AppResult<String> {
    for _ in 0..10 {
        let code = new_code();
        let taken = reports::Entity::find()
            .filter(reports::Column::Code.eq(code.as_str()))
            .one(txn)
            .await?
            .is_some();
        if !taken {
            return Ok(code);
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free tracking code after 10 tries"
    )))
}

#[allow(clippy::too_many_arguments)]
pub async fn append_event<C: ConnectionTrait>(
    db: &C,
    report: &reports::Model,
    actor: Option<Uuid>,
    kind: EventKind,
    from: Option<Status>,
    to: Option<Status>,
    public_message: Option<String>,
    at: DateTime<Utc>,
) -> AppResult<report_events::Model> {
    Ok(report_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        report_id: Set(report.id),
        actor_id: Set(actor),
        kind: Set(kind),
        from_status: Set(from),
        to_status: Set(to),
        public_message: Set(public_message),
        internal_note: Set(None),
        data: Set(None),
        created_at: Set(at),
    }
    .insert(db)
    .await?)
}

/// Re-reads the report inside the transaction and checks it did not change
/// status since the caller looked (a stale change is 409).
async fn lock_status(
    txn: &DatabaseTransaction,
    id: Uuid,
    expected: Status,
) -> AppResult<reports::Model> {
    let r = reports::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if r.status != expected {
        return Err(AppError::Conflict(Msg::Conflict));
    }
    Ok(r)
}

/// Writes `m` only if the report is still at the `version` `before` was read
/// at, and moves it to the next version; a change committed in between makes
/// this a 409, so two transactions never both apply their rollup delta from
/// the same "before". (A timestamp would not do: two changes in the same
/// microsecond share one.)
pub async fn update_if_unchanged<C: ConnectionTrait>(
    db: &C,
    before: &reports::Model,
    mut m: reports::ActiveModel,
) -> AppResult<reports::Model> {
    m.version = Set(before.version + 1);
    let res = reports::Entity::update_many()
        .set(m)
        .filter(reports::Column::Id.eq(before.id))
        .filter(reports::Column::Version.eq(before.version))
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::Conflict(Msg::Conflict));
    }
    reports::Entity::find_by_id(before.id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn comment(
    state: &AppState,
    report: &reports::Model,
    actor: Uuid,
    message: String,
) -> AppResult<report_events::Model> {
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let event = append_event(
        &txn,
        report,
        Some(actor),
        EventKind::Comment,
        None,
        None,
        Some(message),
        now,
    )
    .await?;
    // Stat-neutral: only `updated_at` changes (no rollup delta).
    reports::Entity::update_many()
        .col_expr(reports::Column::UpdatedAt, Expr::value(now))
        .filter(reports::Column::Id.eq(report.id))
        .exec(&txn)
        .await?;
    crate::notifications::fan_out(&txn, report, &event, now).await?;
    txn.commit().await?;
    Ok(event)
}

/// Follows (or stops following) a public report; the count moves only when
/// the follow actually changes. Returns the new count.
pub async fn set_follow(
    state: &AppState,
    report: &reports::Model,
    user: Uuid,
    follow: bool,
) -> AppResult<i32> {
    if report.reporter_id == Some(user) {
        return Err(AppError::Conflict(Msg::CannotFollowOwn));
    }
    let txn = begin_write(&state.db).await?;
    let existing = report_followers::Entity::find_by_id((report.id, user))
        .one(&txn)
        .await?;
    let delta = match (follow, existing.is_some()) {
        (true, false) => {
            // A concurrent "me too" of the same person counts once.
            let inserted = report_followers::Entity::insert(report_followers::ActiveModel {
                report_id: Set(report.id),
                user_id: Set(user),
                created_at: Set(state.clock.now()),
            })
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([
                    report_followers::Column::ReportId,
                    report_followers::Column::UserId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
            i32::from(inserted == 1)
        }
        (false, true) => {
            report_followers::Entity::delete_by_id((report.id, user))
                .exec(&txn)
                .await?;
            -1
        }
        _ => 0,
    };
    if delta != 0 {
        reports::Entity::update_many()
            .col_expr(
                reports::Column::FollowerCount,
                Expr::col(reports::Column::FollowerCount).add(delta),
            )
            .filter(reports::Column::Id.eq(report.id))
            .exec(&txn)
            .await?;
    }
    let count = reports::Entity::find_by_id(report.id)
        .one(&txn)
        .await?
        .map(|r| r.follower_count)
        .unwrap_or(0);
    txn.commit().await?;
    Ok(count)
}

/// The reporter rates the answer. A good rating (3–5) closes the report; a
/// poor one (1–2) leaves it resolved so the reporter may reopen it.
pub async fn rate(
    state: &AppState,
    report: &reports::Model,
    user: Uuid,
    score: i16,
    comment: Option<String>,
) -> AppResult<reports::Model> {
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let r = lock_status(&txn, report.id, report.status).await?;
    let status = r.status;
    let next = after_rating(status, r.rating.is_some(), score)
        .map_err(|_| AppError::Conflict(Msg::NotRatable))?;
    let mut m = r.clone().into_active_model();
    m.rating = Set(Some(score));
    m.rating_comment = Set(comment.clone());
    m.rated_at = Set(Some(now));
    m.updated_at = Set(now);
    if let Some(Status::Closed) = next {
        m.status = Set(Status::Closed);
        m.closed_at = Set(Some(now));
    }
    let updated = update_if_unchanged(&txn, &r, m).await?;
    report_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        report_id: Set(r.id),
        actor_id: Set(Some(user)),
        kind: Set(EventKind::Rated),
        from_status: Set(None),
        to_status: Set(None),
        public_message: Set(comment),
        internal_note: Set(None),
        data: Set(Some(serde_json::json!({ "score": score }))),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    if let Some(to) = next {
        append_event(
            &txn,
            &updated,
            Some(user),
            EventKind::Closed,
            Some(status),
            Some(to),
            None,
            now,
        )
        .await?;
    }
    crate::stats::rollup::apply_change(&txn, Some(&r), Some(&updated), state.config.city_tz)
        .await?;
    txn.commit().await?;
    Ok(updated)
}

/// The reporter reopens a poorly rated report within 7 days of resolution.
pub async fn reopen_by_citizen(
    state: &AppState,
    report: &reports::Model,
    user: Uuid,
    reason: Option<String>,
) -> AppResult<reports::Model> {
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let r = lock_status(&txn, report.id, report.status).await?;
    let status = r.status;
    if !citizen_may_reopen(status, r.rating, r.resolved_at, now) {
        return Err(AppError::Conflict(Msg::NotReopenable));
    }
    let mut m = r.clone().into_active_model();
    m.status = Set(Status::InProgress);
    // Handling starts over: the next resolution is what counts (and is rated).
    m.handled_at = Set(None);
    m.handled_month = Set(None);
    m.resolved_at = Set(None);
    m.rating = Set(None);
    m.rating_comment = Set(None);
    m.rated_at = Set(None);
    m.updated_at = Set(now);
    let updated = update_if_unchanged(&txn, &r, m).await?;
    let event = append_event(
        &txn,
        &updated,
        Some(user),
        EventKind::Reopened,
        Some(status),
        Some(Status::InProgress),
        reason,
        now,
    )
    .await?;
    crate::stats::rollup::apply_change(&txn, Some(&r), Some(&updated), state.config.city_tz)
        .await?;
    crate::notifications::fan_out(&txn, &updated, &event, now).await?;
    txn.commit().await?;
    Ok(updated)
}
