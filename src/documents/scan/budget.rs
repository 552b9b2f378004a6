//! The memory an image scan will hold, counted from the image's header before anything is
//! allocated. Every buffer of every step is in the count — the decoded pixels, the decoder's
//! own scratch, the rotated copy an EXIF orientation makes, the grey copy the blur score reads,
//! the 8-bit copy a 16-bit image is reduced to before it is written again, and the re-encoded
//! file itself — and the largest step must fit `max_decode_alloc_bytes`, or the image is
//! refused as too large before its pixels exist. The re-encoded output is written into a buffer
//! capped at what the budget leaves ([`BoundedBuffer`]).

use image::ColorType;

use super::blur::SCORE_SIDE;
use crate::documents::model::FileKind;

/// What one image scan may hold at its peak, and what is left for the re-encoded file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The largest sum of buffers held at once by any step, the re-encoded output aside.
    pub peak: u64,
    /// Most bytes the re-encoded file may take.
    pub output_cap: u64,
}

/// What the scan will do to the image.
#[derive(Clone, Copy, Debug)]
pub struct Steps {
    /// An EXIF orientation that turns the image by 90° (a rotated copy is made).
    pub turns: bool,
    /// The blur score is computed (identity documents).
    pub blur: bool,
}

/// The smallest room the re-encoded file is given: below this the image is refused.
const MIN_OUTPUT: u64 = 1 << 20;

pub fn plan(
    width: u32,
    height: u32,
    color: ColorType,
    kind: FileKind,
    steps: Steps,
    budget: u64,
) -> Result<Plan, String> {
    let pixels = u64::from(width) * u64::from(height);
    let channels = u64::from(color.channel_count());
    let decoded = pixels * u64::from(color.bytes_per_pixel());
    // A progressive JPEG keeps every coefficient (16 bits per sample) until its last scan.
    let scratch = if kind == FileKind::Jpeg { pixels * channels * 2 } else { 0 };
    let turned = if steps.turns { decoded } else { 0 };
    let grey = if steps.blur { pixels + u64::from(SCORE_SIDE) * u64::from(SCORE_SIDE) } else { 0 };
    let sixteen_bit = color.bytes_per_pixel() > color.channel_count();
    // A 16-bit image is reduced to 8 bits before it is written again (the 16-bit pixels are
    // dropped once the copy exists).
    let reduced = if sixteen_bit { pixels * channels } else { 0 };
    // A JPEG is written from RGB or grey; anything else is converted first.
    let converted = match (kind, color) {
        (FileKind::Jpeg, ColorType::L8 | ColorType::Rgb8) => 0,
        (FileKind::Jpeg, _) => pixels * 3,
        _ => 0,
    };
    let written_from = if sixteen_bit { reduced } else { decoded };
    let steps_held = [decoded + scratch, decoded + turned, decoded + grey, decoded + reduced, written_from + converted];
    let fixed = steps_held.into_iter().max().unwrap_or(decoded);
    let before_output = written_from + converted;
    let too_large = |needed: u64| {
        format!(
            "{width}×{height} {color:?} needs {} MiB to scan; at most {} MiB is allowed",
            needed.div_ceil(1 << 20),
            budget >> 20
        )
    };
    if fixed > budget || before_output + MIN_OUTPUT > budget {
        return Err(too_large(fixed.max(before_output + MIN_OUTPUT)));
    }
    let output_cap = budget - before_output;
    Ok(Plan { peak: fixed, output_cap })
}

/// A `Vec` that refuses to grow beyond `cap` bytes (and never reserves more than that).
pub struct BoundedBuffer {
    bytes: Vec<u8>,
    cap: usize,
}

impl BoundedBuffer {
    pub fn new(cap: u64) -> Self {
        Self { bytes: Vec::new(), cap: usize::try_from(cap).unwrap_or(usize::MAX) }
    }

    pub fn into_inner(self) -> Vec<u8> {
        self.bytes
    }
}

impl std::io::Write for BoundedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let needed = self.bytes.len().saturating_add(buf.len());
        if needed > self.cap {
            return Err(std::io::Error::other(format!("the re-encoded image passes its {} byte budget", self.cap)));
        }
        if needed > self.bytes.capacity() {
            let grown = self.bytes.capacity().saturating_mul(2).max(needed).max(64 * 1024).min(self.cap);
            self.bytes.reserve_exact(grown - self.bytes.len());
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const MIB: u64 = 1 << 20;
    const STEPS: Steps = Steps { turns: false, blur: false };

    #[test]
    fn the_images_of_the_report_are_counted_whole() {
        // 7700×7700 RGB8 is 170 MiB of pixels: it fits 256 MiB with its output, but not twice.
        let plan = plan(7700, 7700, ColorType::Rgb8, FileKind::Png, STEPS, 256 * MIB).unwrap();
        assert!(plan.peak <= 256 * MIB);
        assert!(plan.output_cap >= MIB);
        let turned = Steps { turns: true, blur: false };
        assert!(super::plan(7700, 7700, ColorType::Rgb8, FileKind::Png, turned, 256 * MIB).is_err());
        // 5400×5400 RGBA16 is 222 MiB, and its 8-bit copy another 111 MiB: refused.
        let error = super::plan(5400, 5400, ColorType::Rgba16, FileKind::Png, STEPS, 256 * MIB).unwrap_err();
        assert!(error.contains("at most 256 MiB"), "{error}");
        // A 12-megapixel photo passes with room to spare.
        let photo = Steps { turns: true, blur: true };
        assert!(super::plan(4000, 3000, ColorType::Rgb8, FileKind::Jpeg, photo, 256 * MIB).is_ok());
    }

    #[test]
    fn the_output_buffer_stops_at_its_cap() {
        let mut buffer = BoundedBuffer::new(100);
        buffer.write_all(&[1; 60]).unwrap();
        assert!(buffer.write_all(&[1; 60]).is_err());
        buffer.write_all(&[1; 40]).unwrap();
        let bytes = buffer.into_inner();
        assert_eq!(bytes.len(), 100);
        assert!(bytes.capacity() <= 100);
    }
}
