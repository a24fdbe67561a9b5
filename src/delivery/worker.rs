//! The outbox worker: one task per app instance (off with
//! `delivery.worker_enabled = false`). It claims due rows in batches, sends
//! each (webhooks, push) or expands it (report events), records every
//! attempt and schedules the next with backoff. At least once: a row is
//! settled only after its attempt, so a crash in between sends it again,
//! with the same `webhook-id`. On shutdown it lets the attempts under way
//! finish for the grace period and releases what it has not settled.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use rand::RngExt as _;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::outbox::{self, Fate, PUSH, REPORT_EVENT};
use super::push::{Outcome, Push, PushJob};
use super::webhooks::send::{Request, post};
use super::webhooks::service::{self as webhooks, TOPIC as WEBHOOK};
use super::webhooks::signature::{header, message_id};
use crate::clock::Clock;
use crate::config::DeliveryConfig;
use crate::db::begin_write;
use crate::domain::DeliveryStatus;
use crate::entities::outbox as outbox_entity;
use crate::error::AppResult;

/// What the worker needs: cheap to clone into each attempt's task.
#[derive(Clone)]
pub struct Worker {
    db: DatabaseConnection,
    clock: Clock,
    config: Arc<DeliveryConfig>,
    push: Push,
    grace: StdDuration,
}

impl Worker {
    /// A worker on `db`, sending push through `push`, finishing what it has
    /// claimed within `grace` at shutdown.
    pub fn new(
        db: DatabaseConnection,
        clock: Clock,
        config: DeliveryConfig,
        push: Push,
        grace: StdDuration,
    ) -> Self {
        Worker {
            db,
            clock,
            config: Arc::new(config),
            push,
            grace,
        }
    }

    /// Wall-clock time: retries are real waits. A manual clock (tests) that
    /// was moved ahead pulls it along, so rows written "later" are due.
    fn now(&self) -> DateTime<Utc> {
        self.clock.now().max(Clock::system().now())
    }

    /// Runs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let poll = StdDuration::from_millis(self.config.poll_interval_ms);
        let lease = Duration::seconds(i64::try_from(self.config.lease_secs).unwrap_or(60));
        tracing::info!("outbox worker started");
        loop {
            if *stop.borrow() {
                break;
            }
            let claimed =
                match outbox::claim(&self.db, self.now(), lease, self.config.batch_size).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "outbox claim failed; will retry");
                        vec![]
                    }
                };
            if claimed.is_empty() {
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            let mut set = JoinSet::new();
            for row in claimed.iter().cloned() {
                let w = self.clone();
                set.spawn(async move { w.attempt(row).await });
            }
            let finished = tokio::select! {
                _ = async { while set.join_next().await.is_some() {} } => true,
                _ = stopped_then(&mut stop, self.grace) => false,
            };
            if !finished {
                set.abort_all();
                match outbox::release(&self.db, &claimed).await {
                    Ok(n) if n > 0 => tracing::info!(released = n, "released unsent outbox rows"),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "could not release outbox rows; their lease will run out")
                    }
                }
                break;
            }
        }
        tracing::info!("outbox worker stopped");
    }

    /// One attempt of one claimed row. Errors are logged; the row's lease
    /// runs out and it is tried again.
    async fn attempt(self, row: outbox_entity::Model) {
        let topic = row.topic.clone();
        let result = match topic.as_str() {
            REPORT_EVENT => self.expand(&row).await,
            PUSH => self.push(&row).await,
            WEBHOOK => self.webhook(&row).await,
            other => self
                .settle(
                    &row,
                    Fate::Failed(format!("unknown topic {other}")),
                    "unknown",
                )
                .await
                .map(|_| ()),
        };
        if let Err(e) = result {
            tracing::warn!(outbox = %row.id, topic, error = %e, "outbox attempt failed; will retry");
            let fate = Fate::Retry {
                error: e.to_string(),
                unit: jitter(),
            };
            if let Err(e) = self.settle(&row, fate, &topic).await {
                tracing::warn!(outbox = %row.id, error = %e, "could not record the attempt");
            }
        }
    }

    async fn settle(
        &self,
        row: &outbox_entity::Model,
        fate: Fate,
        channel: &str,
    ) -> AppResult<Option<outbox::Settled>> {
        let s = outbox::settle(
            &self.db,
            row,
            &fate,
            &self.config.retry_backoff_secs,
            self.now(),
        )
        .await?;
        if let Some(s) = s {
            count(channel, s);
        }
        Ok(s)
    }

    async fn expand(&self, row: &outbox_entity::Model) -> AppResult<()> {
        let now = self.now();
        if let Some((hooks, pushes)) =
            outbox::expand(&self.db, row, &self.config.retry_backoff_secs, now).await?
        {
            tracing::debug!(outbox = %row.id, hooks, pushes, "report event expanded");
        }
        Ok(())
    }

    async fn push(&self, row: &outbox_entity::Model) -> AppResult<()> {
        let fate = match serde_json::from_value::<PushJob>(row.payload.clone()) {
            Err(e) => Fate::Failed(format!("bad push job: {e}")),
            Ok(job) => match self.push.deliver(&self.db, &job, self.now()).await {
                Outcome::Delivered => Fate::Done,
                Outcome::Retry(error) => Fate::Retry {
                    error,
                    unit: jitter(),
                },
                Outcome::Failed(e) => Fate::Failed(e),
            },
        };
        self.settle(row, fate, "push").await?;
        Ok(())
    }

    async fn webhook(&self, row: &outbox_entity::Model) -> AppResult<()> {
        let Some((delivery, endpoint)) = webhooks::delivery_with_endpoint(&self.db, row.id).await?
        else {
            self.settle(
                row,
                Fate::Failed("the delivery or its endpoint is gone".into()),
                "webhook",
            )
            .await?;
            return Ok(());
        };
        if delivery.status != DeliveryStatus::Pending {
            // Settled already (a retry by an admin resets both together).
            self.settle(row, Fate::Done, "none").await?;
            return Ok(());
        }
        let now = self.now();
        let (fate, code) = if !endpoint.active {
            (Fate::Failed("the endpoint is inactive".into()), None)
        } else {
            let body = serde_json::to_vec(&delivery.payload).unwrap_or_default();
            let msg_id = message_id(delivery.event_id);
            let timestamp = now.timestamp();
            let secrets = webhooks::signing_secrets(&endpoint, now);
            let signature = header(&secrets, &msg_id, timestamp, &body);
            let answer = post(
                Request {
                    url: &endpoint.url,
                    msg_id: &msg_id,
                    timestamp,
                    signature,
                    body,
                },
                StdDuration::from_secs(self.config.webhook_timeout_secs),
                self.config.allow_private_targets,
            )
            .await;
            let fate = match answer.error {
                None => Fate::Done,
                Some(error) => Fate::Retry {
                    error,
                    unit: jitter(),
                },
            };
            (fate, answer.status)
        };
        // The attempt is recorded in the outbox row and the delivery log
        // together, or (a lost claim) not at all.
        let now = self.now();
        let txn = begin_write(&self.db).await?;
        let Some(s) =
            outbox::settle(&txn, row, &fate, &self.config.retry_backoff_secs, now).await?
        else {
            return Ok(());
        };
        let error = match &fate {
            Fate::Done => None,
            Fate::Retry { error, .. } | Fate::Failed(error) => Some(error.clone()),
        };
        webhooks::record_attempt(
            &txn,
            &delivery,
            s.status,
            code,
            error,
            s.next_attempt_at,
            now,
        )
        .await?;
        txn.commit().await?;
        count("webhook", s);
        Ok(())
    }
}

/// Resolves `grace` after `stop` turns true.
async fn stopped_then(stop: &mut watch::Receiver<bool>, grace: StdDuration) {
    while !*stop.borrow() {
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
    tokio::time::sleep(grace).await;
}

fn jitter() -> f64 {
    rand::rng().random_range(0.0..1.0)
}

/// `delivery_sent_total`, `delivery_retried_total`, `delivery_failed_total`
/// per channel (`webhook`, `push`).
fn count(channel: &str, s: outbox::Settled) {
    if !matches!(channel, "webhook" | "push") {
        return;
    }
    let name = match s.status {
        DeliveryStatus::Delivered => "delivery_sent_total",
        DeliveryStatus::Failed => "delivery_failed_total",
        DeliveryStatus::Pending if s.retrying => "delivery_retried_total",
        DeliveryStatus::Pending => return,
    };
    metrics::counter!(name, "channel" => channel.to_owned()).increment(1);
}
