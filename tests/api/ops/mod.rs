//! Operations: metrics on a private port, the jobs CLI, backups, TLS to the databases and the
//! S3 document store.

mod backup;
mod jobs_cli;
mod metrics;
mod restarts;
mod rollback;
mod s3;
mod tls;
