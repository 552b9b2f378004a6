//! The service as an operator runs it, as processes of their own: what its files let others
//! read, two processes starting together on a fresh data folder, stopping on SIGTERM with jobs
//! in flight, and what a flood of bad requests makes it write.

mod files;
mod key_race;
mod logs;
mod shutdown;
