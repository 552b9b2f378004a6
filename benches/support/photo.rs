//! A realistic 12-megapixel (4000×3000) phone photo of a document, made on the spot: a lit
//! gradient background, a light card with dark "text" lines, and sensor noise on every pixel,
//! so it compresses like a real photo (a few MB) rather than like a flat test pattern.

use image::RgbImage;
use image::codecs::jpeg::JpegEncoder;

pub const WIDTH: u32 = 4000;
pub const HEIGHT: u32 = 3000;

pub fn photo_jpeg() -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 25) as i32 - 12
    };
    let image = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let (fx, fy) = (x as f32 / WIDTH as f32, y as f32 / HEIGHT as f32);
        let on_card = (0.15..0.85).contains(&fx) && (0.2..0.8).contains(&fy);
        let base = if on_card {
            let line = ((fy - 0.2) * 60.0) as u32;
            let column = (x / 18) as u64;
            let ink = line.is_multiple_of(2)
                && !(column.wrapping_mul(2_654_435_761) >> 7).is_multiple_of(5)
                && !(y / 3).is_multiple_of(7);
            if ink { 40 } else { 225 }
        } else {
            (90.0 + 80.0 * fx + 40.0 * (fy * 6.0).sin()) as i32
        };
        let n = noise();
        let px = |offset: i32| (base + offset + n).clamp(0, 255) as u8;
        image::Rgb([px(6), px(0), px(-8)])
    });
    let mut out = Vec::new();
    image.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90)).unwrap_or_default();
    out
}
