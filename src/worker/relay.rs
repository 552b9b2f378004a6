//! The relay: hands committed events on, in order, under a lease so that one relay at a time
//! does it (several processes may run one; the others wait and take over when the holder
//! stops renewing). Each round, in one transaction: queue a webhook delivery per event and
//! subscribed endpoint, number the events (their position in the live feed) and move the
//! relay's position — only if the lease is still ours. The Redis Stream entries are added
//! before that commit, the live feed woken after it. A relay killed mid-round commits nothing:
//! its successor sends the same events again (at least once; never skipped).

use std::time::Duration;

use redis::streams::StreamMaxlen;
use uuid::Uuid;

use crate::config::EventSettings;
use crate::db::{Db, time};
use crate::events::{Event, Feed, store};
use crate::redis::RedisHandle;

#[derive(Clone)]
pub struct Relay {
    db: Db,
    redis: Option<(RedisHandle, String)>,
    feed: Feed,
    settings: EventSettings,
    holder: String,
}

impl Relay {
    /// `redis`: the handle and key prefix, when Redis is configured.
    pub fn new(db: Db, redis: Option<(RedisHandle, &str)>, feed: Feed, settings: EventSettings) -> Self {
        let redis = redis.map(|(handle, prefix)| (handle, format!("{prefix}:events")));
        Self { db, redis, feed, settings, holder: Uuid::now_v7().to_string() }
    }

    /// Relays until `stop` resolves, then gives the lease up.
    pub async fn run(self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        let idle = Duration::from_millis(self.settings.relay_poll_ms.max(5));
        loop {
            let pause = match self.step().await {
                Ok(relayed) if relayed > 0 => Duration::ZERO,
                Ok(_) => idle,
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), "event relay: a round failed; retrying");
                    idle * 10
                }
            };
            tokio::select! {
                () = &mut stop => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
        if let Err(error) = store::release_lease(self.db.writer(), &self.holder).await {
            tracing::warn!(error = %error, "event relay: could not give the lease up; it expires by itself");
        }
    }

    /// One round. Answers how many events were handed on (0: none waiting, or another relay
    /// holds the lease).
    pub async fn step(&self) -> anyhow::Result<usize> {
        let lease = chrono::Duration::seconds(i64::try_from(self.settings.lease_secs).unwrap_or(15).max(1));
        let until = time::to_db(time::now() + lease);
        let Some(last_seq) = store::take_lease(self.db.writer(), &self.holder, &until).await? else { return Ok(0) };
        let mut events = store::unrelayed(self.db.writer(), i64::from(self.settings.relay_batch.max(1))).await?;
        if events.is_empty() {
            return Ok(0);
        }
        self.append_to_stream(&events).await?;
        let mut tx = self.db.begin().await?;
        crate::webhooks::fan_out(&mut tx, &events).await?;
        if !store::mark_relayed(&mut tx, &self.holder, last_seq, &mut events).await? {
            tx.rollback().await?;
            return Ok(0);
        }
        tx.commit().await?;
        metrics::counter!("events_relayed_total").increment(events.len() as u64);
        self.feed.publish(&events);
        Ok(events.len())
    }

    /// `XADD <prefix>:events MAXLEN ~ N * id … type … created_at … data …`, one per event,
    /// pipelined.
    async fn append_to_stream(&self, events: &[Event]) -> anyhow::Result<()> {
        let Some((redis, key)) = &self.redis else { return Ok(()) };
        let mut connection = redis.connection().await?;
        let max_len = StreamMaxlen::Approx(usize::try_from(self.settings.stream_max_len).unwrap_or(usize::MAX));
        let mut pipe = redis::pipe();
        for event in events {
            let fields = [
                ("id", event.id.to_string()),
                ("type", event.kind.name().to_owned()),
                ("aggregate_id", event.aggregate_id.to_string()),
                ("created_at", time::to_db(event.created_at)),
                ("data", event.data.to_string()),
            ];
            pipe.xadd_maxlen(key, max_len, "*", &fields).ignore();
        }
        let () = pipe.query_async(&mut connection).await?;
        Ok(())
    }
}

/// The relay and the webhook deliverer of one process, built from its settings.
pub struct Outflow {
    pub relay: Relay,
    pub deliverer: crate::webhooks::Deliverer,
}

impl Outflow {
    /// Built from the job handlers' parts (the server's or `tresor worker`'s).
    pub fn of(parts: &super::Handlers) -> anyhow::Result<Self> {
        let (config, db) = (&parts.config, &parts.db);
        let settings = &config.settings;
        let redis = parts.redis.clone().map(|handle| (handle, settings.redis.prefix.as_str()));
        let relay = Relay::new(db.clone(), redis, parts.feed.clone(), settings.events.clone());
        let webhooks = crate::webhooks::Webhooks::new(
            db.clone(),
            parts.keys.clone(),
            settings.webhooks.clone(),
            config.env.is_production(),
        );
        Ok(Self { relay, deliverer: webhooks.deliverer()? })
    }

    /// Relays events and delivers webhooks until `stop` resolves.
    pub async fn run(self, stop: impl Future<Output = ()>) {
        let (tell, told) = tokio::sync::watch::channel(false);
        let wait = |mut told: tokio::sync::watch::Receiver<bool>| async move {
            let _ = told.wait_for(|stop| *stop).await;
        };
        let relay = self.relay.run(wait(told.clone()));
        let deliverer = self.deliverer.run(wait(told));
        let signal = async move {
            stop.await;
            let _ = tell.send(true);
        };
        tokio::join!(relay, deliverer, signal);
    }
}
