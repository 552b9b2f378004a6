//! What the tests share, in one place: the application under test and its database (`app`,
//! `database`), the assertions every response meets (`assertions`), and each area's helpers:
//!
//! - `identity`: the standard password, registering and signing in users, the mail outbox, a
//!   server in a process of its own;
//! - `authz`: users with staff roles;
//! - `mfa`: an independent TOTP, enrolling users in MFA;
//! - `jobs`: queues, workers, an SMTP server, waiting for a condition;
//! - `documents`: real files made on the spot (images, PDFs, EICAR), uploads and downloads
//!   through the documents service, and through the endpoints with a job worker;
//! - `ledger`: callers, accounts and deposits through the ledger's service, reading its refusals
//!   and balances, checking the books, stepped-up sessions, approved customers;
//! - `process`: `tresor serve` / `worker` as processes of their own, stopped with SIGTERM;
//! - `browser`: chromedriver + headless Chromium (fantoccini, raw WebDriver calls), an app on a
//!   known public URL; `cookies`: cookie-mode sessions with every cookie attribute visible;
//!   `console`: staff with an authenticator, a console client over HTTP, browser steps.

mod app;
mod assertions;
mod database;

pub mod authz;
pub mod backoffice;
pub mod browser;
pub mod console;
pub mod cookies;
pub mod documents;
pub mod identity;
pub mod jobs;
pub mod ledger;
pub mod mfa;
pub mod money;
pub mod oidc;
pub mod process;
pub mod s3;

pub use self::app::{TestApp, assert_setting_refused, binary, cli_command, spawn_app, spawn_app_with};
pub use self::assertions::{assert_problem, assert_security_headers};
pub use self::database::{TestDatabase, redis_ca_file, redis_url};
