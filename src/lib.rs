//! citizen-feedback: the backend of a citizen feedback service.
//!
//! `build_app` and `serve` are what `main` and the tests share.

pub mod accounts;
pub mod auth;
pub mod calendar;
pub mod clock;
pub mod config;
pub mod console;
pub mod context;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod entities;
pub mod error;
pub mod housekeeping;
pub mod http;
pub mod i18n;
pub mod media;
pub mod messages;
pub mod notifications;
pub mod open311;
pub mod org;
pub mod pagination;
pub mod reports;
pub mod seed;
pub mod state;
pub mod stats;
pub mod stream;
pub mod validate;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

pub use http::build_app;
pub use state::AppState;

/// Installs the one rustls crypto provider (sqlx brings ring, other crates
/// aws-lc-rs; with both present rustls cannot choose on its own).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Serves until SIGTERM or Ctrl-C, then lets in-flight requests finish for up
/// to `http.shutdown_grace_secs`.
pub async fn serve(state: AppState, listener: TcpListener) -> std::io::Result<()> {
    serve_until(state, listener, http::shutdown_signal()).await
}

/// Serves until `shutdown` resolves (tests pass their own signal).
pub async fn serve_until(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_secs(state.config.http.shutdown_grace_secs);
    let pruner = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                state.prune_limiters();
            }
        })
    };
    let closer = {
        let state = state.clone();
        let every = state.config.reports.auto_close_interval_secs;
        tokio::spawn(async move {
            if every == 0 {
                return;
            }
            let mut tick = tokio::time::interval(Duration::from_secs(every));
            loop {
                tick.tick().await;
                match reports::staff::auto_close(state.ctx()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(closed = n, "closed resolved reports after 7 days"),
                    Err(e) => tracing::warn!(error = %e, "auto-close failed; will retry"),
                }
                match stats::service::auto_close_month(state.ctx()).await {
                    Ok(Some(m)) => {
                        tracing::info!(month = m.yyyymm(), "closed last month's statistics")
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "monthly close failed; will retry"),
                }
            }
        })
    };
    let sweeper = tokio::spawn(housekeeping_loop(state.clone()));
    let reminders = tokio::spawn(reminder_loop(state.clone()));
    // The outbox worker stops claiming at the shutdown signal, lets the
    // attempts under way finish within the grace period and releases the rest.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = state.config.delivery.worker_enabled.then(|| {
        let w = state.delivery_worker();
        tokio::spawn(w.run(stop_rx))
    });
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let database_url = state.config.database_url.expose().to_owned();
    let app = build_app(state).into_make_service_with_connect_info::<SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
        // Open live streams would hold the graceful shutdown to its end.
        stream::hub::close_streams(&database_url);
        let _ = stopping_tx.send(());
    });
    let deadline = async move {
        if stopping_rx.await.is_ok() {
            tokio::time::sleep(grace).await;
            tracing::warn!("shutdown grace period over; dropping remaining connections");
        } else {
            std::future::pending::<()>().await;
        }
    };
    let result = tokio::select! {
        r = server => r,
        _ = deadline => Ok(()),
    };
    pruner.abort();
    closer.abort();
    sweeper.abort();
    reminders.abort();
    if let Some(mut worker) = worker {
        // The worker keeps to the same grace; this bound is a safety net.
        if tokio::time::timeout(grace + Duration::from_secs(2), &mut worker)
            .await
            .is_err()
        {
            worker.abort();
        }
    }
    result
}

/// Sends the deadline reminders due, every
/// `notifications.reminder_interval_secs` (0: never).
async fn reminder_loop(state: AppState) {
    let cfg = state.config.notifications.clone();
    if cfg.reminder_interval_secs == 0 {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_secs(cfg.reminder_interval_secs));
    loop {
        tick.tick().await;
        let ctx = state.ctx();
        let sent = match calendar::store::load(ctx.db, ctx.tz).await {
            Ok(cal) => reports::reminders::run(ctx, &cal, cfg.deadline_warning_hours).await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(0) => {}
            Ok(n) => tracing::info!(sent = n, "deadline reminders"),
            Err(e) => tracing::warn!(error = %e, "deadline reminders failed; will retry"),
        }
    }
}

/// Deletes what is past its retention, every `housekeeping.interval_secs`
/// (0: never; the `housekeeping` command runs a sweep by hand).
async fn housekeeping_loop(state: AppState) {
    let every = state.config.housekeeping.interval_secs;
    if every == 0 {
        return;
    }
    let keep = state.config.housekeeping.retention();
    let mut tick = tokio::time::interval(Duration::from_secs(every));
    loop {
        tick.tick().await;
        match housekeeping::sweep(state.ctx(), &state.storage, &keep).await {
            Ok(s) if s.total() == 0 => {}
            Ok(s) => tracing::info!(swept = ?s, "housekeeping"),
            Err(e) => tracing::warn!(error = %e, "housekeeping failed; will retry"),
        }
    }
}
