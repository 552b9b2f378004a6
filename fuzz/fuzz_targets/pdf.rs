//! The PDF checks (byte layer, then lopdf's object graph and the rendition) on any bytes.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tresor::documents::scan::pdf::{PdfLimits, check};

fuzz_target!(|data: &[u8]| {
    let limits = PdfLimits { inflate: 1 << 20, max_bytes: 1 << 20, parse_timeout: Duration::from_secs(5) };
    if let Ok(checked) = check(data, limits) {
        // What passed, written again, passes again.
        assert!(check(&checked.rendition, limits).is_ok(), "the rendition of a clean PDF is refused");
    }
});
