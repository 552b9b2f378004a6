//! `[documents]` and `[scan]` settings, read by the documents service and its scanner.

use secrecy::SecretString;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSettings {
    /// Where the encrypted files live: the local folder, or an S3-compatible bucket.
    pub store: DocumentBackend,
    /// Folder of the local store; empty = `<data_dir>/documents`.
    pub dir: String,
    /// The bucket, when `store = "s3"`.
    pub s3: S3Settings,
    /// Largest upload accepted, in bytes; refused as soon as the stream passes it.
    pub max_upload_bytes: u64,
    /// How long a signed download link stays valid.
    pub link_ttl_secs: u64,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DocumentBackend {
    Local,
    S3,
}

/// `[documents.s3]`: an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, s3s-fs, ...).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    pub bucket: String,
    /// Objects are `<prefix>/<key>`; empty = the bucket's root.
    pub prefix: String,
    pub region: String,
    /// Empty = AWS's endpoint for the region; e.g. `https://minio.internal:9000`.
    pub endpoint: String,
    /// Empty = from the environment (`AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, roles).
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// `endpoint/bucket/key` requests (most S3-compatible servers); false = `bucket.endpoint/key`.
    pub path_style: bool,
    /// Allows a plain `http://` endpoint (a local test server); refused in production.
    pub allow_http: bool,
    /// Seconds one request (retries included) may take before it fails.
    pub timeout_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSettings {
    /// Widest and tallest image the decoder will even start on.
    pub max_image_width: u32,
    pub max_image_height: u32,
    /// Most pixels (width × height) an image may declare.
    pub max_image_pixels: u64,
    /// Most memory one image scan may hold, in bytes: decoded pixels, every copy a later step
    /// makes and the re-encoded file, counted from the header before decoding.
    pub max_decode_alloc_bytes: u64,
    /// Identity documents must be at least this large (long side × short side, in pixels).
    pub min_long_side: u32,
    pub min_short_side: u32,
    /// Identity photos whose variance of the Laplacian is below this are too blurry to read.
    pub blur_threshold: f64,
    /// Most bytes one file's compressed streams or text chunks may expand to, together, while
    /// being inspected.
    pub max_inflated_bytes: u64,
    /// Largest PDF the scanner inspects; a larger one is refused as uninspectable.
    pub pdf_max_bytes: u64,
    /// Longest the PDF object parser may take, in milliseconds, before the file is refused.
    pub pdf_parse_timeout_ms: u64,
    /// Most scans one process runs at once (each holds up to `max_decode_alloc_bytes`); the
    /// others wait their turn.
    pub concurrency: u32,
    /// clamd's socket: a unix path (`/run/clamav/clamd.ctl`) or `host:port`; empty = not asked.
    pub clamd: String,
    /// Seconds to wait for clamd before the scan fails (and is retried).
    pub clamd_timeout_secs: u64,
}
