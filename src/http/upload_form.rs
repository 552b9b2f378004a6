//! Reading `POST /v1/documents`'s multipart body: `document_type`, then `name` (optional), then
//! `file`, last. The small fields are read with a hard cap; the file is handed on as a stream,
//! never gathered in memory. Every wrong shape is a 400 (415 when it is not multipart at all)
//! naming what is wrong.

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::http::header;
use actix_web::mime;
use actix_web::web::Bytes;
use futures::{Stream, StreamExt};

use crate::documents::DocumentType;
use crate::error::{Error, FieldErrors, Kind, Problem};

/// What the client must send; repeated in every shape error.
pub const SHAPE: &str =
    "send multipart/form-data with the fields `document_type`, optionally `name`, and `file` last (the file itself)";

/// Largest `document_type` or `name` field accepted (a name is at most 120 characters).
const TEXT_LIMIT: usize = 1024;

/// The fields before `file`, and the multipart stream positioned at `file`.
pub struct UploadForm {
    pub document_type: DocumentType,
    pub name: Option<String>,
    pub file: Field,
    pub rest: Multipart,
}

pub fn shape_error(detail: impl Into<String>) -> Error {
    Problem::bad_request(format!("{}; {SHAPE}", detail.into())).into()
}

fn field_error(field: &str, message: impl Into<String>) -> Error {
    let errors: FieldErrors = [(field.to_owned(), vec![message.into()])].into_iter().collect();
    Problem::invalid_fields(errors).into()
}

/// 415 unless the request says `multipart/form-data` with a boundary.
pub fn check_content_type(headers: &header::HeaderMap) -> Result<(), Error> {
    let raw = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime: Option<mime::Mime> = raw.parse().ok();
    let ok = mime.as_ref().is_some_and(|m| {
        m.type_() == mime::MULTIPART && m.subtype() == mime::FORM_DATA && m.get_param(mime::BOUNDARY).is_some()
    });
    if ok {
        return Ok(());
    }
    let seen = if raw.is_empty() { "no Content-Type".to_owned() } else { format!("Content-Type {raw:?}") };
    Err(Problem::new(
        Kind::UnsupportedType,
        "unsupported-media-type",
        format!("this endpoint takes multipart/form-data with a boundary, not {seen}; {SHAPE}"),
    )
    .into())
}

fn multipart_error(error: &MultipartError) -> Error {
    shape_error(format!("the multipart body could not be read ({error})"))
}

/// Reads the fields up to `file`.
pub async fn read(mut multipart: Multipart) -> Result<UploadForm, Error> {
    let mut document_type: Option<DocumentType> = None;
    let mut name: Option<String> = None;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| multipart_error(&e))?;
        let field_name = field.name().unwrap_or("").to_owned();
        match field_name.as_str() {
            "document_type" if document_type.is_some() => return Err(shape_error("`document_type` was sent twice")),
            "document_type" => {
                let text = text(&mut field, "document_type").await?;
                document_type = Some(DocumentType::parse(&text).map_err(|e| field_error("document_type", e))?);
            }
            "name" if name.is_some() => return Err(shape_error("`name` was sent twice")),
            "name" => name = Some(text(&mut field, "name").await?),
            "file" => {
                let document_type = document_type.ok_or_else(|| {
                    field_error("document_type", "`document_type` is required and must come before `file`")
                })?;
                return Ok(UploadForm { document_type, name, file: field, rest: multipart });
            }
            "" => return Err(shape_error("a part has no field name")),
            other => return Err(shape_error(format!("unknown field {:?}", truncate(other)))),
        }
    }
    Err(match document_type {
        None => field_error("document_type", "`document_type` is required"),
        Some(_) => field_error("file", "`file` is required"),
    })
}

fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

/// A small text field, refused (without reading further) past [`TEXT_LIMIT`] bytes.
async fn text(field: &mut Field, name: &str) -> Result<String, Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| multipart_error(&e))?;
        if bytes.len() + chunk.len() > TEXT_LIMIT {
            return Err(field_error(name, format!("`{name}` must be at most {TEXT_LIMIT} bytes")));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| field_error(name, format!("`{name}` must be UTF-8 text")))
}

/// The `file` part's bytes; after its last byte, anything but the end of the body is an error
/// (so the upload is not recorded): `file` must be the last part.
pub fn file_stream(file: Field, rest: Multipart) -> impl Stream<Item = Result<Bytes, String>> + Unpin {
    enum State {
        File(Box<(Field, Multipart)>),
        Done,
    }
    Box::pin(futures::stream::unfold(State::File(Box::new((file, rest))), |state| async move {
        let State::File(parts) = state else { return None };
        let (mut file, mut rest) = *parts;
        match file.next().await {
            Some(Ok(bytes)) => Some((Ok(bytes), State::File(Box::new((file, rest))))),
            Some(Err(error)) => Some((Err(format!("the multipart body is broken ({error})")), State::Done)),
            None => {
                drop(file);
                match rest.next().await {
                    None => None,
                    Some(Ok(_)) => Some((Err(format!("`file` must be the last part; {SHAPE}")), State::Done)),
                    Some(Err(error)) => {
                        Some((Err(format!("the multipart body is broken after `file` ({error})")), State::Done))
                    }
                }
            }
        }
    }))
}
