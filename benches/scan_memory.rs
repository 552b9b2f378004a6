//! Peak memory (max RSS, `VmHWM` from /proc/self/status) of scanning a realistic 12-megapixel
//! JPEG, against a plain decode as the baseline. Each step runs in a fresh child process so one
//! step's peak cannot hide another's.
//!
//! `cargo bench --bench scan_memory`

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/photo.rs"]
mod photo;

use std::process::Command;
use std::time::Instant;

use tresor::config::{Environment, defaults, from_figment};
use tresor::documents::scan::inspect::inspect;
use tresor::documents::scan::verdict::Verdict;
use tresor::documents::{DocumentType, FileKind};

fn high_water_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn child(step: &str, path: &str) {
    let jpeg = std::fs::read(path).unwrap();
    let settings = from_figment(Environment::Test, defaults()).unwrap().settings.scan;
    let before = high_water_kib();
    let started = Instant::now();
    let outcome = match step {
        "stages" => stages(&jpeg, &settings),
        "baseline" => format!("{:?}", image::load_from_memory(&jpeg).map(|i| i.width())),
        _ => match inspect(&jpeg, FileKind::Jpeg, DocumentType::Passport, &settings) {
            Verdict::Clean(passed) => format!("clean, re-encoded to {} bytes", passed.cleaned.map_or(0, |c| c.len())),
            Verdict::Rejected(r) => format!("rejected: {r:?}"),
        },
    };
    let elapsed = started.elapsed();
    let after = high_water_kib();
    println!(
        "{step:<9} {:>7.1} ms  peak RSS {:>7.1} MiB  (+{:.1} MiB over the {:.1} MiB before the step)  {outcome}",
        elapsed.as_secs_f64() * 1000.0,
        after as f64 / 1024.0,
        (after - before) as f64 / 1024.0,
        before as f64 / 1024.0
    );
}

/// Where the scan's time goes: limited decode, blur score, re-encode.
fn stages(jpeg: &[u8], settings: &tresor::config::ScanSettings) -> String {
    use tresor::documents::scan::{blur, picture};
    let t = Instant::now();
    let (image, plan) = picture::decode(jpeg, FileKind::Jpeg, settings, true).unwrap();
    let decode = t.elapsed();
    let t = Instant::now();
    let score = blur::score(&image);
    let blur = t.elapsed();
    let t = Instant::now();
    let clean = picture::reencode(image, FileKind::Jpeg, plan.output_cap).unwrap();
    let encode = t.elapsed();
    format!(
        "decode {:.0} ms, blur score {score:.0} in {:.0} ms, re-encode {:.0} ms ({} bytes)",
        decode.as_secs_f64() * 1000.0,
        blur.as_secs_f64() * 1000.0,
        encode.as_secs_f64() * 1000.0,
        clean.len()
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], &args[i + 2]);
        return;
    }
    let jpeg = photo::photo_jpeg();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &jpeg).unwrap();
    println!("12-megapixel JPEG ({}×{}), {:.1} MiB", photo::WIDTH, photo::HEIGHT, jpeg.len() as f64 / 1048576.0);
    let me = std::env::current_exe().unwrap();
    for step in ["baseline", "inspect", "baseline", "inspect", "stages"] {
        let status = Command::new(&me).args(["--child", step, &file.path().display().to_string()]).status().unwrap();
        assert!(status.success());
    }
}
