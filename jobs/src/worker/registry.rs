//! Which handler runs each queue.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;

use crate::error::JobError;
use crate::handlers::{self, Services};
use crate::job::{Job, ScanDocument, SendEmail, Tick, queues};
use crate::store::Store;

/// A queue's handler: the payload and the attempt number (1-based) in, the outcome out.
pub type HandlerFn = Arc<dyn Fn(Value, usize) -> BoxFuture<'static, Result<(), JobError>> + Send + Sync>;

#[derive(Clone, Default)]
pub struct Registry {
    handlers: BTreeMap<&'static str, HandlerFn>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the handler of `queue`.
    pub fn with(mut self, queue: &'static str, handler: HandlerFn) -> Self {
        self.handlers.insert(queue, handler);
        self
    }

    /// Adds a handler for a typed job; a payload that does not decode is a permanent error.
    pub fn typed<J, F, Fut>(self, handler: F) -> Self
    where
        J: Job,
        F: Fn(J, usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        self.with(
            J::QUEUE,
            Arc::new(move |payload, attempt| {
                let handler = handler.clone();
                Box::pin(async move {
                    let job: J = serde_json::from_value(payload)
                        .map_err(|e| JobError::permanent(format!("{} payload does not decode: {e}", J::QUEUE)))?;
                    handler(job, attempt).await
                })
            }),
        )
    }

    /// tresor's own queues: `send_email`, `expire_lockouts`, `cleanup`, `sweep`,
    /// `reconcile_ledger`, `scan_document`.
    pub fn standard(services: Services, store: Store) -> Self {
        let services = Arc::new(services);
        let (s1, s2, s3, s4, s5) =
            (services.clone(), services.clone(), services.clone(), services.clone(), services.clone());
        let s6 = services;
        Self::new()
            .typed(move |job: SendEmail, _| {
                let services = s1.clone();
                async move { handlers::send_email(&services, job).await }
            })
            .typed(move |job: ScanDocument, _| {
                let services = s6.clone();
                async move { handlers::scan_document(&services, job).await }
            })
            .with(
                queues::EXPIRE_LOCKOUTS,
                tick_handler(move || {
                    let services = s2.clone();
                    async move { handlers::expire_lockouts(&services).await }
                }),
            )
            .with(
                queues::CLEANUP,
                tick_handler(move || {
                    let services = s3.clone();
                    async move { handlers::cleanup(&services).await }
                }),
            )
            .with(
                queues::SWEEP,
                tick_handler(move || {
                    let (services, store) = (s4.clone(), store.clone());
                    async move { handlers::sweep(&services, &store).await }
                }),
            )
            .with(
                queues::RECONCILE_LEDGER,
                tick_handler(move || {
                    let services = s5.clone();
                    async move { handlers::reconcile_ledger(&services).await }
                }),
            )
    }

    pub fn get(&self, queue: &str) -> Option<&HandlerFn> {
        self.handlers.get(queue)
    }

    pub fn queues(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.handlers.keys().copied()
    }
}

/// A cron job's handler: checks the payload is a tick, then runs.
pub fn tick_handler<F, Fut>(run: F) -> HandlerFn
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    let run = Arc::new(run);
    Arc::new(move |payload, _| {
        let run = run.clone();
        Box::pin(async move {
            let _tick: Tick =
                serde_json::from_value(payload).map_err(|e| JobError::permanent(format!("tick payload: {e}")))?;
            run().await
        })
    })
}
