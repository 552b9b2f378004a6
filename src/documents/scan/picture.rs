//! Images: decoded under hard limits (dimensions, pixels, and the memory every later step will
//! hold, counted by [`budget`](super::budget) from the header) so a decompression bomb is refused
//! before it is allocated, then re-encoded from pixels alone — which drops EXIF (with GPS), XMP,
//! comments, text chunks and anything appended — after applying the EXIF orientation.

use std::io::Cursor;

use image::codecs::png::PngEncoder;
use image::error::ImageError;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use jpeg_encoder::ColorType;

use super::super::model::FileKind;
use super::budget::{self, BoundedBuffer, Plan, Steps};
use crate::config::ScanSettings;

#[derive(Debug, PartialEq, Eq)]
pub enum PictureProblem {
    /// Over the limits: declared dimensions, pixel count or memory.
    TooLarge(String),
    /// Not decodable: truncated, corrupt or not the type it claims.
    Damaged(String),
}

/// Quality of re-encoded JPEGs: high enough that text on a document stays crisp.
const JPEG_QUALITY: u8 = 90;

/// Decodes the image once its header shows that every step fits the memory budget; `blur` says
/// whether the blur score will be computed. Answers the pixels and the plan they fit.
pub fn decode(
    bytes: &[u8],
    kind: FileKind,
    settings: &ScanSettings,
    blur: bool,
) -> Result<(DynamicImage, Plan), PictureProblem> {
    let format = match kind {
        FileKind::Png => image::ImageFormat::Png,
        FileKind::Jpeg => image::ImageFormat::Jpeg,
        FileKind::Pdf => return Err(PictureProblem::Damaged("a PDF is not an image".to_owned())),
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(settings.max_image_width);
    limits.max_image_height = Some(settings.max_image_height);
    limits.max_alloc = Some(settings.max_decode_alloc_bytes);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits.clone());
    let mut decoder = reader.into_decoder().map_err(problem)?;
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if pixels > settings.max_image_pixels {
        return Err(PictureProblem::TooLarge(format!("{width}×{height} is {pixels} pixels")));
    }
    let orientation = decoder.orientation().map_err(problem)?;
    let turns = matches!(
        orientation,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    );
    let steps = Steps { turns, blur };
    let plan = budget::plan(width, height, decoder.color_type(), kind, steps, settings.max_decode_alloc_bytes)
        .map_err(PictureProblem::TooLarge)?;
    limits.reserve(decoder.total_bytes()).map_err(problem)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(problem)?;
    image.apply_orientation(orientation);
    Ok((image, plan))
}

fn problem(error: ImageError) -> PictureProblem {
    match error {
        ImageError::Limits(_) => PictureProblem::TooLarge(error.to_string()),
        other => PictureProblem::Damaged(other.to_string()),
    }
}

/// The image encoded again from its pixels alone, in the type it came in, into at most
/// `output_cap` bytes. A 16-bit image is written with 8 bits per sample (its 16-bit pixels are
/// dropped first: the budget counts one copy, not two). JPEGs go through `jpeg-encoder`
/// (several times faster than `image`'s own encoder on 12-megapixel photos).
pub fn reencode(image: DynamicImage, kind: FileKind, output_cap: u64) -> Result<Vec<u8>, String> {
    let image = match image {
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(image.to_luma8()),
        DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLumaA8(image.to_luma_alpha8()),
        DynamicImage::ImageRgb16(_) | DynamicImage::ImageRgb32F(_) => DynamicImage::ImageRgb8(image.to_rgb8()),
        DynamicImage::ImageRgba16(_) | DynamicImage::ImageRgba32F(_) => DynamicImage::ImageRgba8(image.to_rgba8()),
        eight_bit => eight_bit,
    };
    let mut out = BoundedBuffer::new(output_cap);
    match kind {
        FileKind::Jpeg => {
            let side = |v: u32| u16::try_from(v).map_err(|_| format!("{v} pixels is too wide for JPEG"));
            let (width, height) = (side(image.width())?, side(image.height())?);
            let encoder = jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY);
            let result = match &image {
                DynamicImage::ImageLuma8(gray) => encoder.encode(gray.as_raw(), width, height, ColorType::Luma),
                DynamicImage::ImageRgb8(rgb) => encoder.encode(rgb.as_raw(), width, height, ColorType::Rgb),
                // A decoded JPEG is one of the two above; anything else is converted first.
                other => encoder.encode(other.to_rgb8().as_raw(), width, height, ColorType::Rgb),
            };
            result.map_err(|e| e.to_string())?;
        }
        _ => image.write_with_encoder(PngEncoder::new(&mut out)).map_err(|e| e.to_string())?,
    }
    Ok(out.into_inner())
}
