//! Storing an upload and deciding who may read it, callable without HTTP.

use chrono::Datelike;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use std::io::{Read, Seek};

use super::inspect::{InspectError, Limits, inspect};
use super::spool::Spooled;
use super::storage::Storage;
use crate::context::Ctx;
use crate::domain::Actor;
use crate::entities::{media, report_media, reports};
use crate::error::{AppError, AppResult};
use crate::messages::Msg;
use crate::reports::scope::access;

/// Byte caps per kind of file.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub image_bytes: usize,
    pub video_bytes: usize,
}

impl Caps {
    /// The largest file of any kind.
    pub fn largest(self) -> usize {
        self.image_bytes.max(self.video_bytes)
    }
}

/// Judges the spooled upload from its bytes, strips its location metadata,
/// stores the result and records it as `owner`'s. The stored file is removed
/// again if the row cannot be written, so no file is left without a row.
pub async fn upload(
    ctx: Ctx<'_>,
    storage: &Storage,
    owner: Uuid,
    spooled: Spooled,
    limits: Limits,
    caps: Caps,
) -> AppResult<media::Model> {
    // Reading the file back, parsing untrusted bytes and hashing are blocking
    // and CPU work: keep them off the async threads. The file is at most the
    // cap of its kind (the spool saw to it).
    let (inspected, sha) = tokio::task::spawn_blocking(move || {
        let Spooled { mut file, len, .. } = spooled;
        let mut data = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.rewind()
            .and_then(|()| file.read_to_end(&mut data))
            .map_err(|e| AppError::from(anyhow::Error::from(e)))?;
        drop(file);
        let inspected = inspect(&data, &limits).map_err(|e| match e {
            InspectError::Unsupported => AppError::UnsupportedMediaType(Msg::UnsupportedMediaFile),
            InspectError::TooManyPixels { .. } => AppError::field("file", Msg::ImageTooManyPixels),
            InspectError::Corrupt => AppError::field("file", Msg::CorruptMedia),
        })?;
        drop(data);
        let sha = hex::encode(Sha256::digest(&inspected.bytes));
        Ok::<_, AppError>((inspected, sha))
    })
    .await
    .map_err(|e| AppError::from(anyhow::Error::from(e)))??;
    let (limit, msg): (usize, fn(u64) -> Msg) = if inspected.kind.is_image() {
        (caps.image_bytes, |max_bytes| Msg::ImageTooLarge {
            max_bytes,
        })
    } else {
        (caps.video_bytes, |max_bytes| Msg::UploadTooLarge {
            max_bytes,
        })
    };
    if inspected.bytes.len() > limit {
        return Err(AppError::TooLarge(msg(limit as u64)));
    }
    let id = Uuid::now_v7();
    let now = ctx.now;
    let key = format!(
        "{:04}/{:02}/{}.{}",
        now.year(),
        now.month(),
        id.simple(),
        inspected.kind.extension()
    );
    let size = inspected.bytes.len() as i64;
    storage.put(&key, inspected.bytes).await?;
    let row = media::ActiveModel {
        id: Set(id),
        owner_id: Set(Some(owner)),
        content_type: Set(inspected.kind.content_type().to_owned()),
        byte_size: Set(size),
        sha256: Set(sha),
        storage_key: Set(key.clone()),
        width: Set(inspected.width.map(|w| w as i32)),
        height: Set(inspected.height.map(|h| h as i32)),
        created_at: Set(now),
    }
    .insert(ctx.db)
    .await;
    match row {
        Ok(row) => Ok(row),
        Err(e) => {
            // No row points at the file: do not leave it behind.
            let _ = storage.delete(&key).await;
            Err(e.into())
        }
    }
}

/// The file if `viewer` may read it: whoever may see the report it belongs
/// to, or its uploader before it is attached; 404 for anyone else. `true`
/// when the viewer sees it only as the public does (it may be cached publicly).
pub async fn readable(
    db: &sea_orm::DatabaseConnection,
    viewer: Option<&Actor>,
    id: Uuid,
) -> AppResult<(media::Model, bool)> {
    let m = media::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let link = report_media::Entity::find()
        .filter(report_media::Column::MediaId.eq(id))
        .one(db)
        .await?;
    let public = match link {
        Some(l) => {
            let report = reports::Entity::find_by_id(l.report_id)
                .one(db)
                .await?
                .ok_or(AppError::NotFound)?;
            let a = access(db, viewer, &report)
                .await?
                .ok_or(AppError::NotFound)?;
            !a.is_full()
        }
        None => {
            if viewer.is_none_or(|v| Some(v.id) != m.owner_id) {
                return Err(AppError::NotFound);
            }
            false
        }
    };
    Ok((m, public))
}
