//! The scanner reads hostile bytes: whatever they are — damaged copies of real files, random
//! noise, truncations — it must answer with a verdict, never panic or hang.

use image::{ImageFormat, RgbImage};
use proptest::prelude::*;

use super::inspect::inspect;
use crate::config::ScanSettings;
use crate::documents::model::{DocumentType, FileKind};

fn settings() -> ScanSettings {
    ScanSettings {
        max_image_width: 4000,
        max_image_height: 4000,
        max_image_pixels: 4_000_000,
        max_decode_alloc_bytes: 64 << 20,
        min_long_side: 64,
        min_short_side: 32,
        blur_threshold: 10.0,
        max_inflated_bytes: 1 << 20,
        pdf_max_bytes: 10 << 20,
        pdf_parse_timeout_ms: 5000,
        concurrency: 1,
        clamd: String::new(),
        clamd_timeout_secs: 1,
    }
}

fn encoded(format: ImageFormat) -> Vec<u8> {
    let image = RgbImage::from_fn(96, 64, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, ((x ^ y) * 3) as u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Length 5 /Filter /AHx >>\nstream\n41424>\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n";

fn samples() -> Vec<(FileKind, Vec<u8>)> {
    vec![
        (FileKind::Png, encoded(ImageFormat::Png)),
        (FileKind::Jpeg, encoded(ImageFormat::Jpeg)),
        (FileKind::Pdf, PDF.to_vec()),
    ]
}

#[test]
fn the_unmodified_samples_pass() {
    for (kind, bytes) in samples() {
        let verdict = inspect(&bytes, kind, DocumentType::Other, &settings());
        assert!(matches!(verdict, super::verdict::Verdict::Clean(_)), "{kind:?}: {verdict:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn damaged_files_get_a_verdict_not_a_panic(
        which in 0usize..3,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let (kind, mut bytes) = samples().swap_remove(which);
        // Keep the magic bytes so the file reaches the container parsers.
        let head = 8.min(bytes.len());
        for (at, value) in flips {
            let i = head + at.index(bytes.len() - head);
            bytes[i] = value;
        }
        if truncate {
            bytes.truncate(head + cut.index(bytes.len() - head));
        }
        let _ = inspect(&bytes, kind, DocumentType::Passport, &settings());
    }

    #[test]
    fn noise_behind_a_valid_magic_gets_a_verdict(which in 0usize..3, tail in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let (kind, magic): (FileKind, &[u8]) =
            [(FileKind::Png, b"\x89PNG\r\n\x1a\n".as_slice()), (FileKind::Jpeg, b"\xff\xd8\xff"), (FileKind::Pdf, b"%PDF-1.7")][which];
        let bytes = [magic, &tail].concat();
        let _ = inspect(&bytes, kind, DocumentType::Other, &settings());
    }
}
