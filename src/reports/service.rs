//! Report transactions on the citizen side: filing, comments, follows,
//! rating, reopening. Each is one transaction that checks the current state,
//! changes the report and appends its event (through [`super::store`]).
//! Callable from handlers, jobs, the CLI and tests: they take a [`Ctx`] and
//! typed inputs, never a request.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::code::new_code;
use super::deadlines::ack_deadline;
use super::effects;
use super::lifecycle::Status;
use super::store::{NewEvent, append_event, reread, write_change};
use super::text::search_text;
use crate::auth::rate_limit::Limiter;
use crate::context::Ctx;
use crate::db::begin_write;
use crate::domain::geo::{BBox, public_point, valid_point};
use crate::domain::{EventKind, Month, Priority};
use crate::entities::{categories, media, report_events, report_followers, report_media, reports};
use crate::error::{AppError, AppResult, FieldError};
use crate::messages::Msg;
use crate::org::routing::route;
use crate::validate::Check;

/// At most this many photos or videos per report.
pub const MAX_MEDIA: usize = 10;

/// A report as the citizen files it, its text already trimmed.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub category_id: Uuid,
    pub title: String,
    pub description: String,
    pub lat: f64,
    pub lng: f64,
    pub address: Option<String>,
    pub area_code: Option<String>,
    pub media_ids: Vec<Uuid>,
    pub is_anonymous: bool,
    pub is_public: bool,
}

/// An `Idempotency-Key` and the hash of the body it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub body_hash: String,
}

/// What filing checks besides the report itself.
pub struct FilingRules<'a> {
    /// Filing speed per citizen.
    pub limit: &'a Limiter<Uuid>,
    /// Reports must lie inside it, when set.
    pub service_area: Option<BBox>,
}

/// An existing report filed with this key, or 422 if the key was used for
/// another body.
async fn replay<C: ConnectionTrait>(
    db: &C,
    reporter: Uuid,
    idem: &Idempotency,
) -> AppResult<Option<reports::Model>> {
    let existing = reports::Entity::find()
        .filter(reports::Column::ReporterId.eq(reporter))
        .filter(reports::Column::ClientRequestId.eq(idem.key.as_str()))
        .one(db)
        .await?;
    match existing {
        Some(r) if r.client_request_hash.as_deref() == Some(idem.body_hash.as_str()) => Ok(Some(r)),
        Some(_) => Err(AppError::Validation(vec![FieldError::new(
            "Idempotency-Key",
            Msg::IdempotencyKeyReused,
        )])),
        None => Ok(None),
    }
}

/// Files a report: code, month, acknowledgement deadline, routing and the
/// `created` event in one transaction. With an idempotency key, a retry of the
/// same request returns the first report (`created = false`), and does not
/// count against the filing limit.
pub async fn create(
    ctx: Ctx<'_>,
    rules: &FilingRules<'_>,
    reporter: Uuid,
    req: NewReport,
    idem: Option<Idempotency>,
) -> AppResult<(reports::Model, bool)> {
    if let Some(idem) = &idem
        && let Some(r) = replay(ctx.db, reporter, idem).await?
    {
        return Ok((r, false));
    }
    rules.limit.check(&reporter)?;

    let mut check = Check::new();
    let category = active_category(ctx.db, req.category_id).await?;
    if category.is_none() {
        check.add("category_id", Msg::UnknownCategory);
    }
    check_place(rules, req.lat, req.lng, "lat", &mut check);
    if !req.media_ids.is_empty() {
        let owned = media::Entity::find()
            .filter(media::Column::Id.is_in(req.media_ids.clone()))
            .filter(media::Column::OwnerId.eq(reporter))
            .all(ctx.db)
            .await?;
        let attached = report_media::Entity::find()
            .filter(report_media::Column::MediaId.is_in(req.media_ids.clone()))
            .all(ctx.db)
            .await?;
        for (i, id) in req.media_ids.iter().enumerate() {
            if !owned.iter().any(|m| m.id == *id) || attached.iter().any(|a| a.media_id == *id) {
                check.add(&format!("media_ids[{i}]"), Msg::UnknownMedia);
            }
        }
    }
    check.finish()?;
    let Some(category) = category else {
        return Err(AppError::Validation(vec![]));
    };

    let insert = || async {
        let txn = begin_write(ctx.db).await?;
        let report = insert_filed(
            &txn,
            ctx,
            category.id,
            Some(reporter),
            req.clone(),
            idem.as_ref(),
        )
        .await?;
        txn.commit().await?;
        Ok(report)
    };
    match crate::db::retry_contention(insert).await {
        Ok(report) => Ok((report, true)),
        Err(err) => {
            // A concurrent request with the same key won the race.
            if let (AppError::Conflict(_), Some(idem)) = (&err, &idem)
                && let Some(r) = replay(ctx.db, reporter, idem).await?
            {
                return Ok((r, false));
            }
            Err(err)
        }
    }
}

/// The category a report may be filed in: existing and active.
pub async fn active_category<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> AppResult<Option<categories::Model>> {
    Ok(categories::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|c| c.active))
}

/// Refuses a point outside the service area, when one is set.
pub fn check_place(rules: &FilingRules<'_>, lat: f64, lng: f64, field: &str, check: &mut Check) {
    if let Some(area) = rules.service_area
        && valid_point(lat, lng)
        && !area.contains(lat, lng)
    {
        check.add(field, Msg::OutsideServiceArea);
    }
}

/// Writes a validated report inside `txn`: code, month, acknowledgement
/// deadline, routing, its media, the `created` event, notifications and the
/// rollup. Every way of filing (the mobile API, Open311) ends here; the
/// caller commits. `reporter` is `None` when nobody with an account filed.
pub async fn insert_filed(
    txn: &DatabaseTransaction,
    ctx: Ctx<'_>,
    category_id: Uuid,
    reporter: Option<Uuid>,
    req: NewReport,
    idem: Option<&Idempotency>,
) -> AppResult<reports::Model> {
    let now = ctx.now;
    // The category as it is now, read inside the write transaction and held
    // (FOR SHARE on PostgreSQL; SQLite's writers are serial): an admin
    // marking it sensitive either sees this report in its recompute of public
    // points or is seen here, never neither.
    let category = &categories::Entity::find_by_id(category_id)
        .lock_shared()
        .one(txn)
        .await?
        .filter(|c| c.active)
        .ok_or_else(|| AppError::field("category_id", Msg::UnknownCategory))?;
    let (public_lat, public_lng) = public_point(req.lat, req.lng, category.sensitive);
    let calendar = crate::calendar::store::load(txn, ctx.tz).await?;
    let ack_due_at = ack_deadline(&calendar, now, category.ack_hours);
    let unit_id = route(txn, category, req.area_code.as_deref()).await?;
    let code = unique_code(txn).await?;
    let report = reports::ActiveModel {
        id: Set(Uuid::now_v7()),
        search_text: Set(search_text(
            &code,
            &req.title,
            &req.description,
            req.address.as_deref(),
        )),
        code: Set(code),
        reporter_id: Set(reporter),
        category_id: Set(category.id),
        priority: Set(Priority::Normal),
        title: Set(req.title),
        description: Set(req.description),
        lat: Set(req.lat),
        lng: Set(req.lng),
        public_lat: Set(public_lat),
        public_lng: Set(public_lng),
        address: Set(req.address),
        area_code: Set(req.area_code),
        is_anonymous: Set(req.is_anonymous),
        is_public: Set(req.is_public),
        status: Set(Status::Submitted),
        unit_id: Set(unit_id),
        assignee_id: Set(None),
        ack_due_at: Set(ack_due_at),
        due_at: Set(None),
        received_month: Set(Month::of(now, ctx.tz).yyyymm()),
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
        client_request_id: Set(idem.map(|i| i.key.clone())),
        client_request_hash: Set(idem.map(|i| i.body_hash.clone())),
    }
    .insert(txn)
    .await?;
    for (i, id) in req.media_ids.iter().enumerate() {
        report_media::ActiveModel {
            report_id: Set(report.id),
            media_id: Set(*id),
            position: Set(i as i32),
        }
        .insert(txn)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict(_) => AppError::field(format!("media_ids[{i}]"), Msg::UnknownMedia),
            other => other,
        })?;
    }
    let created = append_event(
        txn,
        report.id,
        NewEvent {
            to: Some(Status::Submitted),
            ..NewEvent::new(EventKind::Created, reporter)
        },
        now,
    )
    .await?;
    crate::notifications::fan_out(txn, &report, &created, now).await?;
    crate::stats::rollup::apply_change(txn, None, Some(&report), ctx.tz).await?;
    Ok(report)
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
    Err(AppError::internal("no free tracking code after 10 tries"))
}

/// A comment on a report, by its reporter or by staff.
pub async fn comment(
    ctx: Ctx<'_>,
    report: &reports::Model,
    actor: Uuid,
    message: String,
) -> AppResult<report_events::Model> {
    let txn = begin_write(ctx.db).await?;
    let event = append_event(
        &txn,
        report.id,
        NewEvent::new(EventKind::Comment, Some(actor)).public_message(Some(message)),
        ctx.now,
    )
    .await?;
    // Shown as activity (`updated_at`), but not a new version: the report's
    // state did not change, so a staff action read before it stays valid.
    reports::Entity::update_many()
        .col_expr(reports::Column::UpdatedAt, Expr::value(ctx.now))
        .filter(reports::Column::Id.eq(report.id))
        .exec(&txn)
        .await?;
    crate::notifications::fan_out(&txn, report, &event, ctx.now).await?;
    txn.commit().await?;
    Ok(event)
}

/// Follows (or stops following) a public report; the count moves only when
/// the follow actually changes. Returns the new count. The follower count is
/// not the report's state, so it moves without a new version.
pub async fn set_follow(
    ctx: Ctx<'_>,
    report: &reports::Model,
    user: Uuid,
    follow: bool,
) -> AppResult<i32> {
    if report.reporter_id == Some(user) {
        return Err(AppError::Conflict(Msg::CannotFollowOwn));
    }
    let txn = begin_write(ctx.db).await?;
    let existing = report_followers::Entity::find_by_id((report.id, user))
        .one(&txn)
        .await?;
    let delta = match (follow, existing.is_some()) {
        (true, false) => {
            // A concurrent "me too" of the same person counts once.
            let inserted = report_followers::Entity::insert(report_followers::ActiveModel {
                report_id: Set(report.id),
                user_id: Set(user),
                created_at: Set(ctx.now),
            })
            .on_conflict(
                OnConflict::columns([
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
        move_follower_count(&txn, report.id, delta).await?;
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
    ctx: Ctx<'_>,
    report: &reports::Model,
    user: Uuid,
    score: i16,
    comment: Option<String>,
) -> AppResult<reports::Model> {
    crate::db::retry_contention(|| rate_once(ctx, report, user, score, comment.clone())).await
}

async fn rate_once(
    ctx: Ctx<'_>,
    report: &reports::Model,
    user: Uuid,
    score: i16,
    comment: Option<String>,
) -> AppResult<reports::Model> {
    let now = ctx.now;
    let txn = begin_write(ctx.db).await?;
    let r = reread(&txn, report.id, report.status).await?;
    let mut after = r.clone();
    let next = effects::rate(&mut after, score, comment.clone(), now)
        .map_err(|_| AppError::Conflict(Msg::NotRatable))?;
    let m = effects::as_update(&r, &after);
    let mut events = vec![
        NewEvent::new(EventKind::Rated, Some(user))
            .public_message(comment)
            .data(serde_json::Map::from_iter([(
                "score".to_owned(),
                serde_json::Value::from(score),
            )])),
    ];
    if let Some(to) = next {
        events.push(NewEvent::transition(
            EventKind::Closed,
            Some(user),
            r.status,
            to,
        ));
    }
    let (updated, events) = write_change(&txn, ctx.tz, &r, m, events, now).await?;
    for e in &events {
        crate::notifications::fan_out(&txn, &updated, e, now).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// The reporter reopens a poorly rated report within 7 days of resolution.
pub async fn reopen_by_citizen(
    ctx: Ctx<'_>,
    report: &reports::Model,
    user: Uuid,
    reason: Option<String>,
) -> AppResult<reports::Model> {
    crate::db::retry_contention(|| reopen_once(ctx, report, user, reason.clone())).await
}

async fn reopen_once(
    ctx: Ctx<'_>,
    report: &reports::Model,
    user: Uuid,
    reason: Option<String>,
) -> AppResult<reports::Model> {
    let now = ctx.now;
    let calendar = crate::calendar::store::load(ctx.db, ctx.tz).await?;
    let txn = begin_write(ctx.db).await?;
    let r = reread(&txn, report.id, report.status).await?;
    let sla_hours = super::staff::sla_hours(&txn, r.category_id).await?;
    let mut after = r.clone();
    effects::citizen_reopen(&mut after, &calendar, now, sla_hours)
        .map_err(|_| AppError::Conflict(Msg::NotReopenable))?;
    let m = effects::as_update(&r, &after);
    let event = NewEvent::transition(
        EventKind::Reopened,
        Some(user),
        r.status,
        Status::InProgress,
    )
    .public_message(reason);
    let (updated, events) = write_change(&txn, ctx.tz, &r, m, vec![event], now).await?;
    for e in &events {
        crate::notifications::fan_out(&txn, &updated, e, now).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// `delta` more (or fewer) followers. Not the report's state: no new version.
async fn move_follower_count<C: ConnectionTrait>(
    db: &C,
    report: Uuid,
    delta: i32,
) -> AppResult<()> {
    reports::Entity::update_many()
        .col_expr(
            reports::Column::FollowerCount,
            Expr::col(reports::Column::FollowerCount).add(delta),
        )
        .filter(reports::Column::Id.eq(report))
        .exec(db)
        .await?;
    Ok(())
}

/// What a deleted account leaves on reports (inside the deletion's
/// transaction): its own reports stay, anonymized, so the statistics do not
/// move; its follows go, and the reports it followed count one fewer.
pub async fn forget_person<C: ConnectionTrait>(db: &C, user: Uuid) -> AppResult<()> {
    reports::Entity::update_many()
        .col_expr(reports::Column::IsAnonymous, Expr::value(true))
        .filter(reports::Column::ReporterId.eq(user))
        .exec(db)
        .await?;
    let follows = report_followers::Entity::find()
        .filter(report_followers::Column::UserId.eq(user))
        .all(db)
        .await?;
    for f in &follows {
        move_follower_count(db, f.report_id, -1).await?;
    }
    report_followers::Entity::delete_many()
        .filter(report_followers::Column::UserId.eq(user))
        .exec(db)
        .await?;
    Ok(())
}
