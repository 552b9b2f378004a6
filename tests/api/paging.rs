//! `?limit=` and `?cursor=` on the customer lists that are read whole (accounts, documents, a
//! document's versions): pages walk the list once, in order, and bad values are 400 problems.

use serde_json::Value;

use crate::support::documents;
use crate::support::ledger::approved;
use crate::support::{TestApp, assert_problem, spawn_app};

/// Every page of `path`, `limit` items at a time: the ids in order, and how many pages.
async fn walk(app: &TestApp, token: &str, path: &str, limit: u32, key: &str) -> (Vec<String>, usize) {
    let (mut seen, mut pages, mut cursor) = (Vec::new(), 0, None::<String>);
    loop {
        let url = match &cursor {
            None => format!("{path}?limit={limit}"),
            Some(c) => format!("{path}?limit={limit}&cursor={c}"),
        };
        let page: Value = app.get_authed(&url, token).await.json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit as usize);
        seen.extend(items.iter().map(|item| item[key].to_string()));
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (seen, pages),
        }
    }
}

async fn refuses_bad_paging(app: &TestApp, token: &str, path: &str) {
    for query in ["limit=0", "limit=201", "limit=x", "cursor=not-one-of-ours", "page=2"] {
        let response = app.get_authed(&format!("{path}?{query}"), token).await;
        assert_problem(response, 400, "invalid-request").await;
    }
}

#[actix_web::test]
async fn accounts_come_in_pages() {
    let app = spawn_app().await;
    let customer = approved(&app).await;
    for currency in ["USD", "EUR", "GBP", "CHF", "JPY"] {
        let body = serde_json::json!({"kind": "checking", "currency": currency});
        assert_eq!(app.post_authed("/v1/accounts", &customer.access, &body).await.status(), 201);
    }
    let all: Value = app.get_authed("/v1/accounts", &customer.access).await.json().await.unwrap();
    let in_order: Vec<String> = all["items"].as_array().unwrap().iter().map(|a| a["id"].to_string()).collect();
    assert_eq!((in_order.len(), &all["next_cursor"]), (5, &Value::Null), "the default limit is 50");
    let (paged, pages) = walk(&app, &customer.access, "/v1/accounts", 2, "id").await;
    assert_eq!((paged, pages), (in_order, 3));
    refuses_bad_paging(&app, &customer.access, "/v1/accounts").await;
}

#[actix_web::test]
async fn documents_and_a_documents_versions_come_in_pages() {
    let app = spawn_app().await;
    let user = app.signed_in().await;
    for name in ["a", "b", "c"] {
        app.upload_document(&user, "other", Some(name), &documents::plain_pdf(name)).await;
    }
    let mut document = Value::Null;
    for month in ["March", "April", "May"] {
        document = app.upload_document(&user, "proof_of_address", Some("bill"), &documents::plain_pdf(month)).await;
    }
    let (names, pages) = walk(&app, &user.access, "/v1/documents", 3, "name").await;
    assert_eq!(names, ["\"a\"", "\"b\"", "\"c\"", "\"bill\""], "oldest document first");
    assert_eq!(pages, 2);
    let versions = format!("/v1/documents/{}/versions", document["id"].as_str().unwrap());
    let (numbers, pages) = walk(&app, &user.access, &versions, 1, "version").await;
    assert_eq!((numbers, pages), (vec!["3".to_owned(), "2".to_owned(), "1".to_owned()], 3), "newest first");
    refuses_bad_paging(&app, &user.access, "/v1/documents").await;
    refuses_bad_paging(&app, &user.access, &versions).await;
}
