//! The upload form's field reader over any multipart body (fixed boundary): the fields before
//! `file`, then the file's bytes and whatever follows them.
#![no_main]

use actix_multipart::Multipart;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::web::Bytes;
use futures::StreamExt;
use libfuzzer_sys::fuzz_target;
use tresor::http::upload_form::{file_stream, read};

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("multipart/form-data; boundary=XyZ"));
    // The body arrives in pieces, as from a socket.
    let pieces: Vec<Result<Bytes, actix_web::error::PayloadError>> =
        data.chunks(7).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    let multipart = Multipart::new(&headers, futures::stream::iter(pieces));
    futures::executor::block_on(async {
        if let Ok(form) = read(multipart).await {
            let mut file = file_stream(form.file, form.rest);
            while let Some(piece) = file.next().await {
                if piece.is_err() {
                    break;
                }
            }
        }
    });
});
