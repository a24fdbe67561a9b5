//! Configuration: loaded and validated once at start.
//!
//! Layers, later wins: the defaults in `config/default.toml` (compiled in, so the
//! binary runs from anywhere), an optional file named by `APP_CONFIG_FILE`,
//! `APP_*` variables (`__` separates sections), then the plain variables of the
//! API contract (`DATABASE_URL`, `LISTEN_ADDR`, `JWT_SECRET`, `MEDIA_DIR`,
//! `CITY_TZ`).

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use ipnet::IpNet;
use serde::Deserialize;

pub const DEFAULTS: &str = include_str!("../config/default.toml");
const DEV_JWT_SECRET: &str = "development-secret-do-not-use-in-production";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Deserialize)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub environment: Environment,
    pub database_url: Secret,
    pub listen_addr: SocketAddr,
    pub jwt_secret: Secret,
    pub media_dir: String,
    #[serde(deserialize_with = "de_tz")]
    pub city_tz: chrono_tz::Tz,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub http: HttpConfig,
    pub log: LogConfig,
    pub reports: ReportsConfig,
    pub media: MediaConfig,
    pub delivery: DeliveryConfig,
    pub push: PushConfig,
    pub housekeeping: HousekeepingConfig,
    pub notifications: NotificationsConfig,
    pub stream: StreamConfig,
    pub open311: Open311Config,
    pub password_reset: ResetConfig,
    pub console: ConsoleConfig,
}

/// The staff console (`/console`).
#[derive(Debug, Clone, Deserialize)]
pub struct ConsoleConfig {
    /// A map tile URL template with `{z}`, `{x}` and `{y}`; empty: no map.
    pub tile_url: String,
}

impl ConsoleConfig {
    /// The origin the tiles come from (`https://tiles.example.org`), when
    /// there is a map.
    pub fn tile_origin(&self) -> Option<String> {
        if self.tile_url.is_empty() {
            return None;
        }
        let probe = self
            .tile_url
            .replace("{z}", "0")
            .replace("{x}", "0")
            .replace("{y}", "0");
        let url = url::Url::parse(&probe).ok()?;
        matches!(url.scheme(), "http" | "https").then(|| url.origin().ascii_serialization())
    }
}

/// Password reset by one-time code, and the senders of the codes.
#[derive(Debug, Clone, Deserialize)]
pub struct ResetConfig {
    pub code_ttl_minutes: u64,
    pub max_attempts: u32,
    pub request_ip_burst: u32,
    pub request_ip_per_hour: u32,
    pub request_account_burst: u32,
    pub request_account_per_hour: u32,
    pub confirm_ip_burst: u32,
    pub confirm_ip_per_minute: u32,
    pub confirm_account_burst: u32,
    pub confirm_account_per_minute: u32,
    pub queue: usize,
    pub max_concurrent_sends: usize,
    pub send_timeout_secs: u64,
    /// `log` | `http`
    pub sms_sender: String,
    /// `log` | `smtp`
    pub email_sender: String,
    pub sms_http: SmsHttpConfig,
    pub smtp: SmtpConfig,
}

/// A generic HTTP SMS gateway (see `accounts::code_sender`).
#[derive(Debug, Clone, Deserialize)]
pub struct SmsHttpConfig {
    pub url: String,
    pub method: String,
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    pub body: String,
    /// `json` | `form` | `raw`
    pub body_encoding: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required), usually port 587.
    Starttls,
    /// TLS from the start, usually port 465.
    Tls,
    /// No encryption: only for a relay on the same host or a test server.
    None,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
    pub password: Secret,
    /// `Name <address>` or an address.
    pub from: String,
}

/// Open311 filing by other city systems.
#[derive(Debug, Clone, Deserialize)]
pub struct Open311Config {
    /// Filing throttle per API key: a burst, then this many a minute.
    pub per_key_burst: u32,
    pub per_key_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReportsConfig {
    pub per_user_burst: u32,
    pub per_user_per_hour: u32,
    /// `[minLng, minLat, maxLng, maxLat]`, or empty.
    pub service_area: Vec<f64>,
    pub auto_close_interval_secs: u64,
    /// How far ahead of now staff may extend a deadline, in days.
    pub max_extension_days: u32,
}

impl ReportsConfig {
    /// The area reports must lie in, when one is set.
    pub fn service_area(&self) -> Option<crate::domain::geo::BBox> {
        match self.service_area[..] {
            [min_lng, min_lat, max_lng, max_lat] => Some(crate::domain::geo::BBox {
                min_lng,
                min_lat,
                max_lng,
                max_lat,
            }),
            _ => None,
        }
    }
}

/// The outbox worker: retries, claims, webhook requests.
#[derive(Debug, Clone, Deserialize)]
pub struct DeliveryConfig {
    pub worker_enabled: bool,
    /// Delays between attempts, in seconds: n delays, n + 1 attempts.
    pub retry_backoff_secs: Vec<f64>,
    pub poll_interval_ms: u64,
    pub batch_size: u64,
    pub lease_secs: u64,
    pub webhook_timeout_secs: u64,
    pub allow_private_targets: bool,
}

/// Deadline reminders for staff.
#[derive(Debug, Clone, Deserialize)]
pub struct NotificationsConfig {
    /// Working hours before a deadline that the reminder goes out.
    pub deadline_warning_hours: u32,
    pub reminder_interval_secs: u64,
}

/// What is deleted as it ages, and how often.
#[derive(Debug, Clone, Deserialize)]
pub struct HousekeepingConfig {
    pub interval_secs: u64,
    pub unattached_media_hours: i64,
    pub delivered_days: i64,
    pub read_notifications_days: i64,
}

impl HousekeepingConfig {
    pub fn retention(&self) -> crate::housekeeping::Retention {
        crate::housekeeping::Retention {
            unattached_media_hours: self.unattached_media_hours,
            delivered_days: self.delivered_days,
            read_notifications_days: self.read_notifications_days,
        }
    }
}

/// Mobile push over FCM HTTP v1.
#[derive(Debug, Clone, Deserialize)]
pub struct PushConfig {
    /// Path of the service-account JSON; empty: push is off.
    pub fcm_credentials: String,
    pub fcm_base_url: String,
    /// The service account read from `fcm_credentials` when the
    /// configuration is loaded (a bad file stops the start).
    #[serde(skip)]
    pub service_account: Option<std::sync::Arc<crate::delivery::push::fcm::ServiceAccount>>,
}

impl PushConfig {
    /// Reads and checks the service-account file, if one is named.
    fn load_credentials(&mut self) -> Result<(), ConfigError> {
        let path = self.fcm_credentials.trim();
        if path.is_empty() {
            self.service_account = None;
            return Ok(());
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError(format!(
                "push.fcm_credentials: cannot read {path:?}: {e} (APP_PUSH__FCM_CREDENTIALS)"
            ))
        })?;
        let account = crate::delivery::push::fcm::ServiceAccount::from_json(&text)
            .map_err(|e| ConfigError(format!("push.fcm_credentials: {path:?}: {e}")))?;
        self.service_account = Some(std::sync::Arc::new(account));
        Ok(())
    }
}

/// The live queue (`GET /staff/stream`).
#[derive(Debug, Clone, Deserialize)]
pub struct StreamConfig {
    pub heartbeat_secs: u64,
    pub poll_interval_ms: u64,
    pub replay_window_secs: u64,
    pub buffer: usize,
    pub session_check_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MediaConfig {
    pub max_image_bytes: usize,
    pub max_video_bytes: usize,
    pub max_pixels: u64,
    pub max_side: u32,
    /// An upload fails (408) when no bytes arrive for this long.
    pub upload_idle_timeout_secs: u64,
    /// An upload fails (408) when it takes longer than this in all; replaces
    /// `http.request_timeout_secs` for `POST /media`.
    pub upload_timeout_secs: u64,
    /// Uploads per user: a burst, then this many a minute.
    pub uploads_per_user_burst: u32,
    pub uploads_per_user_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseConfig {
    pub max_connections: u32,
    pub min_connections: u32,
    pub connect_timeout_secs: u64,
    pub acquire_timeout_secs: u64,
    /// A pooled connection idle this long is checked (a round trip) before
    /// it is handed out; busier ones go straight to work.
    pub check_idle_after_secs: u64,
    pub sqlite_busy_timeout_ms: u64,
    /// How old the in-memory copy of units and categories may get before it
    /// is read again even without a change heard of (`org::reference`).
    pub reference_max_age_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthConfig {
    pub issuer: String,
    pub audience: String,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_days: u64,
    /// Threads hashing passwords (argon2id); 0: one fewer than the CPUs, at
    /// least one.
    pub hash_threads: usize,
    /// Hashes that may wait for a thread; past it login and registration
    /// answer 503 at once.
    pub hash_queue: usize,
    /// Added to the hashing threads' nice value (0 to 19).
    pub hash_nice: i32,
    /// Keep each hashing thread's argon2 memory (off only to measure it).
    pub hash_reuse_memory: bool,
    pub login_ip_burst: u32,
    pub login_ip_per_minute: u32,
    pub login_account_burst: u32,
    pub login_account_per_minute: u32,
    pub auth_ip_burst: u32,
    pub auth_ip_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpConfig {
    pub body_limit_bytes: usize,
    pub request_timeout_secs: u64,
    pub cors_allowed_origins: Vec<String>,
    #[serde(deserialize_with = "de_nets")]
    pub trusted_proxies: Vec<IpNet>,
    pub shutdown_grace_secs: u64,
    /// Where clients reach this server: absolute URLs (Open311 discovery,
    /// `media_url`) start with it.
    pub public_base_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogConfig {
    pub format: LogFormat,
    pub filter: String,
}

fn de_tz<'de, D: serde::Deserializer<'de>>(d: D) -> Result<chrono_tz::Tz, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(|_| {
        serde::de::Error::custom(format!(
            "unknown time zone {s:?} (expected an IANA name such as Asia/Ho_Chi_Minh)"
        ))
    })
}

fn de_nets<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<IpNet>, D::Error> {
    let items = Vec::<String>::deserialize(d)?;
    items
        .iter()
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!("{s:?} is not an IP address or CIDR"))
                })
        })
        .collect()
}

/// A configuration problem, phrased as one line that names the setting.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Loads from the process environment.
    pub fn load() -> Result<Config, ConfigError> {
        Self::from_figment(Self::figment())
    }

    pub fn figment() -> Figment {
        let mut fig = Figment::from(Toml::string(DEFAULTS));
        if let Ok(path) = std::env::var("APP_CONFIG_FILE") {
            fig = fig.merge(Toml::file_exact(path));
        }
        fig.merge(Env::prefixed("APP_").split("__").ignore(&["config_file"]))
            .merge(Env::raw().only(&[
                "DATABASE_URL",
                "LISTEN_ADDR",
                "JWT_SECRET",
                "MEDIA_DIR",
                "CITY_TZ",
            ]))
    }

    /// Defaults only, with nothing from the environment: what tests start from.
    pub fn defaults() -> Figment {
        Figment::from(Toml::string(DEFAULTS))
    }

    pub fn from_figment(fig: Figment) -> Result<Config, ConfigError> {
        let mut config: Config = fig.extract().map_err(|e| {
            let key = e.path.join(".");
            let what = match &e.kind {
                figment::error::Kind::Message(m) => m.clone(),
                other => other.to_string(),
            };
            ConfigError(if key.is_empty() {
                what
            } else {
                format!("{key}: {what}")
            })
        })?;
        config.validate()?;
        config.push.load_credentials()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let err = |s: &str| Err(ConfigError(s.to_owned()));
        let tiles = &self.console.tile_url;
        if !tiles.is_empty()
            && (self.console.tile_origin().is_none()
                || !["{z}", "{x}", "{y}"].iter().all(|p| tiles.contains(p)))
        {
            return err(
                "console.tile_url: an http(s) URL template with {z}, {x} and {y}, or empty for no map",
            );
        }
        if self.environment == Environment::Production {
            let secret = self.jwt_secret.expose();
            if secret == DEV_JWT_SECRET {
                return err(
                    "jwt_secret: JWT_SECRET must be set in production (the development secret is refused)",
                );
            }
            if secret.len() < 32 {
                return err("jwt_secret: JWT_SECRET must be at least 32 bytes in production");
            }
        }
        if self.jwt_secret.expose().is_empty() {
            return err("jwt_secret: JWT_SECRET must not be empty");
        }
        let url = self.database_url.expose();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return err("database_url: DATABASE_URL must start with sqlite: or postgres://");
        }
        if self.database.max_connections == 0 {
            return err("database.max_connections: must be at least 1");
        }
        if self.auth.access_token_ttl_secs == 0 || self.auth.refresh_token_ttl_days == 0 {
            return err("auth: token lifetimes must be positive");
        }
        if self.auth.hash_threads > 1024 {
            return err("auth.hash_threads: at most 1024 (0 = one fewer than the CPUs)");
        }
        if !(0..=19).contains(&self.auth.hash_nice) {
            return err("auth.hash_nice: must be from 0 to 19");
        }
        if self.auth.hash_queue > 100_000 {
            return err("auth.hash_queue: at most 100000");
        }
        for (key, v) in [
            ("auth.login_ip_burst", self.auth.login_ip_burst),
            ("auth.login_ip_per_minute", self.auth.login_ip_per_minute),
            ("auth.login_account_burst", self.auth.login_account_burst),
            (
                "auth.login_account_per_minute",
                self.auth.login_account_per_minute,
            ),
            ("auth.auth_ip_burst", self.auth.auth_ip_burst),
            ("auth.auth_ip_per_minute", self.auth.auth_ip_per_minute),
        ] {
            if v == 0 {
                return Err(ConfigError(format!("{key}: must be at least 1")));
            }
        }
        if !(self.reports.service_area.is_empty() || self.reports.service_area.len() == 4) {
            return err("reports.service_area: must be empty or [minLng, minLat, maxLng, maxLat]");
        }
        if self.reports.max_extension_days == 0 {
            return err("reports.max_extension_days: must be at least 1");
        }
        if self.open311.per_key_burst == 0 || self.open311.per_key_per_minute == 0 {
            return err("open311: filing limits must be at least 1");
        }
        if self.reports.per_user_burst == 0 || self.reports.per_user_per_hour == 0 {
            return err("reports: filing limits must be at least 1");
        }
        if self.media.max_image_bytes == 0
            || self.media.max_video_bytes == 0
            || self.media.max_pixels == 0
        {
            return err("media: size limits must be positive");
        }
        if self.media.upload_idle_timeout_secs == 0 || self.media.upload_timeout_secs == 0 {
            return err("media: upload_idle_timeout_secs and upload_timeout_secs must be positive");
        }
        if self.media.uploads_per_user_burst == 0 || self.media.uploads_per_user_per_minute == 0 {
            return err("media: upload limits per user must be at least 1");
        }
        if self
            .delivery
            .retry_backoff_secs
            .iter()
            .any(|d| !d.is_finite() || *d < 0.0)
        {
            return err("delivery.retry_backoff_secs: delays must be non-negative numbers");
        }
        if self.delivery.batch_size == 0
            || self.delivery.lease_secs == 0
            || self.delivery.poll_interval_ms == 0
            || self.delivery.webhook_timeout_secs == 0
        {
            return err(
                "delivery: batch_size, lease_secs, poll_interval_ms and webhook_timeout_secs must be positive",
            );
        }
        if self.housekeeping.unattached_media_hours < 1
            || self.housekeeping.delivered_days < 1
            || self.housekeeping.read_notifications_days < 1
        {
            return err("housekeeping: retention periods must be at least 1");
        }
        match url::Url::parse(&self.http.public_base_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => return err("http.public_base_url: must be an absolute http(s) URL"),
        }
        match url::Url::parse(&self.push.fcm_base_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => return err("push.fcm_base_url: must be an absolute http(s) URL"),
        }
        for (key, v) in [
            ("stream.heartbeat_secs", self.stream.heartbeat_secs),
            ("stream.poll_interval_ms", self.stream.poll_interval_ms),
            ("stream.buffer", self.stream.buffer as u64),
            ("stream.session_check_secs", self.stream.session_check_secs),
        ] {
            if v == 0 {
                return Err(ConfigError(format!("{key}: must be at least 1")));
            }
        }
        self.validate_reset()?;
        if self.http.request_timeout_secs == 0 {
            return err("http.request_timeout_secs: must be at least 1");
        }
        for origin in &self.http.cors_allowed_origins {
            if origin != "*" && axum::http::HeaderValue::from_str(origin).is_err() {
                return Err(ConfigError(format!(
                    "http.cors_allowed_origins: {origin:?} is not a valid origin"
                )));
            }
        }
        Ok(())
    }

    fn validate_reset(&self) -> Result<(), ConfigError> {
        let r = &self.password_reset;
        let fail = |s: String| Err(ConfigError(s));
        for (key, v) in [
            ("code_ttl_minutes", r.code_ttl_minutes),
            ("max_attempts", u64::from(r.max_attempts)),
            ("request_ip_burst", u64::from(r.request_ip_burst)),
            ("request_ip_per_hour", u64::from(r.request_ip_per_hour)),
            ("request_account_burst", u64::from(r.request_account_burst)),
            (
                "request_account_per_hour",
                u64::from(r.request_account_per_hour),
            ),
            ("confirm_ip_burst", u64::from(r.confirm_ip_burst)),
            ("confirm_ip_per_minute", u64::from(r.confirm_ip_per_minute)),
            ("confirm_account_burst", u64::from(r.confirm_account_burst)),
            (
                "confirm_account_per_minute",
                u64::from(r.confirm_account_per_minute),
            ),
            ("queue", r.queue as u64),
            ("max_concurrent_sends", r.max_concurrent_sends as u64),
            ("send_timeout_secs", r.send_timeout_secs),
        ] {
            if v == 0 {
                return fail(format!("password_reset.{key}: must be at least 1"));
            }
        }
        if r.code_ttl_minutes > 24 * 60 {
            return fail("password_reset.code_ttl_minutes: at most 1440 (a day)".into());
        }
        if r.send_timeout_secs > 120 {
            return fail("password_reset.send_timeout_secs: at most 120".into());
        }
        match r.sms_sender.as_str() {
            "log" => {}
            "http" => {
                let h = &r.sms_http;
                match url::Url::parse(&h.url.replace(['{', '}'], "")) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                    _ => {
                        return fail(
                            "password_reset.sms_http.url: must be an absolute http(s) URL".into(),
                        );
                    }
                }
                if !matches!(
                    h.method.trim().to_uppercase().as_str(),
                    "GET" | "POST" | "PUT" | "PATCH"
                ) {
                    return fail(
                        "password_reset.sms_http.method: must be GET, POST, PUT or PATCH".into(),
                    );
                }
                if !matches!(h.body_encoding.as_str(), "json" | "form" | "raw") {
                    return fail(
                        "password_reset.sms_http.body_encoding: must be json, form or raw".into(),
                    );
                }
                for (name, value) in &h.headers {
                    if axum::http::HeaderName::from_bytes(name.as_bytes()).is_err()
                        || axum::http::HeaderValue::from_str(value).is_err()
                    {
                        return fail(format!(
                            "password_reset.sms_http.headers: {name:?} is not a valid header"
                        ));
                    }
                }
            }
            other => {
                return fail(format!(
                    "password_reset.sms_sender: {other:?} is not log or http"
                ));
            }
        }
        match r.email_sender.as_str() {
            "log" => {}
            "smtp" => {
                if r.smtp.host.trim().is_empty() {
                    return fail(
                        "password_reset.smtp.host: required with email_sender = \"smtp\"".into(),
                    );
                }
                if r.smtp.from.parse::<lettre::message::Mailbox>().is_err() {
                    return fail(
                        "password_reset.smtp.from: must be an address or `Name <address>`".into(),
                    );
                }
            }
            other => {
                return fail(format!(
                    "password_reset.email_sender: {other:?} is not log or smtp"
                ));
            }
        }
        Ok(())
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose().starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::providers::Serialized;

    #[test]
    fn defaults_are_valid() {
        let c = Config::from_figment(Config::defaults()).expect("defaults");
        assert_eq!(c.listen_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.city_tz, chrono_tz::Asia::Ho_Chi_Minh);
        assert!(c.is_sqlite());
        assert!(c.push.service_account.is_none(), "push is off by default");
    }

    #[test]
    fn production_refuses_the_development_secret() {
        let fig = Config::defaults().merge(Serialized::default("environment", "production"));
        let e = Config::from_figment(fig).unwrap_err().to_string();
        assert!(e.contains("jwt_secret"), "{e}");
        let fig = Config::defaults()
            .merge(Serialized::default("environment", "production"))
            .merge(Serialized::default("jwt_secret", "short"));
        assert!(
            Config::from_figment(fig)
                .unwrap_err()
                .to_string()
                .contains("32 bytes")
        );
        let fig = Config::defaults()
            .merge(Serialized::default("environment", "production"))
            .merge(Serialized::default("jwt_secret", "x".repeat(40)));
        assert!(Config::from_figment(fig).is_ok());
    }

    #[test]
    fn bad_values_name_the_setting() {
        let fig = Config::defaults().merge(Serialized::default("city_tz", "Mars/Olympus"));
        assert!(
            Config::from_figment(fig)
                .unwrap_err()
                .to_string()
                .contains("city_tz")
        );
        let fig = Config::defaults().merge(Serialized::default("listen_addr", "nowhere"));
        assert!(
            Config::from_figment(fig)
                .unwrap_err()
                .to_string()
                .contains("listen_addr")
        );
        let fig = Config::defaults().merge(Serialized::default(
            "http.trusted_proxies",
            ["10.0.0.0/8", "bogus"],
        ));
        assert!(
            Config::from_figment(fig)
                .unwrap_err()
                .to_string()
                .contains("trusted_proxies")
        );
        let fig = Config::defaults().merge(Serialized::default("push.fcm_base_url", "fcm"));
        assert!(
            Config::from_figment(fig)
                .unwrap_err()
                .to_string()
                .contains("push.fcm_base_url")
        );
        let fig = Config::defaults().merge(Serialized::default(
            "push.fcm_credentials",
            "/nonexistent/service-account.json",
        ));
        let e = Config::from_figment(fig).unwrap_err().to_string();
        assert!(
            e.contains("push.fcm_credentials") && e.contains("cannot read"),
            "{e}"
        );
        let fig = Config::defaults().merge(Serialized::default("database_url", "mysql://x"));
        assert!(
            Config::from_figment(fig)
                .unwrap_err()
                .to_string()
                .contains("database_url")
        );
    }
}
