//! actix's extractor errors, re-rendered as problems that say what was wrong with the input.

use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::{HttpRequest, web};

use crate::error::{Error, Kind, Problem};

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |error, _req| Error::from(json_problem(&error, limit)).into())
}

pub fn payload_config(limit: usize) -> web::PayloadConfig {
    web::PayloadConfig::new(limit)
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error, req| Error::from(path_problem(&error, req)).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _req| Error::from(query_problem(&error)).into())
}

fn json_problem(error: &JsonPayloadError, limit: usize) -> Problem {
    match error {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            Problem::new(Kind::TooLarge, "payload-too-large", format!("the JSON body is larger than {limit} bytes"))
        }
        JsonPayloadError::ContentType => {
            Problem::new(Kind::UnsupportedType, "unsupported-media-type", "send the body as application/json")
        }
        JsonPayloadError::Deserialize(inner) if inner.is_data() => {
            Problem::bad_request(format!("the JSON body does not match this endpoint: {inner}"))
        }
        JsonPayloadError::Deserialize(inner) => Problem::bad_request(format!("the body is not valid JSON: {inner}")),
        JsonPayloadError::Payload(PayloadError::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut => {
            crate::http::problems::with_status(
                actix_web::http::StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                "the request body did not arrive in time",
            )
        }
        JsonPayloadError::Payload(PayloadError::Overflow) => {
            Problem::new(Kind::TooLarge, "payload-too-large", format!("the JSON body is larger than {limit} bytes"))
        }
        other => Problem::bad_request(format!("the request body could not be read: {other}")),
    }
}

fn path_problem(error: &PathError, req: &HttpRequest) -> Problem {
    let PathError::Deserialize(inner) = error else {
        return Problem::bad_request("the path is malformed");
    };
    Problem::bad_request(format!("{}: a path segment is malformed: {inner}", req.path()))
}

fn query_problem(error: &QueryPayloadError) -> Problem {
    match error {
        QueryPayloadError::Deserialize(inner) => Problem::bad_request(format!("the query string is invalid: {inner}")),
        _ => Problem::bad_request("the query string is invalid"),
    }
}
