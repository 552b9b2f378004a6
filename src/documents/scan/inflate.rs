//! Inflating zlib data (PNG zTXt/iTXt chunks, PDF FlateDecode streams) with a ceiling, so a
//! tiny compressed bomb cannot make the scanner allocate gigabytes.

use std::io::Read;

use flate2::read::ZlibDecoder;

#[derive(Debug, PartialEq, Eq)]
pub enum InflateError {
    /// Not zlib data, or damaged.
    Invalid,
    /// Would expand beyond the ceiling.
    TooLarge,
}

pub fn inflate(data: &[u8], limit: u64) -> Result<Vec<u8>, InflateError> {
    let mut out = Vec::new();
    ZlibDecoder::new(data).take(limit + 1).read_to_end(&mut out).map_err(|_| InflateError::Invalid)?;
    if out.len() as u64 > limit { Err(InflateError::TooLarge) } else { Ok(out) }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::ZlibEncoder;

    use super::*;

    #[test]
    fn expansion_stops_at_the_ceiling() {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&vec![0_u8; 10 << 20]).unwrap();
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 20_000);
        assert_eq!(inflate(&bomb, 1 << 20), Err(InflateError::TooLarge));
        assert_eq!(inflate(&bomb, 10 << 20).unwrap().len(), 10 << 20);
        assert_eq!(inflate(b"not zlib", 100), Err(InflateError::Invalid));
    }
}
