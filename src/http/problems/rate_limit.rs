//! [`Refused`] as 429 `rate-limited` with `Retry-After`, or 503 when the limit store is down.

use crate::error::{Error, Kind, Problem, unavailable};
use crate::ratelimit::Refused;

impl From<Refused> for Error {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Limited { limit, retry_after } => {
                let seconds = Refused::whole_seconds(retry_after);
                Problem::new(
                    Kind::RateLimited,
                    "rate-limited",
                    format!("too many requests ({}); retry in {seconds} s", limit.name()),
                )
                .with_retry_after(seconds.max(1))
                .into()
            }
            Refused::Unavailable => unavailable("rate limiting is unavailable; retry shortly").into(),
            Refused::Database(error) => error.into(),
        }
    }
}
