//! Exports: building, mailing and downloading them (`basics`), and what a user's export may
//! hold and how long its link lives (`privacy`).

pub mod basics;
mod privacy;
