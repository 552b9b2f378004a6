//! Documents through their service, on the test's database and data folder: upload, scan,
//! versions, signed downloads. `http` drives the same through the endpoints and the job worker.

mod clamd;
mod http;
mod links;
mod memory;
mod pdf;
mod rotation;
mod scan;
mod storage;
mod sweep;
mod tamper;
mod upload;
