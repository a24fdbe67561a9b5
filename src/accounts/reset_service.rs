//! Password reset by one-time code.
//!
//! **Request** (`request`): answers at once, the same way whether or not an
//! account matches: the login is checked against the per-address limit and
//! queued; nothing on the request path depends on the account. One worker
//! per instance takes the queue in order: the per-account limit, the
//! account lookup (active accounts only), a new code (any older unused code
//! of the account is dropped), and the message is handed to the sender on a
//! task of its own with a timeout, so a slow gateway holds neither the
//! request nor the queue. Over a limit, with a full queue, for an unknown
//! account or when sending fails: nothing is sent, it is logged, and the
//! answer was the same 202.
//!
//! **Confirm** (`confirm`): per-address and per-login limits (429), then the
//! newest live code of the account: each try, right or wrong, uses one of
//! `max_attempts`; a wrong, expired, used or exhausted code (or an unknown
//! account) is 422 on `code`. The right code sets the new password (the
//! password rules apply), is spent, and every session of the account ends.
//!
//! Codes: 6 random digits, stored as HMAC-SHA256 (key derived from the JWT
//! secret, message: account id and code), so a copy of the table does not
//! give them away by trying all million codes.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt as _;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use sha2::Sha256;
use tokio::sync::{Semaphore, mpsc};
use uuid::Uuid;

use super::code_sender::{Outgoing, Senders};
use super::identity::looks_like_email;
use super::service::{check_password_for, end_sessions, login_key};
use crate::auth::password::PasswordHasher;
use crate::auth::rate_limit::Limiter;
use crate::clock::Clock;
use crate::config::ResetConfig;
use crate::context::Ctx;
use crate::db::begin_write;
use crate::entities::{password_reset_codes, users};
use crate::error::{AppError, AppResult};
use crate::messages::Msg;

/// One request for a code, as queued.
#[derive(Debug)]
struct Job {
    key: String,
    by_email: bool,
}

struct Inner {
    db: DatabaseConnection,
    clock: Clock,
    senders: Senders,
    hmac_key: Vec<u8>,
    ttl_minutes: u64,
    max_attempts: i32,
    send_timeout: Duration,
    request_ip: Limiter<IpAddr>,
    request_account: Limiter<String>,
    confirm_ip: Limiter<IpAddr>,
    confirm_account: Limiter<String>,
    sends: Arc<Semaphore>,
    tx: mpsc::Sender<Job>,
    /// Taken by the worker when the first request comes (inside the runtime).
    rx: Mutex<Option<mpsc::Receiver<Job>>>,
}

/// The password reset desk of this instance: limits, queue, worker, senders.
#[derive(Clone)]
pub struct Resets {
    inner: Arc<Inner>,
}

/// The key codes are hashed with: derived from the JWT secret, so it is never
/// the signing key itself.
fn derive_key(secret: &str) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(b"citizen-feedback password reset code v1");
    mac.finalize().into_bytes().to_vec()
}

fn mac_for(key: &[u8], user: Uuid, code: &str) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(user.as_bytes());
    mac.update(b":");
    mac.update(code.as_bytes());
    mac
}

/// A new code: 6 uniformly random digits.
fn new_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

impl Resets {
    pub fn new(
        config: &ResetConfig,
        jwt_secret: &str,
        senders: Senders,
        db: DatabaseConnection,
        clock: Clock,
    ) -> Resets {
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let hour = Duration::from_secs(3600);
        let minute = Duration::from_secs(60);
        Resets {
            inner: Arc::new(Inner {
                db,
                clock,
                senders,
                hmac_key: derive_key(jwt_secret),
                ttl_minutes: config.code_ttl_minutes,
                max_attempts: i32::try_from(config.max_attempts).unwrap_or(5),
                send_timeout: Duration::from_secs(config.send_timeout_secs),
                request_ip: Limiter::per(config.request_ip_burst, config.request_ip_per_hour, hour),
                request_account: Limiter::per(
                    config.request_account_burst,
                    config.request_account_per_hour,
                    hour,
                ),
                confirm_ip: Limiter::per(
                    config.confirm_ip_burst,
                    config.confirm_ip_per_minute,
                    minute,
                ),
                confirm_account: Limiter::per(
                    config.confirm_account_burst,
                    config.confirm_account_per_minute,
                    minute,
                ),
                sends: Arc::new(Semaphore::new(config.max_concurrent_sends.max(1))),
                tx,
                rx: Mutex::new(Some(rx)),
            }),
        }
    }

    /// Asks for a code for `login` (a phone or an e-mail). Never fails and
    /// takes the same path whatever the login: the answer is always 202.
    /// Forgets the throttles' idle keys (called with every other limiter's).
    pub fn prune(&self) {
        self.inner.request_ip.prune();
        self.inner.request_account.prune();
        self.inner.confirm_ip.prune();
        self.inner.confirm_account.prune();
    }

    pub fn request(&self, ip: IpAddr, login: &str) {
        self.start_worker();
        if self.inner.request_ip.check(&ip).is_err() {
            tracing::info!(%ip, "password reset request over the address limit: nothing sent");
            return;
        }
        let job = Job {
            key: login_key(login),
            by_email: looks_like_email(login),
        };
        if self.inner.tx.try_send(job).is_err() {
            tracing::warn!("password reset queue full: request dropped");
        }
    }

    fn start_worker(&self) {
        let rx = match self.inner.rx.lock() {
            Ok(mut guard) => guard.take(),
            Err(_) => None,
        };
        if let Some(mut rx) = rx {
            let inner = self.inner.clone();
            tokio::spawn(async move {
                while let Some(job) = rx.recv().await {
                    if let Err(e) = inner.handle(job).await {
                        tracing::warn!(error = %e, "password reset request failed");
                    }
                }
            });
        }
    }

    /// Sets a new password with a code. See the module's documentation.
    pub async fn confirm(
        &self,
        ctx: Ctx<'_>,
        passwords: &PasswordHasher,
        ip: IpAddr,
        login: &str,
        code: &str,
        new_password: &str,
    ) -> AppResult<()> {
        let inner = &self.inner;
        let key = login_key(login);
        // A place in the hashing pool before any try is counted: a
        // saturated pool answers 503, and the code and the throttles keep
        // all their tries.
        let ticket = passwords.reserve()?;
        inner.confirm_ip.check(&ip)?;
        inner.confirm_account.check(&key)?;
        let wrong = || AppError::field("code", Msg::InvalidResetCode);
        let user = find_active(ctx.db, &key, looks_like_email(login)).await?;
        let row = match &user {
            Some(u) => {
                password_reset_codes::Entity::find()
                    .filter(password_reset_codes::Column::UserId.eq(u.id))
                    .filter(password_reset_codes::Column::UsedAt.is_null())
                    .filter(password_reset_codes::Column::ExpiresAt.gt(ctx.now))
                    .order_by_desc(password_reset_codes::Column::CreatedAt)
                    .one(ctx.db)
                    .await?
            }
            None => None,
        };
        let (Some(user), Some(row)) = (user, row) else {
            // The same hashing as a real try, for an answer of the same cost.
            let _ = mac_for(&inner.hmac_key, Uuid::nil(), code).finalize();
            return Err(wrong());
        };
        // Every try, right or wrong, uses one of the code's attempts; one
        // statement, so concurrent tries cannot exceed them.
        let counted = password_reset_codes::Entity::update_many()
            .col_expr(
                password_reset_codes::Column::Attempts,
                Expr::col(password_reset_codes::Column::Attempts).add(1),
            )
            .filter(password_reset_codes::Column::Id.eq(row.id))
            .filter(password_reset_codes::Column::UsedAt.is_null())
            .filter(password_reset_codes::Column::Attempts.lt(inner.max_attempts))
            .exec(ctx.db)
            .await?;
        if counted.rows_affected != 1 {
            return Err(wrong());
        }
        let expected = hex::decode(&row.code_hash).map_err(AppError::internal)?;
        if mac_for(&inner.hmac_key, user.id, code.trim())
            .verify_slice(&expected)
            .is_err()
        {
            return Err(wrong());
        }
        check_password_for(&user, new_password, "new_password")?;
        let hash = ticket.hash(new_password).await?;
        let txn = begin_write(ctx.db).await?;
        let spent = password_reset_codes::Entity::update_many()
            .col_expr(password_reset_codes::Column::UsedAt, Expr::value(ctx.now))
            .filter(password_reset_codes::Column::Id.eq(row.id))
            .filter(password_reset_codes::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if spent.rows_affected != 1 {
            return Err(wrong());
        }
        let updated = users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(hash))
            .col_expr(users::Column::UpdatedAt, Expr::value(ctx.now))
            .filter(users::Column::Id.eq(user.id))
            .filter(users::Column::DisabledAt.is_null())
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            return Err(wrong());
        }
        // Other codes of the account die with this one.
        password_reset_codes::Entity::delete_many()
            .filter(password_reset_codes::Column::UserId.eq(user.id))
            .filter(password_reset_codes::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        let ended = end_sessions(&txn, user.id, None, ctx.now).await?;
        txn.commit().await?;
        tracing::info!(user_id = %user.id, ended, "password reset by code");
        Ok(())
    }
}

/// The active account a login names.
async fn find_active(
    db: &DatabaseConnection,
    key: &str,
    by_email: bool,
) -> AppResult<Option<users::Model>> {
    let column = if by_email {
        users::Column::Email
    } else {
        users::Column::Phone
    };
    Ok(users::Entity::find()
        .filter(column.eq(key))
        .filter(users::Column::DisabledAt.is_null())
        .filter(users::Column::DeletedAt.is_null())
        .one(db)
        .await?)
}

impl Inner {
    /// One queued request: limit, account, code, hand-off to the sender.
    async fn handle(&self, job: Job) -> AppResult<()> {
        if self.request_account.check(&job.key).is_err() {
            tracing::info!("password reset over the account limit: nothing sent");
            return Ok(());
        }
        let Some(user) = find_active(&self.db, &job.key, job.by_email).await? else {
            tracing::debug!("password reset for no active account: nothing sent");
            return Ok(());
        };
        let to = if job.by_email {
            user.email.clone()
        } else {
            user.phone.clone()
        };
        let Some(to) = to else {
            return Ok(());
        };
        let now = self.clock.now();
        let code = new_code();
        let hash = hex::encode(
            mac_for(&self.hmac_key, user.id, &code)
                .finalize()
                .into_bytes(),
        );
        let txn = begin_write(&self.db).await?;
        // One live code per account: a new request replaces the old one.
        password_reset_codes::Entity::delete_many()
            .filter(password_reset_codes::Column::UserId.eq(user.id))
            .filter(password_reset_codes::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        password_reset_codes::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user.id),
            code_hash: Set(hash),
            created_at: Set(now),
            expires_at: Set(now + chrono::Duration::minutes(self.ttl_minutes as i64)),
            attempts: Set(0),
            used_at: Set(None),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        let message = Outgoing {
            to,
            code,
            minutes: self.ttl_minutes,
            locale: user.locale,
        };
        let sender = if job.by_email {
            self.senders.email.clone()
        } else {
            self.senders.sms.clone()
        };
        let Ok(permit) = self.sends.clone().try_acquire_owned() else {
            tracing::warn!(user_id = %user.id, "password reset: too many messages in flight; not sent");
            return Ok(());
        };
        let timeout = self.send_timeout;
        let user_id = user.id;
        tokio::spawn(async move {
            let _permit = permit;
            match tokio::time::timeout(timeout, sender.send(&message)).await {
                Ok(Ok(())) => tracing::info!(%user_id, "password reset code sent"),
                Ok(Err(e)) => {
                    tracing::warn!(%user_id, error = %e, "password reset code not sent")
                }
                Err(_) => tracing::warn!(%user_id, "password reset code: the sender timed out"),
            }
        });
        Ok(())
    }
}
