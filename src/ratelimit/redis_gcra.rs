//! GCRA in Redis: one atomic script per check, with Redis's own clock so that processes with
//! skewed clocks still share one budget. The key holds the theoretical arrival time (µs) and
//! expires when it no longer matters.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;

use super::Decision;
use crate::redis::RedisHandle;

const GCRA: &str = r"
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if allow_at > now then
  return allow_at - now
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return 0
";

static SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(GCRA));

pub async fn check(
    redis: &RedisHandle,
    limit: &str,
    key: &[u8; 16],
    count: u32,
    period: Duration,
) -> Result<Decision, redis::RedisError> {
    let interval_us = (period.as_micros() / u128::from(count.max(1))).max(1);
    let mut conn = redis.connection().await?;
    let wait_us: i64 = SCRIPT
        .key(format!("tresor:rl:{limit}:{}", hex::encode(key)))
        .arg(u64::try_from(interval_us).unwrap_or(u64::MAX))
        .arg(count)
        .invoke_async(&mut conn)
        .await?;
    Ok(match u64::try_from(wait_us) {
        Ok(0) | Err(_) => Decision::Allowed,
        Ok(us) => Decision::Limited { retry_after: Duration::from_micros(us) },
    })
}
