//! The OpenAPI document describes every back-office endpoint with its problem responses.

use crate::support::spawn_app;

#[actix_web::test]
async fn the_openapi_document_describes_every_back_office_endpoint_and_its_problems() {
    let app = spawn_app().await;
    let doc = app.openapi().await;
    for (path, method, statuses) in [
        ("/v1/admin/accounts", "get", &["200", "400", "401", "403"][..]),
        ("/v1/admin/accounts/{id}", "get", &["200", "400", "401", "403", "404"]),
        ("/v1/admin/accounts/{id}/transactions", "get", &["200", "400", "401", "403", "404"]),
        ("/v1/admin/accounts/{id}/freeze", "post", &["200", "400", "401", "403", "404", "409", "422"]),
        ("/v1/admin/accounts/{id}/unfreeze", "post", &["200", "400", "401", "403", "404", "409", "422"]),
        ("/v1/admin/accounts/{id}/close", "post", &["200", "400", "401", "403", "404", "422"]),
        ("/v1/admin/users/{id}/identity", "get", &["200", "400", "401", "403", "404"]),
        ("/v1/admin/users/{id}/mfa/reset", "post", &["202", "400", "401", "403", "404", "409"]),
        ("/v1/admin/transactions/{id}/reverse", "post", &["201", "202", "400", "401", "403", "404", "409", "422"]),
        ("/v1/admin/approvals", "get", &["200", "400", "401", "403"]),
        ("/v1/admin/approvals/{id}/approve", "post", &["200", "400", "401", "403", "404", "409", "422"]),
        ("/v1/admin/approvals/{id}/reject", "post", &["200", "400", "401", "403", "404", "409"]),
        ("/v1/admin/cases", "get", &["200", "400", "401", "403"]),
        ("/v1/admin/cases/{id}", "get", &["200", "400", "401", "403", "404"]),
        ("/v1/admin/cases/{id}/assign", "post", &["200", "400", "401", "403", "404", "409", "422"]),
        ("/v1/admin/cases/{id}/notes", "post", &["200", "400", "401", "403", "404"]),
        ("/v1/admin/cases/{id}/resolve", "post", &["200", "400", "401", "403", "404", "409", "422"]),
        ("/v1/admin/notifications/{id}/ack", "post", &["204", "400", "401", "403", "404"]),
    ] {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not described");
        for status in statuses {
            let response = &operation["responses"][*status];
            assert!(response.is_object(), "{method} {path} lacks {status}");
            if status.starts_with('4') {
                assert!(response["content"]["application/problem+json"].is_object(), "{method} {path} {status}");
            }
        }
    }
    let kinds = &doc["components"]["schemas"]["TransactionKind"]["enum"];
    assert!(kinds.as_array().unwrap().iter().any(|k| k == "reversal"), "{kinds}");
}
