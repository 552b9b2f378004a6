//! The OpenAPI document (generated from the handlers, so it cannot drift) and the Swagger UI,
//! whose assets are compiled into the binary: it renders with no network.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_swagger_ui::{Config, SwaggerUi};

use super::known_routes::KnownRoutes;

use crate::error::Problem;

mod standard;
mod webhooks;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tresor",
        description = "Retail-banking API: identity, KYC, accounts and money. Errors are \
                       application/problem+json (RFC 9457); `type` is `/problems/<slug>`.",
    ),
    components(schemas(Problem, crate::events::Event, crate::events::EventType)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        // The card network's endpoints: the key of `[cards] network_api_key`.
        components.add_security_scheme(
            "network_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Adds the responses every operation has by construction ([`standard`]), then gives every
/// response without words its status's reason phrase: OpenAPI 3.1 requires a description on
/// each response, and a handler that only names a status should not make the whole document
/// invalid.
pub fn complete(openapi: &mut utoipa::openapi::OpenApi) {
    standard::add(openapi);
    webhooks::add(openapi);
    for item in openapi.paths.paths.values_mut() {
        for operation in standard::operations(item) {
            for (status, response) in operation.responses.responses.iter_mut() {
                if let utoipa::openapi::RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    let reason = status
                        .parse::<u16>()
                        .ok()
                        .and_then(|code| actix_web::http::StatusCode::from_u16(code).ok())
                        .and_then(|code| code.canonical_reason());
                    response.description = reason.unwrap_or("response").to_owned();
                }
            }
        }
    }
}

/// Marks operations that are kept only as aliases deprecated (`(path, method)`, the method in
/// lower case). Rust's `#[deprecated]`, which utoipa also reads, would warn wherever actix
/// registers the handler.
pub fn deprecate(openapi: &mut utoipa::openapi::OpenApi, operations: &[(&str, &str)]) {
    for (path, method) in operations {
        let Some(item) = openapi.paths.paths.get_mut(*path) else { continue };
        let operation = match *method {
            "get" => &mut item.get,
            "post" => &mut item.post,
            "put" => &mut item.put,
            "patch" => &mut item.patch,
            "delete" => &mut item.delete,
            _ => continue,
        };
        if let Some(operation) = operation {
            operation.deprecated = Some(utoipa::openapi::Deprecated::True);
        }
    }
}

/// The API description the HTTP workers of one process serve: built once from the route list
/// and shared. The `OpenApi` itself (megabytes of nested maps) is dropped once serialized; what
/// stays is the serialized document and the route table the 404/405 answer reads.
pub struct Described {
    json: web::Bytes,
    pub known: web::Data<KnownRoutes>,
}

impl Described {
    pub fn of(mut openapi: utoipa::openapi::OpenApi, deprecated: &[(&str, &str)]) -> Self {
        complete(&mut openapi);
        deprecate(&mut openapi, deprecated);
        let known = web::Data::new(KnownRoutes::from_openapi(&openapi));
        let json = match serde_json::to_vec(&openapi) {
            Ok(json) => web::Bytes::from(json),
            Err(error) => {
                tracing::error!(%error, "could not serialize the OpenAPI document; /openapi.json answers it empty");
                web::Bytes::new()
            }
        };
        Self { json, known }
    }
}

/// `/docs/` (the UI) and `/openapi.json` (the document it shows).
pub fn routes(described: &Described) -> impl FnOnce(&mut web::ServiceConfig) {
    let json = described.json.clone();
    move |cfg| {
        cfg.route(
            "/docs",
            web::get()
                .to(|| async { HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish() }),
        );
        cfg.route(
            "/openapi.json",
            web::get().to(move || {
                let json = json.clone();
                async move { HttpResponse::Ok().content_type(ContentType::json()).body(json) }
            }),
        );
        cfg.service(SwaggerUi::new("/docs/{_:.*}").config(Config::new(["/openapi.json"])));
    }
}
