//! The PDF checks (byte layer, then lopdf's object graph) on any bytes.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tresor::documents::scan::pdf::{PdfLimits, check};

fuzz_target!(|data: &[u8]| {
    let limits = PdfLimits { inflate: 1 << 20, max_bytes: 1 << 20, parse_timeout: Duration::from_secs(5) };
    let _ = check(data, limits);
});
