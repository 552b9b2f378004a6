//! Background jobs against the real storages (SQLite or PostgreSQL per `TEST_DATABASE_URL`,
//! plus Redis when `TEST_REDIS_URL` is set), a real SMTP server and real worker processes.

mod cron;
mod email;
mod failure;
mod kill;
mod maintenance;
mod worker_cli;
