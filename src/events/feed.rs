//! The live feed behind `GET /v1/events`: a user's own events, in the relay's order, resumable
//! from any event they were shown (`Last-Event-ID`). The relay of this process wakes the
//! streams at once (an in-process broadcast); each stream also looks at the outbox every
//! `[events] feed_poll_ms`, so events handed on by a relay in another process (`tresor worker`)
//! arrive too, and nothing depends on a wake-up being received.

use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use tokio::sync::broadcast;
use uuid::Uuid;

use super::{Event, store};
use crate::db::Db;

/// Why a stream cannot open.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("this user already has {0} event streams open")]
    TooManyStreams(usize),
    #[error("Last-Event-ID does not name one of your events")]
    UnknownLastEventId,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

#[derive(Clone)]
pub struct Feed {
    db: Db,
    wake: broadcast::Sender<Arc<Event>>,
    open: Arc<DashMap<Uuid, usize>>,
    max_per_user: usize,
    poll: Duration,
    heartbeat: Duration,
}

/// What a stream does next.
pub enum Tick {
    Events(Vec<Event>),
    Heartbeat,
}

impl Feed {
    pub fn new(db: Db, max_per_user: usize, poll: Duration, heartbeat: Duration) -> Self {
        let (wake, _) = broadcast::channel(1024);
        Self { db, wake, open: Arc::new(DashMap::new()), max_per_user, poll, heartbeat }
    }

    /// Tells this process's streams about events just handed on.
    pub fn publish(&self, events: &[Event]) {
        for event in events.iter().filter(|e| e.owner.is_some()) {
            // No receiver is fine: nobody is listening.
            let _ = self.wake.send(Arc::new(event.clone()));
        }
    }

    /// Opens `user`'s stream, after the event `last_event_id` (resuming) or from now.
    pub async fn open(&self, user: Uuid, last_event_id: Option<Uuid>) -> Result<Subscription, FeedError> {
        let position = match last_event_id {
            Some(id) => store::position_of(self.db.reader(), user, id).await?.ok_or(FeedError::UnknownLastEventId)?,
            None => store::last_position(self.db.reader()).await?,
        };
        let mut count = self.open.entry(user).or_insert(0);
        if *count >= self.max_per_user {
            return Err(FeedError::TooManyStreams(self.max_per_user));
        }
        *count += 1;
        drop(count);
        Ok(Subscription {
            feed: self.clone(),
            user,
            position,
            wake: self.wake.subscribe(),
            heartbeat_due: tokio::time::Instant::now() + self.heartbeat,
        })
    }
}

/// One open stream; closing it (dropping) frees its place under the per-user cap.
pub struct Subscription {
    feed: Feed,
    user: Uuid,
    position: i64,
    wake: broadcast::Receiver<Arc<Event>>,
    heartbeat_due: tokio::time::Instant,
}

impl Subscription {
    /// Waits for the user's next events (or the heartbeat's time, or the poll interval, when
    /// it answers `Events` with none).
    pub async fn next(&mut self) -> Result<Tick, FeedError> {
        let poll = tokio::time::sleep(self.feed.poll);
        tokio::pin!(poll);
        loop {
            tokio::select! {
                woken = self.wake.recv() => match woken {
                    Ok(event) if event.owner != Some(self.user) || event.relay_seq <= self.position => continue,
                    // Ours, or lagged / closed: read the outbox either way.
                    _ => break,
                },
                () = &mut poll => break,
                () = tokio::time::sleep_until(self.heartbeat_due) => {
                    self.heartbeat_due = tokio::time::Instant::now() + self.feed.heartbeat;
                    return Ok(Tick::Heartbeat);
                }
            }
        }
        let events = store::owned_after(self.feed.db.reader(), self.user, self.position, 100).await?;
        if let Some(last) = events.last() {
            self.position = last.relay_seq;
        }
        Ok(Tick::Events(events))
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // The entry's guard is let go before `remove_if` takes the shard again.
        if let Some(mut count) = self.feed.open.get_mut(&self.user) {
            *count = count.saturating_sub(1);
        };
        self.feed.open.remove_if(&self.user, |_, count| *count == 0);
    }
}
