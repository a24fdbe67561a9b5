//! What every handler shares. Cheap to clone: everything inside is shared.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;

use crate::auth::password::PasswordHasher;
use crate::auth::rate_limit::AuthLimits;
use crate::auth::rate_limit::Limiter;
use crate::auth::tokens::JwtKeys;
use crate::clock::Clock;
use crate::config::Config;
use crate::media::storage::Storage;
use uuid::Uuid;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub jwt: Arc<JwtKeys>,
    pub passwords: PasswordHasher,
    pub auth_limits: AuthLimits,
    pub clock: Clock,
    pub metrics: PrometheusHandle,
    pub storage: Storage,
    /// Mobile push (off without credentials).
    pub push: crate::delivery::push::Push,
    /// Report filing, per citizen.
    pub filing_limit: Arc<Limiter<Uuid>>,
    /// Open311 filings, per API client.
    pub open311_limit: Arc<Limiter<Uuid>>,
    /// Password reset by code: limits, queue, senders.
    pub resets: crate::accounts::reset_service::Resets,
    /// Uploads (`POST /media`), per user.
    pub upload_limit: Arc<Limiter<Uuid>>,
}

impl AppState {
    /// An outbox worker on this state's database, push sender and settings.
    pub fn delivery_worker(&self) -> crate::delivery::worker::Worker {
        crate::delivery::worker::Worker::new(
            self.db.clone(),
            self.clock.clone(),
            self.config.delivery.clone(),
            self.push.clone(),
            std::time::Duration::from_secs(self.config.http.shutdown_grace_secs),
        )
    }

    /// Forgets every keyed limiter's idle keys, so memory follows recent
    /// traffic however many distinct callers there were. Every keyed
    /// limiter of the state is listed here.
    pub fn prune_limiters(&self) {
        self.auth_limits.prune();
        self.filing_limit.prune();
        self.open311_limit.prune();
        self.upload_limit.prune();
        self.resets.prune();
    }

    /// The context of a service call made now.
    pub fn ctx(&self) -> crate::context::Ctx<'_> {
        crate::context::Ctx::new(&self.db, self.clock.now(), self.config.city_tz)
    }

    pub fn new(config: Config, db: DatabaseConnection, clock: Clock, storage: Storage) -> Self {
        crate::org::reference::set_max_age(std::time::Duration::from_millis(
            config.database.reference_max_age_ms,
        ));
        AppState {
            filing_limit: Arc::new(Limiter::per(
                config.reports.per_user_burst,
                config.reports.per_user_per_hour,
                std::time::Duration::from_secs(3600),
            )),
            open311_limit: Arc::new(Limiter::per(
                config.open311.per_key_burst,
                config.open311.per_key_per_minute,
                std::time::Duration::from_secs(60),
            )),
            resets: crate::accounts::reset_service::Resets::new(
                &config.password_reset,
                config.jwt_secret.expose(),
                crate::accounts::code_sender::Senders::from_config(&config.password_reset),
                db.clone(),
                clock.clone(),
            ),
            upload_limit: Arc::new(Limiter::per(
                config.media.uploads_per_user_burst,
                config.media.uploads_per_user_per_minute,
                std::time::Duration::from_secs(60),
            )),
            storage,
            push: crate::delivery::push::Push::from_config(&config.push),
            jwt: Arc::new(JwtKeys::new(&config.jwt_secret, &config.auth)),
            passwords: PasswordHasher::with_options((&config.auth).into()),
            auth_limits: AuthLimits::new(&config.auth),
            metrics: crate::http::metrics::handle(),
            config: Arc::new(config),
            db,
            clock,
        }
    }
}
