//! Wake-ups for open streams. A wake-up says "read the table now"; it never
//! carries an event, so a lost one only delays a stream to its next poll.
//!
//! One hub per database in a process, shared by every stream (and every app
//! instance in the process) on it. On PostgreSQL the hub runs one
//! `LISTEN report_events` connection from the app's pool, started with the
//! first stream: `reports::store::append_event` sends `NOTIFY` inside the
//! writing transaction, which PostgreSQL delivers on commit to every
//! instance, this one included. On SQLite streams poll.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgListener, PgPool};
use sea_orm::{DatabaseBackend, DatabaseConnection};
use tokio::sync::watch;

use crate::reports::store::EVENTS_CHANNEL;

/// What a stream watches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signal {
    /// Moves on at each wake-up.
    pub generation: u64,
    /// The instance is shutting down: end the stream.
    pub closing: bool,
}

pub struct Hub {
    signal: watch::Sender<Signal>,
    /// Whether the PostgreSQL listener is connected and listening.
    listening: watch::Sender<bool>,
    listener_started: Mutex<bool>,
}

fn hubs() -> &'static Mutex<HashMap<String, Arc<Hub>>> {
    static HUBS: OnceLock<Mutex<HashMap<String, Arc<Hub>>>> = OnceLock::new();
    HUBS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The hub of the database at `url`.
pub fn hub_for(url: &str) -> Arc<Hub> {
    let mut map = hubs().lock().unwrap_or_else(|p| p.into_inner());
    map.entry(url.to_owned())
        .or_insert_with(|| {
            Arc::new(Hub {
                signal: watch::Sender::new(Signal::default()),
                listening: watch::Sender::new(false),
                listener_started: Mutex::new(false),
            })
        })
        .clone()
}

/// Ends every open stream on the database at `url` (the instance is
/// shutting down, so graceful shutdown need not wait for them). Streams
/// opened later get a new hub.
pub fn close_streams(url: &str) {
    let hub = hubs().lock().unwrap_or_else(|p| p.into_inner()).remove(url);
    if let Some(hub) = hub {
        hub.signal.send_modify(|s| s.closing = true);
    }
}

impl Hub {
    /// Wakes every stream on this hub.
    pub fn wake(&self) {
        self.signal
            .send_modify(|s| s.generation = s.generation.wrapping_add(1));
    }

    /// A receiver for a new stream. On PostgreSQL, starts the listener if
    /// none runs yet and waits (a few seconds at most) until it listens, so
    /// nothing committed after this returns can go unannounced.
    pub async fn subscribe(self: &Arc<Self>, db: &DatabaseConnection) -> watch::Receiver<Signal> {
        let rx = self.signal.subscribe();
        if db.get_database_backend() == DatabaseBackend::Postgres {
            {
                let mut started = self
                    .listener_started
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                if !*started {
                    *started = true;
                    let hub = self.clone();
                    let pool = db.get_postgres_connection_pool().clone();
                    tokio::spawn(async move { hub.listen(pool).await });
                }
            }
            let mut listening = self.listening.subscribe();
            let ready = tokio::time::timeout(Duration::from_secs(5), listening.wait_for(|l| *l));
            if ready.await.is_err() {
                tracing::warn!("stream listener not ready; the stream polls until it is");
            }
        }
        rx
    }

    /// Runs `LISTEN` for as long as the runtime does, reconnecting with
    /// backoff; every (re)connection wakes the streams, since notifications
    /// sent while it was down are lost.
    async fn listen(self: Arc<Self>, pool: PgPool) {
        // If this task is dropped (the runtime stops), the next stream starts
        // a new one.
        struct Started(Arc<Hub>);
        impl Drop for Started {
            fn drop(&mut self) {
                self.0.listening.send_replace(false);
                *self
                    .0
                    .listener_started
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = false;
            }
        }
        let _started = Started(self.clone());
        let mut backoff = Duration::from_millis(250);
        loop {
            match Self::connect(&pool).await {
                Ok(mut listener) => {
                    self.listening.send_replace(true);
                    self.wake();
                    backoff = Duration::from_millis(250);
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(_)) => self.wake(),
                            // The connection dropped and was made again.
                            Ok(None) => self.wake(),
                            Err(e) => {
                                tracing::warn!(error = %e, "stream listener lost its connection; reconnecting");
                                break;
                            }
                        }
                    }
                    self.listening.send_replace(false);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "stream listener cannot listen; streams poll meanwhile");
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    async fn connect(pool: &PgPool) -> Result<PgListener, sea_orm::sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        Ok(listener)
    }
}
