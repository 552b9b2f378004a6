//! KYC: the state rules through their functions (`service`), and the endpoints end to end.

mod http;
mod service;
mod staff;
