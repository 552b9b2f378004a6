//! The staff console: the back-office journey in headless Chromium (`journey`), webhook
//! endpoints managed in the browser against a real receiver (`webhooks`), the dashboard's shared
//! figures (`dashboard`), and the security of its pages and forms over HTTP and in the browser
//! (`security`).

mod dashboard;
mod journey;
mod security;
mod webhooks;
