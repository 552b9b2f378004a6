//! The scanner's memory bound under a burst: four ~200 KB PNGs that declare as many pixels as
//! the limits allow (7700×7700 RGB8 and 5400×5400 RGBA16) are uploaded at once through the
//! endpoint and scanned by the real worker. The peak RSS they add must stay under
//! `concurrency × max_decode_alloc_bytes` plus a fixed allowance for the files themselves, the
//! HTTP bodies and the allocator.
//!
//! The high-water mark of a process counts everything it ever held, so the burst runs in a
//! child process of its own: this binary again, with only `scan_burst_child` selected.

use std::io::Write;
use std::process::Command;

use flate2::Compression;
use flate2::write::ZlibEncoder;

use std::time::Duration;

use crate::support::documents::{app_with_worker, png_chunk};
use crate::support::jobs::eventually;

const CHILD: &str = "TRESOR_TEST_SCAN_BURST_CHILD";
const MIB: u64 = 1 << 20;
/// Room beyond the scan budget: the uploaded files (four copies of ~200 KB on their way in and
/// through the scanner), HTTP buffers, the PDF/JSON work of the app, allocator rounding.
const ALLOWANCE: u64 = 64 * MIB;
/// The defaults (`config/default.toml`): one scan at a time, 256 MiB each.
const SCAN_CONCURRENCY: u64 = 1;
const SCAN_BUDGET: u64 = 256 * MIB;

#[actix_web::test]
async fn a_burst_of_pixel_heavy_images_stays_under_the_memory_bound() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["documents::memory::scan_burst_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let at = stdout.find("SCAN-BURST").unwrap_or_else(|| panic!("{stdout}"));
    let line = stdout[at..].lines().next().unwrap_or_default();
    let field = |name: &str| -> u64 {
        line.split_whitespace().find_map(|w| w.strip_prefix(name)).and_then(|v| v.parse().ok()).unwrap()
    };
    let (before, peak) = (field("before_kib=") * 1024, field("peak_kib=") * 1024);
    let bound = SCAN_CONCURRENCY * SCAN_BUDGET + ALLOWANCE;
    eprintln!("{line}: the burst added {} MiB (bound {} MiB)", (peak - before) / MIB, bound / MIB);
    assert!(peak - before <= bound, "{line}: the burst added {} MiB, over {} MiB", (peak - before) / MIB, bound / MIB);
}

/// Runs only when the test above starts it.
#[actix_web::test]
async fn scan_burst_child() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    // Made before any connection is open: a pooled connection left idle through the seconds
    // this takes would be closed by the server's keep-alive timeout.
    let rgb8 = large_png(7700, 7700, false);
    let rgba16 = large_png(5400, 5400, true);
    assert!(rgb8.len() < 300 * 1024 && rgba16.len() < 300 * 1024, "{} {}", rgb8.len(), rgba16.len());
    let (app, _workers) = app_with_worker().await;
    let user = app.signed_in().await;
    let before = high_water_kib();
    let uploads =
        [("other", "a", &rgb8), ("other", "b", &rgba16), ("passport", "c", &rgb8), ("passport", "d", &rgba16)]
            .map(|(document_type, name, bytes)| app.upload_document(&user, document_type, Some(name), bytes));
    let created = futures::future::join_all(uploads).await;
    let mut verdicts = Vec::new();
    for document in &created {
        let id = document["id"].as_str().unwrap();
        let mut scanned = serde_json::Value::Null;
        // Four 60-megapixel scans, one at a time, on a shared machine: minutes, not seconds.
        eventually(Duration::from_secs(600), "the scan verdict", async || {
            scanned = app.document(&user.access, id).await.json().await.unwrap();
            scanned["status"] != "pending_scan"
        })
        .await;
        verdicts.push(format!("{}:{}", scanned["name"].as_str().unwrap(), scanned["status"].as_str().unwrap()));
        let reason = scanned["rejection_reason"].as_str().unwrap_or_default();
        assert!(
            scanned["status"] == "clean" || reason.starts_with("the image is too large to process"),
            "a pixel-heavy image is scanned or refused as too large: {scanned}"
        );
    }
    println!("SCAN-BURST before_kib={before} peak_kib={} verdicts={}", high_water_kib(), verdicts.join(","));
}

/// A valid PNG of vertical stripes (sharp, so identity documents pass the blur check), its
/// identical rows compressed as far as zlib goes.
fn large_png(width: u32, height: u32, rgba16: bool) -> Vec<u8> {
    let (depth, color, bytes_per_pixel) = if rgba16 { (16, 6, 8) } else { (8, 2, 3) };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[depth, color, 0, 0, 0]);
    let mut row = vec![0_u8]; // filter: none
    for x in 0..width as usize {
        let shade = if (x / 8) % 2 == 0 { 0x10 } else { 0xE0 };
        row.extend(std::iter::repeat_n(shade, bytes_per_pixel));
    }
    // The first row as it is; every later row filtered "Up" (its difference from the row above):
    // all zeros, which zlib shrinks about a thousandfold.
    let up = [vec![2_u8], vec![0; row.len() - 1]].concat();
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&row).unwrap();
    for _ in 1..height {
        encoder.write_all(&up).unwrap();
    }
    let idat = encoder.finish().unwrap();
    [b"\x89PNG\r\n\x1a\n".as_slice(), &png_chunk(b"IHDR", &ihdr), &png_chunk(b"IDAT", &idat), &png_chunk(b"IEND", b"")]
        .concat()
}

fn high_water_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}
