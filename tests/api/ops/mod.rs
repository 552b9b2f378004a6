//! The service as an operator runs it: metrics on a private port, the jobs CLI, backups, TLS to
//! the databases, the S3 document store, rollbacks and restarts; and, as processes of their own,
//! what its files let others read, two processes starting together on a fresh data folder,
//! stopping on SIGTERM with jobs in flight, and what a flood of bad requests makes it write.

mod backup;
mod files;
mod jobs_cli;
mod key_race;
mod logs;
mod metrics;
mod restarts;
mod rollback;
mod s3;
mod shutdown;
mod tls;
