//! Real files made on the spot: PNG and JPEG from the `image` crate (then edited at the byte
//! level to carry metadata, text chunks, comments or bombs), and PDFs written by hand.

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, RgbImage};
use tresor::documents::scan::signatures::EICAR;

/// Deterministic noise (xorshift), so fixtures are the same on every run.
pub struct Noise(u64);

impl Noise {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Looks like a printed page: dark "letters" (small blocks) on a light background — sharp edges.
pub fn document_image(width: u32, height: u32) -> RgbImage {
    let mut noise = Noise::new(u64::from(width) * 31 + u64::from(height));
    let cells: Vec<bool> = (0..(width / 6 + 1) * (height / 6 + 1)).map(|_| noise.next().is_multiple_of(3)).collect();
    RgbImage::from_fn(width, height, |x, y| {
        let ink = cells[((y / 6) * (width / 6 + 1) + x / 6) as usize] && (y / 6) % 3 != 2;
        if ink { image::Rgb([20, 20, 30]) } else { image::Rgb([235, 235, 225]) }
    })
}

/// A soft gradient with no edges at all: what a badly out-of-focus photo looks like.
pub fn blurry_image(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let v = (100 + (x * 60 / width) + (y * 40 / height)) as u8;
        image::Rgb([v, v, v])
    })
}

pub fn png(image: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

pub fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 92)).unwrap();
    out
}

/// Inserts a JPEG segment right after SOI.
pub fn with_jpeg_segment(jpeg: &[u8], marker: u8, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len() + 2).unwrap().to_be_bytes();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, marker, len[0], len[1]]);
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A JPEG carrying an EXIF segment with a GPS position in it.
pub fn jpeg_with_gps(image: &RgbImage, gps: &str) -> Vec<u8> {
    let mut exif = b"Exif\0\0II*\0\x08\0\0\0\0\0".to_vec();
    exif.extend_from_slice(gps.as_bytes());
    with_jpeg_segment(&jpeg(image), 0xE1, &exif)
}

pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
    out
}

/// Inserts a chunk just before IEND (the last 12 bytes).
pub fn with_png_chunk(png: &[u8], kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let (body, iend) = png.split_at(png.len() - 12);
    [body, &png_chunk(kind, data), iend].concat()
}

pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

pub fn png_with_text(png: &[u8], kind: &str, text: &[u8]) -> Vec<u8> {
    match kind {
        "tEXt" => with_png_chunk(png, b"tEXt", &[b"Comment\0".as_slice(), text].concat()),
        "zTXt" => with_png_chunk(png, b"zTXt", &[b"Comment\0\0".as_slice(), &zlib(text)].concat()),
        _ => with_png_chunk(png, b"iTXt", &[b"Comment\0\x01\0en\0\0".as_slice(), &zlib(text)].concat()),
    }
}

/// A tiny PNG that declares `width`×`height` pixels: a decompression bomb.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grayscale
    let idat = zlib(&vec![0; 64 * 1024]);
    [b"\x89PNG\r\n\x1a\n".as_slice(), &png_chunk(b"IHDR", &ihdr), &png_chunk(b"IDAT", &idat), &png_chunk(b"IEND", b"")]
        .concat()
}

/// `<< /Length n extra >> stream … endstream`.
pub fn stream(extra: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("<< /Length {} {extra} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

/// A one-page PDF with `catalog_extra` in its catalog and `objects` numbered from 5 on; object
/// 4 is the page's content stream showing `text`.
pub fn pdf(catalog_extra: &str, text: &str, objects: &[Vec<u8>]) -> Vec<u8> {
    let content = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
    let mut bodies: Vec<Vec<u8>> = vec![
        format!("<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>").into_bytes(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
        stream("", content.as_bytes()),
    ];
    bodies.extend(objects.iter().cloned());
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", bodies.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", bodies.len() + 1).as_bytes(),
    );
    out
}

pub fn plain_pdf(text: &str) -> Vec<u8> {
    pdf("", text, &[])
}

pub const EICAR_BYTES: &[u8] = EICAR.as_bytes();

/// A JPEG whose EXIF says "rotate 90° clockwise to display" (orientation 6).
pub fn jpeg_rotated(image: &RgbImage) -> Vec<u8> {
    let exif = b"Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0";
    with_jpeg_segment(&jpeg(image), 0xE1, exif)
}
