//! The ledger: its service's rules and refusals (`service`), group commits (`batches`), the
//! HTTP API (`http`), several server processes on one database (`processes`), and random
//! interleavings checked against a model (`props`), and reads kept in memory that still show
//! every committed change (`cached_reads`).

mod batches;
mod cached_reads;
mod http;
mod processes;
mod props;
mod service;
