//! The documents endpoints end to end: a real server, real multipart bodies, the `scan_document`
//! job run by a real worker, signed links fetched over HTTP.

mod flow;
mod limits;
mod links;
mod refusals;
mod shapes;
