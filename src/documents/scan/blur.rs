//! Sharpness as the variance of the Laplacian (Pech-Pacheco et al., 2000): a sharp photo has
//! strong edges, so the second derivative varies a lot; a blurred one is smooth everywhere.

use image::{DynamicImage, GrayImage, imageops};

/// The longer side the image is scaled to first, so the score does not depend on how many
/// megapixels the camera had (and a 12-megapixel photo costs as little as a small one).
pub const SCORE_SIDE: u32 = 1024;

pub fn score(image: &DynamicImage) -> f64 {
    let gray = image.to_luma8();
    let (w, h) = gray.dimensions();
    let long = w.max(h);
    if long <= SCORE_SIDE {
        return laplacian_variance(&gray);
    }
    // Area-averaging thumbnail of the grey image: far cheaper than filtering three channels.
    let scale = |v: u32| ((u64::from(v) * u64::from(SCORE_SIDE) / u64::from(long)) as u32).max(1);
    laplacian_variance(&imageops::thumbnail(&gray, scale(w), scale(h)))
}

/// Variance of the 4-neighbour Laplacian over the interior pixels.
pub fn laplacian_variance(gray: &GrayImage) -> f64 {
    let (w, h) = gray.dimensions();
    if w < 3 || h < 3 {
        return 0.0;
    }
    let px = |x: u32, y: u32| f64::from(gray.get_pixel(x, y).0[0]);
    let (mut sum, mut sum_sq, mut n) = (0.0, 0.0, 0.0);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let lap = px(x - 1, y) + px(x + 1, y) + px(x, y - 1) + px(x, y + 1) - 4.0 * px(x, y);
            sum += lap;
            sum_sq += lap * lap;
            n += 1.0;
        }
    }
    let mean = sum / n;
    sum_sq / n - mean * mean
}

#[cfg(test)]
mod tests {
    use image::{GrayImage, Luma};

    use super::*;

    #[test]
    fn edges_score_high_and_smooth_gradients_score_near_zero() {
        let sharp = GrayImage::from_fn(64, 64, |x, y| Luma([if (x / 4 + y / 4) % 2 == 0 { 0 } else { 255 }]));
        let smooth = GrayImage::from_fn(64, 64, |x, _| Luma([(x * 4) as u8]));
        assert!(laplacian_variance(&sharp) > 1000.0);
        assert!(laplacian_variance(&smooth) < 1.0);
    }
}
