//! One stream's loop, without HTTP. It reads the events table after its
//! cursor whenever it is woken (or the poll interval passes), puts what is
//! new into the client's bounded buffer, and ends with a last word when the
//! caller's session ends, the instance shuts down, or the client stops
//! reading.
//!
//! Memory per stream is bounded: the buffer holds at most `buffer` items
//! (plus one slot kept for the last word), a read holds one page of that
//! size, and the cursor remembers the ids of one window.

use std::sync::Arc;
use std::time::Duration;

use chrono_tz::Tz;
use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;
use tokio::time::{Instant, interval_at};
use uuid::Uuid;

use super::cursor::Cursor;
use super::hub::Hub;
use super::service::{Caller, EndReason, StreamEvent, events_after, standing};
use crate::clock::Clock;
use crate::config::StreamConfig;
use crate::context::Ctx;
use crate::error::AppResult;
use crate::reports::scope::StaffScope;

#[derive(Debug, Clone, Copy)]
pub struct FeedConfig {
    /// Read the table this often even without a wake-up.
    pub poll: Duration,
    /// How far back reads go for events that commit late.
    pub window: chrono::Duration,
    /// Items a client may leave unread.
    pub buffer: usize,
    /// How long a full buffer may stay full before the stream ends.
    pub stall: Duration,
    /// How often the caller is checked again.
    pub session_check: Duration,
}

impl FeedConfig {
    pub fn from_config(c: &StreamConfig) -> Self {
        FeedConfig {
            poll: Duration::from_millis(c.poll_interval_ms),
            window: chrono::Duration::seconds(i64::try_from(c.replay_window_secs).unwrap_or(30)),
            buffer: c.buffer,
            stall: Duration::from_secs(c.heartbeat_secs),
            session_check: Duration::from_secs(c.session_check_secs),
        }
    }
}

/// Where a stream starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// With what is committed from now on.
    Now,
    /// After the event `id` (made at `at`) the client saw last.
    After {
        id: Uuid,
        at: chrono::DateTime<chrono::Utc>,
    },
    /// The client named an event this database does not have: the last
    /// window only, announced by [`Item::Reset`].
    UnknownLastEvent,
}

/// What a stream sends, in order. `End` and `Overflow` are last.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// The stream reads and listens: what is committed from here on arrives.
    Ready,
    /// The `Last-Event-ID` is unknown; only recent events are replayed, so
    /// the client should reload its queue.
    Reset,
    Event(StreamEvent),
    /// The caller's session ended (or the instance is stopping).
    End(EndReason),
    /// The client left the buffer full too long: reconnect with
    /// `Last-Event-ID`.
    Overflow,
}

pub struct Feed {
    pub db: DatabaseConnection,
    pub clock: Clock,
    pub tz: Tz,
    pub hub: Arc<Hub>,
    pub caller: Caller,
    pub scope: StaffScope,
    pub config: FeedConfig,
}

enum Flow {
    Continue,
    Overflow,
    Closed,
}

enum Push {
    Sent,
    Full,
    Closed,
}

impl Feed {
    /// Starts the loop on a task of its own; the receiver is the client's
    /// buffer, and dropping it stops the loop.
    pub fn spawn(self, start: Start) -> mpsc::Receiver<Item> {
        let (tx, rx) = mpsc::channel(self.config.buffer + 1);
        tokio::spawn(self.run(start, tx));
        rx
    }

    async fn run(self, start: Start, tx: mpsc::Sender<Item>) {
        // One slot is kept for the last word, so a full buffer can still
        // say why the stream ends.
        let Ok(last_word) = tx.clone().reserve_owned().await else {
            return;
        };
        let mut signal = self.hub.subscribe(&self.db).await;
        let now = self.clock.now();
        let window = self.config.window;
        let mut cursor = match start {
            Start::Now | Start::UnknownLastEvent => Cursor::starting(now, window),
            Start::After { id, at } => Cursor::resuming(id, at, window),
        };
        if start == Start::Now {
            // What is already visible is not news: remember it, send nothing.
            if let Err(e) = self.read(&mut cursor, None).await {
                tracing::warn!(error = %e, "stream could not start");
                return;
            }
        }
        let first = if start == Start::UnknownLastEvent {
            vec![Item::Reset, Item::Ready]
        } else {
            vec![Item::Ready]
        };
        for item in first {
            if !matches!(self.push(&tx, item).await, Push::Sent) {
                return;
            }
        }
        let period = self.config.session_check;
        let mut session = interval_at(Instant::now() + period, period);
        let mut hub_alive = true;
        loop {
            match self.read(&mut cursor, Some(&tx)).await {
                Ok(Flow::Continue) => {}
                Ok(Flow::Overflow) => {
                    last_word.send(Item::Overflow);
                    return;
                }
                Ok(Flow::Closed) => return,
                // The database may be back at the next poll.
                Err(e) => tracing::warn!(error = %e, "stream read failed; retrying"),
            }
            tokio::select! {
                changed = signal.changed(), if hub_alive => {
                    if signal.borrow_and_update().closing {
                        last_word.send(Item::End(EndReason::ServerShutdown));
                        return;
                    }
                    hub_alive = changed.is_ok();
                }
                _ = tokio::time::sleep(self.config.poll) => {}
                _ = session.tick() => {
                    let ctx = Ctx::new(&self.db, self.clock.now(), self.tz);
                    match standing(ctx, &self.caller).await {
                        Ok(Some(reason)) => {
                            last_word.send(Item::End(reason));
                            return;
                        }
                        Ok(None) => {}
                        Err(e) => tracing::warn!(error = %e, "stream could not check its caller"),
                    }
                }
                _ = tx.closed() => return,
            }
        }
    }

    /// Reads everything after the cursor in pages; sends what is new into
    /// `tx`, or with no `tx` only remembers it.
    async fn read(&self, cursor: &mut Cursor, tx: Option<&mpsc::Sender<Item>>) -> AppResult<Flow> {
        let started = self.clock.now();
        let page = self.config.buffer.max(1);
        let mut after = None;
        loop {
            let events =
                events_after(&self.db, &self.scope, cursor.horizon(), after, page as u64).await?;
            let more = events.len() == page;
            for e in events {
                after = Some((e.at, e.event_id));
                if !cursor.is_new(e.event_id) {
                    continue;
                }
                let (id, at) = (e.event_id, e.at);
                if let Some(tx) = tx {
                    match self.push(tx, Item::Event(e)).await {
                        Push::Sent => {}
                        Push::Full => return Ok(Flow::Overflow),
                        Push::Closed => return Ok(Flow::Closed),
                    }
                }
                cursor.mark(id, at);
            }
            if !more {
                break;
            }
        }
        cursor.advance(started);
        Ok(Flow::Continue)
    }

    /// Waits for room in the buffer, for `stall` at most.
    async fn push(&self, tx: &mpsc::Sender<Item>, item: Item) -> Push {
        match tokio::time::timeout(self.config.stall, tx.reserve()).await {
            Ok(Ok(permit)) => {
                permit.send(item);
                Push::Sent
            }
            Ok(Err(_)) => Push::Closed,
            Err(_) => Push::Full,
        }
    }
}
