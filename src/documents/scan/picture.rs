//! Images: decoded under hard limits (dimensions, pixels, memory) so a decompression bomb is
//! refused before it is allocated, then re-encoded from pixels alone — which drops EXIF (with
//! GPS), XMP, comments, text chunks and anything appended — after applying the EXIF orientation.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::error::ImageError;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use super::super::model::FileKind;
use super::super::settings::ScanSettings;

#[derive(Debug, PartialEq, Eq)]
pub enum PictureProblem {
    /// Over the limits: declared dimensions, pixel count or memory.
    TooLarge(String),
    /// Not decodable: truncated, corrupt or not the type it claims.
    Damaged(String),
}

/// Quality of re-encoded JPEGs: high enough that text on a document stays crisp.
const JPEG_QUALITY: u8 = 90;

pub fn decode(bytes: &[u8], kind: FileKind, settings: &ScanSettings) -> Result<DynamicImage, PictureProblem> {
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
    limits.reserve(decoder.total_bytes()).map_err(problem)?;
    let orientation = decoder.orientation().map_err(problem)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(problem)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn problem(error: ImageError) -> PictureProblem {
    match error {
        ImageError::Limits(_) => PictureProblem::TooLarge(error.to_string()),
        other => PictureProblem::Damaged(other.to_string()),
    }
}

/// The image encoded again from its pixels alone, in the type it came in.
pub fn reencode(image: &DynamicImage, kind: FileKind) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    match kind {
        FileKind::Jpeg => {
            let encoder = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            if image.color().has_alpha() {
                // JPEG has no alpha (a decoded JPEG never has one; this is only defensive).
                image.to_rgb8().write_with_encoder(encoder)?;
            } else {
                image.write_with_encoder(encoder)?;
            }
        }
        _ => image.write_with_encoder(PngEncoder::new(&mut out))?,
    }
    Ok(out)
}
