//! Deleting an account: the person's data goes, the city's figures stay.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use uuid::Uuid;

use crate::context::Ctx;
use crate::db::begin_write;
use crate::entities::{media, refresh_tokens, report_followers, report_media, reports, users};
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
    // The account row stays (anonymized), so the foreign key does not cascade.
    crate::delivery::devices_service::forget_user(&txn, user_id).await?;
    reports::Entity::update_many()
        .col_expr(reports::Column::IsAnonymous, Expr::value(true))
        .filter(reports::Column::ReporterId.eq(user_id))
        .exec(&txn)
        .await?;
    let follows = report_followers::Entity::find()
        .filter(report_followers::Column::UserId.eq(user_id))
        .all(&txn)
        .await?;
    for f in &follows {
        reports::Entity::update_many()
            .col_expr(
                reports::Column::FollowerCount,
                Expr::col(reports::Column::FollowerCount).sub(1),
            )
            .filter(reports::Column::Id.eq(f.report_id))
            .exec(&txn)
            .await?;
    }
    report_followers::Entity::delete_many()
        .filter(report_followers::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
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
