//! Mobile push over FCM HTTP v1. Off without credentials (`push.fcm_credentials`);
//! everything else works without it.
//!
//! An access token comes from the service account's `token_uri` by the OAuth
//! 2.0 JWT-bearer grant and is cached, shared by every clone, until shortly
//! before it expires; one refresh runs at a time. Each device of the user gets
//! its own message in its own language. What FCM answers is read by
//! [`fcm::classify`].

pub mod fcm;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::Mutex;
use uuid::Uuid;

use self::fcm::{ServiceAccount, Verdict};
use super::devices_service;
use crate::config::PushConfig;
use crate::domain::EventKind;

/// One event to one user's devices.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PushJob {
    pub user_id: Uuid,
    pub event_id: Uuid,
    pub report_id: Uuid,
    pub code: String,
    pub kind: EventKind,
}

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Sent (or nothing to send: push off, no devices).
    Delivered,
    /// Failed for now: try again later.
    Retry(String),
    /// Failed for good: do not try again.
    Failed(String),
}

/// The push sender: cheap to clone; clones share the access token.
#[derive(Clone, Debug, Default)]
pub struct Push {
    inner: Option<Arc<Sender>>,
}

#[derive(Debug)]
struct Sender {
    account: Arc<ServiceAccount>,
    send_url: String,
    http: reqwest::Client,
    /// Held across a refresh, so only one runs at a time.
    token: Mutex<Option<CachedToken>>,
}

#[derive(Debug, Clone)]
struct CachedToken {
    value: String,
    until: DateTime<Utc>,
}

/// How long a request to Google may take, and its connection.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl Push {
    /// Push turned off.
    pub fn off() -> Self {
        Push { inner: None }
    }

    /// On when the configuration carries a service account (read and checked
    /// when the configuration was loaded), off otherwise.
    pub fn from_config(config: &PushConfig) -> Self {
        let Some(account) = config.service_account.clone() else {
            return Push::off();
        };
        let http = match reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("citizen-feedback/", env!("CARGO_PKG_VERSION")))
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot build the HTTP client: push is off");
                return Push::off();
            }
        };
        tracing::info!(project_id = %account.project_id, "push over FCM is on");
        Push {
            inner: Some(Arc::new(Sender {
                send_url: fcm::send_url(&config.fcm_base_url, &account.project_id),
                account,
                http,
                token: Mutex::new(None),
            })),
        }
    }

    pub fn is_on(&self) -> bool {
        self.inner.is_some()
    }

    /// Sends `job` to every device of its user, in each device's language.
    /// Tokens FCM no longer knows are deleted; a device that refuses the
    /// message for good is skipped. Busy or unreachable FCM (or token
    /// endpoint) is `Retry` for the whole job: devices that got it already
    /// get it again (delivery is at least once). `Failed` only when every
    /// device refused it for good.
    pub async fn deliver(
        &self,
        db: &DatabaseConnection,
        job: &PushJob,
        now: DateTime<Utc>,
    ) -> Outcome {
        let Some(sender) = &self.inner else {
            return Outcome::Delivered;
        };
        let devices = match devices_service::list(db, job.user_id).await {
            Ok(d) => d,
            Err(e) => return Outcome::Retry(format!("cannot read the devices: {e}")),
        };
        if devices.is_empty() {
            return Outcome::Delivered;
        }
        let access = match sender.access_token(now).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "no FCM access token");
                return Outcome::Retry(e);
            }
        };
        let mut sent = 0usize;
        let mut refused = Vec::new();
        for device in &devices {
            let body = fcm::message(&device.token, job, device.locale);
            match sender.send(&access, &body).await {
                Verdict::Sent => {
                    sent += 1;
                    metrics::counter!("push_messages_total", "result" => "sent").increment(1);
                    if let Err(e) = devices_service::touch(db, &device.token, now).await {
                        tracing::warn!(error = %e, "cannot record a push as sent");
                    }
                }
                Verdict::Unregistered => {
                    metrics::counter!("push_messages_total", "result" => "unregistered")
                        .increment(1);
                    tracing::info!(user_id = %job.user_id, "FCM no longer knows a push token: removed");
                    if let Err(e) =
                        devices_service::forget_token(db, job.user_id, &device.token).await
                    {
                        tracing::warn!(error = %e, "cannot remove an unregistered push token");
                    }
                }
                Verdict::Rejected(why) => {
                    metrics::counter!("push_messages_total", "result" => "rejected").increment(1);
                    tracing::warn!(user_id = %job.user_id, platform = %device.platform, reason = %why, "FCM refused a push");
                    refused.push(why);
                }
                Verdict::Unauthorized(why) => {
                    metrics::counter!("push_messages_total", "result" => "retry").increment(1);
                    sender.drop_token(&access).await;
                    return Outcome::Retry(why);
                }
                Verdict::Retry(why) => {
                    metrics::counter!("push_messages_total", "result" => "retry").increment(1);
                    return Outcome::Retry(why);
                }
            }
        }
        if sent == 0 && !refused.is_empty() {
            Outcome::Failed(refused.join("; "))
        } else {
            Outcome::Delivered
        }
    }
}

impl Sender {
    /// The cached access token, or a new one.
    async fn access_token(&self, now: DateTime<Utc>) -> Result<String, String> {
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref()
            && now < t.until
        {
            return Ok(t.value.clone());
        }
        let assertion = self
            .account
            .assertion(now)
            .map_err(|e| format!("cannot sign the token request: {e}"))?;
        let response = self
            .http
            .post(&self.account.token_uri)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(fcm::token_request_body(&assertion))
            .send()
            .await
            .map_err(|e| format!("the token endpoint did not answer: {}", reason(&e)))?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .await
            .map_err(|e| format!("the token endpoint's answer was cut: {}", reason(&e)))?;
        let token = fcm::token_answer(status, &body)?;
        let fresh = CachedToken {
            value: token.access_token,
            until: fcm::use_until(now, token.expires_in),
        };
        *cached = Some(fresh.clone());
        Ok(fresh.value)
    }

    /// Forgets `used` if it is still the cached token (FCM refused it).
    async fn drop_token(&self, used: &str) {
        let mut cached = self.token.lock().await;
        if cached.as_ref().is_some_and(|t| t.value == used) {
            *cached = None;
        }
    }

    async fn send(&self, access: &str, body: &serde_json::Value) -> Verdict {
        let response = match self
            .http
            .post(&self.send_url)
            .bearer_auth(access)
            .json(body)
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => return Verdict::Retry(format!("FCM did not answer: {}", reason(&e))),
        };
        let status = response.status().as_u16();
        match response.text().await {
            Ok(text) => fcm::classify(status, &text),
            Err(e) => Verdict::Retry(format!("FCM's answer was cut: {}", reason(&e))),
        }
    }
}

/// A reqwest error in a few words, without the URL (it names the project).
fn reason(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "bad body"
    } else {
        "request failed"
    }
}
