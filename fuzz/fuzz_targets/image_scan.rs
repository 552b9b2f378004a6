//! The whole scan of a PNG or JPEG (containers, limited decode, blur, re-encode) on any bytes
//! that sniff as one, under small limits.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tresor::config::{Environment, ScanSettings, defaults, from_figment};
use tresor::documents::scan::inspect::inspect;
use tresor::documents::{DocumentType, FileKind};

fn settings() -> &'static ScanSettings {
    static SETTINGS: OnceLock<ScanSettings> = OnceLock::new();
    SETTINGS.get_or_init(|| {
        let mut scan = from_figment(Environment::Test, defaults()).unwrap().settings.scan;
        scan.max_image_pixels = 4_000_000;
        scan.max_decode_alloc_bytes = 64 << 20;
        scan.max_inflated_bytes = 1 << 20;
        scan
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(kind) = tresor::documents::sniff::sniff(data) else { return };
    if kind == FileKind::Pdf {
        return;
    }
    let _ = inspect(data, kind, DocumentType::Passport, settings());
});
