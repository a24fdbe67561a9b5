//! Deleting an account: the person's data goes, the city's figures stay.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::context::Ctx;
use crate::db::begin_write;
use crate::entities::{
    media, password_reset_codes, refresh_tokens, report_followers, report_media, reports, users,
};
use crate::error::AppResult;
use crate::media::storage::Storage;

/// Erases the account's name, phone, email and password, ends every session,
/// keeps its reports (anonymized, so statistics do not move), drops its
/// follows, and deletes the files it uploaded that no report uses.
pub async fn delete_account(ctx: Ctx<'_>, storage: &Storage, user: users::Model) -> AppResult<()> {
    let now = ctx.now;
    let user_id = user.id;
    let txn = begin_write(ctx.db).await?;
    let mut m = user.into_active_model();
    m.phone = Set(None);
    m.email = Set(None);
    m.full_name = Set(String::new());
    // Not a PHC string: no password can ever match it.
    m.password_hash = Set("!deleted".into());
    m.disabled_at = Set(Some(now));
    m.deleted_at = Set(Some(now));
    m.updated_at = Set(now);
    m.update(&txn).await?;
    refresh_tokens::Entity::delete_many()
        .filter(refresh_tokens::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    // The account row stays (anonymized), so the foreign keys do not cascade.
    password_reset_codes::Entity::delete_many()
        .filter(password_reset_codes::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    crate::delivery::devices_service::forget_user(&txn, user_id).await?;
    crate::reports::service::forget_person(&txn, user_id).await?;
    let owned = media::Entity::find()
        .filter(media::Column::OwnerId.eq(user_id))
        .all(&txn)
        .await?;
    let attached: Vec<Uuid> = if owned.is_empty() {
        vec![]
    } else {
        report_media::Entity::find()
            .filter(
                report_media::Column::MediaId.is_in(owned.iter().map(|m| m.id).collect::<Vec<_>>()),
            )
            .all(&txn)
            .await?
            .into_iter()
            .map(|l| l.media_id)
            .collect()
    };
    let loose: Vec<media::Model> = owned
        .into_iter()
        .filter(|m| !attached.contains(&m.id))
        .collect();
    if !loose.is_empty() {
        media::Entity::delete_many()
            .filter(media::Column::Id.is_in(loose.iter().map(|m| m.id).collect::<Vec<_>>()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    for m in loose {
        // After the commit: a file left behind by a failure here is harmless,
        // a row pointing at a deleted file would not be.
        if let Err(e) = storage.delete(&m.storage_key).await {
            tracing::warn!(error = %e, key = %m.storage_key, "could not delete a file of a deleted account");
        }
    }
    Ok(())
}

/// Everything held about a person, for `GET /me/export`.
pub struct Held {
    /// Their reports, newest first.
    pub reports: Vec<reports::Model>,
    /// The reports they follow.
    pub following: Vec<Uuid>,
    /// What they uploaded, oldest first.
    pub media: Vec<media::Model>,
    /// Their sessions (refresh tokens; the tokens themselves are not kept).
    pub sessions: Vec<refresh_tokens::Model>,
}

pub async fn held_about<C: ConnectionTrait>(db: &C, user: Uuid) -> AppResult<Held> {
    Ok(Held {
        reports: reports::Entity::find()
            .filter(reports::Column::ReporterId.eq(user))
            .order_by_desc(reports::Column::CreatedAt)
            .all(db)
            .await?,
        following: report_followers::Entity::find()
            .filter(report_followers::Column::UserId.eq(user))
            .all(db)
            .await?
            .into_iter()
            .map(|f| f.report_id)
            .collect(),
        media: media::Entity::find()
            .filter(media::Column::OwnerId.eq(user))
            .order_by_asc(media::Column::CreatedAt)
            .all(db)
            .await?,
        sessions: refresh_tokens::Entity::find()
            .filter(refresh_tokens::Column::UserId.eq(user))
            .order_by_asc(refresh_tokens::Column::CreatedAt)
            .all(db)
            .await?,
    })
}
