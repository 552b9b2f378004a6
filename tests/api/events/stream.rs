//! The Redis Stream: with Redis configured every event is appended to `<prefix>:events`, and a
//! real consumer group reads each one once.

use std::collections::HashMap;
use std::time::Duration;

use redis::AsyncCommands;
use redis::streams::{StreamReadOptions, StreamReadReply};

use super::events_app;
use crate::support::ledger::{caller, deposit, open};
use crate::support::redis_url;

#[actix_web::test]
async fn a_consumer_group_reads_every_event_of_a_run_once() {
    if redis_url().is_none() {
        eprintln!("skipped: TEST_REDIS_URL is not set");
        return;
    }
    let (app, outflow) = events_app().await;
    let key = format!("{}:events", app.state.config.settings.redis.prefix);
    let mut redis = app.state.redis.as_ref().unwrap().connection().await.unwrap();
    let _: () = redis.xgroup_create_mkstream(&key, "partners", "0").await.unwrap();

    let owner = caller();
    let account = open(&app, &owner, "USD").await;
    for _ in 0..20 {
        deposit(&app, &owner, &account, 5).await;
    }
    let outbox: Vec<String> =
        sqlx::query_scalar("SELECT id FROM events ORDER BY id").fetch_all(app.state.db.reader()).await.unwrap();
    assert!(outbox.len() >= 21);

    // Two consumers of one group share the stream: each entry goes to one of them, once.
    let mut read: HashMap<String, usize> = HashMap::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while read.len() < outbox.len() {
        assert!(std::time::Instant::now() < deadline, "read {} of {}", read.len(), outbox.len());
        for consumer in ["c1", "c2"] {
            let options = StreamReadOptions::default().group("partners", consumer).count(7).block(200);
            let reply: StreamReadReply = redis.xread_options(&[&key], &[">"], &options).await.unwrap();
            for stream in reply.keys {
                for entry in stream.ids {
                    let id: String = entry.get("id").unwrap();
                    let data: String = entry.get("data").unwrap();
                    assert!(serde_json::from_str::<serde_json::Value>(&data).is_ok());
                    *read.entry(id).or_default() += 1;
                    let _: i64 = redis.xack(&key, "partners", &[&entry.id]).await.unwrap();
                }
            }
        }
    }
    assert!(read.values().all(|n| *n == 1), "every event read once: {read:?}");
    for id in &outbox {
        assert_eq!(read.get(id), Some(&1), "event {id} not read");
    }
    let pending: redis::streams::StreamPendingReply = redis.xpending(&key, "partners").await.unwrap();
    assert_eq!(pending.count(), 0, "everything acknowledged");
    outflow.stop().await;
}
