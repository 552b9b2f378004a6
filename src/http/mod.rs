//! The HTTP layer: one file per resource, thin handlers, and the app factory that the server
//! and the tests share.

pub mod docs;
pub mod extract;
pub mod health;
pub mod middleware;
pub mod ops;
mod server;

pub use server::{Application, build_app};
