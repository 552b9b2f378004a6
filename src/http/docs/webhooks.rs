//! The OpenAPI 3.1 `webhooks`: one entry per event type, each a POST of the `Event` body with
//! the Standard Webhooks headers, as receivers see it (docs/events.md has a verifier).

use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::{
    ContentBuilder, HttpMethod, ObjectBuilder, PathItem, PathsBuilder, Ref, Required, Response, Type,
};

use crate::events::EventType;

const HEADERS: [(&str, &str); 3] = [
    ("webhook-id", "The event id: the same on every attempt; deduplicate on it."),
    ("webhook-timestamp", "Unix seconds when this attempt was signed; refuse ones far from now."),
    (
        "webhook-signature",
        "`v1,<base64 HMAC-SHA256 of \"{webhook-id}.{webhook-timestamp}.{body}\">` under the secret's bytes (the base64 after `whsec_`); two, space-separated, while a rotated secret overlaps.",
    ),
];

pub fn add(openapi: &mut utoipa::openapi::OpenApi) {
    let mut webhooks = PathsBuilder::new();
    for kind in EventType::ALL {
        let parameters = HEADERS.iter().map(|(name, description)| {
            ParameterBuilder::new()
                .name(*name)
                .parameter_in(ParameterIn::Header)
                .required(Required::True)
                .description(Some(*description))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build()
        });
        let body = RequestBodyBuilder::new()
            .required(Some(Required::True))
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Event"))).build())
            .build();
        let operation = OperationBuilder::new()
            .operation_id(Some(format!("webhook_{}", kind.name().replace('.', "_"))))
            .tag("webhooks")
            .summary(Some(kind.name()))
            .description(Some(format!("{} The body's `type` is `{}`.", kind.summary(), kind.name())))
            .parameters(Some(parameters))
            .request_body(Some(body))
            .response("200", Response::new("Any 2xx within 10 s acknowledges the delivery; anything else is retried."))
            .build();
        webhooks = webhooks.path(kind.name(), PathItem::new(HttpMethod::Post, operation));
    }
    openapi.webhooks = Some(webhooks.build());
}
