//! Filing through Open311: the same report service as the mobile API, on
//! behalf of an API client, for a citizen named by email or phone.

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::form::{Filing, RESUBMISSION_MINUTES};
use crate::context::Ctx;
use crate::db::begin_write;
use crate::domain::Role;
use crate::entities::{api_clients, categories, contacts, open311_requests, reports, users};
use crate::error::{AppError, AppResult};
use crate::messages::Msg;
use crate::reports::service::{FilingRules, NewReport, check_place, insert_filed};
use crate::validate::Check;

/// What a filing answers.
#[derive(Debug, Clone)]
pub struct Filed {
    pub report: reports::Model,
    pub account_id: Option<String>,
    /// `false` when this was a resubmission of a request already filed.
    pub created: bool,
}

/// Files `f` for `client`. A resubmission of the same content from the same
/// `device_id` within [`RESUBMISSION_MINUTES`] answers the first report and
/// is not counted against the client's filing limit.
pub async fn file(
    ctx: Ctx<'_>,
    rules: &FilingRules<'_>,
    client: &api_clients::Model,
    f: Filing,
) -> AppResult<Filed> {
    let hash = f.content_hash();
    if let Some(r) = resubmitted(ctx.db, ctx, client.id, &f, &hash).await? {
        return Ok(Filed {
            report: r,
            account_id: f.account_id,
            created: false,
        });
    }
    rules.limit.check(&client.id)?;
    let category = categories::Entity::find()
        .filter(categories::Column::Code.eq(f.service_code.as_str()))
        .filter(categories::Column::Active.eq(true))
        .one(ctx.db)
        .await?
        .ok_or_else(|| AppError::field("service_code", Msg::UnknownService))?;
    let mut check = Check::new();
    check_place(rules, f.lat, f.long, "lat", &mut check);
    check.finish()?;
    let reporter = account_of(ctx.db, &f).await?;

    let txn = begin_write(ctx.db).await?;
    // Two copies of one request racing: the second waits here, then finds
    // the first. (SQLite writers are already one at a time.)
    if let Some(device) = &f.device_id {
        lock_resubmissions(&txn, client.id, device).await?;
        if let Some(r) = resubmitted(&txn, ctx, client.id, &f, &hash).await? {
            txn.rollback().await?;
            return Ok(Filed {
                report: r,
                account_id: f.account_id,
                created: false,
            });
        }
    }
    let contact = match reporter {
        Some(_) => None,
        None => contact_for(&txn, ctx, &f).await?,
    };
    let report = insert_filed(
        &txn,
        ctx,
        category.id,
        reporter,
        NewReport {
            category_id: category.id,
            title: f.title(&category.name_vi),
            description: f.description.clone(),
            lat: f.lat,
            lng: f.long,
            address: f.address.clone(),
            area_code: f.area_code.clone(),
            media_ids: vec![],
            is_anonymous: false,
            // As the mobile API: sensitive categories stay off the public feed.
            is_public: !category.sensitive,
        },
        None,
    )
    .await?;
    open311_requests::ActiveModel {
        report_id: Set(report.id),
        api_client_id: Set(client.id),
        contact_id: Set(contact),
        device_id: Set(f.device_id.clone()),
        account_id: Set(f.account_id.clone()),
        content_hash: Set(hash),
        media_url: Set(f.media_url.clone()),
        created_at: Set(ctx.now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Filed {
        report,
        account_id: f.account_id,
        created: true,
    })
}

/// The report this device filed with the same content within the window.
async fn resubmitted<C: ConnectionTrait>(
    db: &C,
    ctx: Ctx<'_>,
    client: Uuid,
    f: &Filing,
    hash: &str,
) -> AppResult<Option<reports::Model>> {
    let Some(device) = &f.device_id else {
        return Ok(None);
    };
    let since = ctx.now - Duration::minutes(RESUBMISSION_MINUTES);
    let earlier = open311_requests::Entity::find()
        .filter(open311_requests::Column::ApiClientId.eq(client))
        .filter(open311_requests::Column::DeviceId.eq(device.as_str()))
        .filter(open311_requests::Column::ContentHash.eq(hash))
        .filter(open311_requests::Column::CreatedAt.gte(since))
        .order_by_desc(open311_requests::Column::CreatedAt)
        .one(db)
        .await?;
    match earlier {
        Some(e) => Ok(reports::Entity::find_by_id(e.report_id).one(db).await?),
        None => Ok(None),
    }
}

/// Serializes filings of one device of one client until the transaction ends
/// (PostgreSQL; SQLite's write transactions are serial already).
async fn lock_resubmissions(
    txn: &DatabaseTransaction,
    client: Uuid,
    device: &str,
) -> AppResult<()> {
    crate::db::advisory_xact_lock(txn, lock_key(client, device)).await?;
    Ok(())
}

/// A stable 64-bit advisory lock key for (client, device).
fn lock_key(client: Uuid, device: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"open311-filing");
    h.update(client.as_bytes());
    h.update(device.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    i64::from_be_bytes(b)
}

/// The citizen account the email or phone belongs to (email first), if any.
async fn account_of<C: ConnectionTrait>(db: &C, f: &Filing) -> AppResult<Option<Uuid>> {
    for (col, value) in [
        (users::Column::Email, &f.email),
        (users::Column::Phone, &f.phone),
    ] {
        let Some(v) = value else { continue };
        let found = users::Entity::find()
            .filter(col.eq(v.as_str()))
            .filter(users::Column::Role.eq(Role::Citizen))
            .filter(users::Column::DeletedAt.is_null())
            .one(db)
            .await?;
        if let Some(u) = found {
            return Ok(Some(u.id));
        }
    }
    Ok(None)
}

/// The contact record for a person without an account: the one with the
/// same email (or else phone), its names brought up to date, or a new one.
/// `None` when the filing names nobody.
async fn contact_for(
    txn: &DatabaseTransaction,
    ctx: Ctx<'_>,
    f: &Filing,
) -> AppResult<Option<Uuid>> {
    if f.email.is_none() && f.phone.is_none() && f.full_name().is_none() {
        return Ok(None);
    }
    let mut existing = None;
    for (col, value) in [
        (contacts::Column::Email, &f.email),
        (contacts::Column::Phone, &f.phone),
    ] {
        if existing.is_some() {
            break;
        }
        if let Some(v) = value {
            existing = contacts::Entity::find()
                .filter(col.eq(v.as_str()))
                .order_by_asc(contacts::Column::CreatedAt)
                .one(txn)
                .await?;
        }
    }
    match existing {
        Some(c) => {
            let mut m: contacts::ActiveModel = c.clone().into();
            if f.first_name.is_some() {
                m.first_name = Set(f.first_name.clone());
            }
            if f.last_name.is_some() {
                m.last_name = Set(f.last_name.clone());
            }
            if c.email.is_none() && f.email.is_some() {
                m.email = Set(f.email.clone());
            }
            if c.phone.is_none() && f.phone.is_some() {
                m.phone = Set(f.phone.clone());
            }
            m.updated_at = Set(ctx.now);
            m.update(txn).await?;
            Ok(Some(c.id))
        }
        None => {
            let c = contacts::ActiveModel {
                id: Set(Uuid::now_v7()),
                first_name: Set(f.first_name.clone()),
                last_name: Set(f.last_name.clone()),
                email: Set(f.email.clone()),
                phone: Set(f.phone.clone()),
                created_at: Set(ctx.now),
                updated_at: Set(ctx.now),
            }
            .insert(txn)
            .await?;
            Ok(Some(c.id))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_differ_by_client_and_device() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        assert_eq!(lock_key(a, "d"), lock_key(a, "d"));
        assert_ne!(lock_key(a, "d"), lock_key(b, "d"));
        assert_ne!(lock_key(a, "d"), lock_key(a, "e"));
    }
}
