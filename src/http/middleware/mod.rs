//! The layers every request passes through, outermost first: [`edge`] (request id, security
//! headers, problem rendering of anything that is not one yet), the tracing span
//! ([`request_span::RequestSpan`]), then [`metrics::record`], then [`admission::admit`] (the cap
//! on requests in flight and the body read timeout).

pub mod admission;
pub mod edge;
pub mod metrics;
pub mod request_id;
pub mod request_span;
