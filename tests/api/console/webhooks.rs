//! Webhook endpoints managed through the console in a real browser, delivering to a real HTTP
//! receiver: registered with its secret shown once, a delivery verified with that secret and
//! sent again, disabled and enabled, a new secret, changed and deleted — each step checked in
//! the domain and the audit log.

use std::time::Duration;

use fantoccini::Locator;
use figment::providers::Serialized;
use tresor::identity::Role;

use crate::events::receiver::{Receiver, verifies};
use crate::events::{Outflow, quick};
use crate::support::browser::{Browser, spawn_app_at_public_url};
use crate::support::console::{browser_sign_in, fill, open_at, screenshot};
use crate::support::jobs::eventually;
use crate::support::ledger::{caller, open};

async fn text_of(browser: &Browser, css: &str) -> String {
    browser.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.unwrap()
}

/// Replaces what the field `css` holds with `text`.
async fn replace(browser: &Browser, css: &str, text: &str) {
    browser.client.find(Locator::Css(css)).await.unwrap().clear().await.unwrap();
    fill(browser, css, text).await;
}

#[actix_web::test]
async fn staff_register_watch_redeliver_disable_rotate_change_and_delete_a_webhook_in_the_console() {
    let Some(browser) = Browser::start().await else { return };
    let app =
        spawn_app_at_public_url(|f| quick(f).merge(Serialized::default("webhooks.allow_private_targets", true))).await;
    let outflow = Outflow::start(&app);
    let receiver = Receiver::start(&[]);
    let mut admin = app.console_staff(&[Role::Admin]).await;
    browser_sign_in(&browser, &app, &mut admin).await;

    // Register: the secret is on the answer's page, once.
    open_at(&browser, &app, "/console/webhooks", "#register").await;
    fill(&browser, "#webhook-url", &receiver.url).await;
    replace(&browser, "#webhook-events", "account.opened").await;
    fill(&browser, "#webhook-description", "the ledger mirror").await;
    browser.click_through(Locator::Css("#register-endpoint")).await;
    let secret = text_of(&browser, "#webhook-secret").await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let endpoints = app.state.webhooks.list(&tresor::audit::Actor::system()).await.unwrap();
    assert_eq!(endpoints.len(), 1);
    let id = endpoints[0].id;

    // An account opened: delivered, signed with the secret the page showed.
    open(&app, &caller(), "USD").await;
    let received = receiver.wait_for(1, Duration::from_secs(20)).await;
    assert!(verifies(&secret, &received[0]), "the delivery is signed with the secret shown");
    browser.click_through(Locator::LinkText("Go to the endpoint")).await;
    let endpoint_page = format!("/console/webhooks/{id}");
    eventually(Duration::from_secs(20), "the delivery shown as delivered", async || {
        open_at(&browser, &app, &endpoint_page, "#deliveries").await;
        text_of(&browser, "#deliveries tbody").await.contains("delivered")
    })
    .await;
    screenshot(&browser, "webhook").await;

    // Send it again: the same event, once more.
    browser.click_through(Locator::Css("#deliveries .redeliver")).await;
    assert!(browser.body_text().await.contains("will be sent again"));
    let again = receiver.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(again[1].id, again[0].id, "the same event id");

    // Disable, then enable.
    browser.click_through(Locator::Css("#disable")).await;
    assert!(text_of(&browser, "#endpoint-state").await.contains("disabled"));
    assert!(!app.state.webhooks.get(&tresor::audit::Actor::system(), id).await.unwrap().enabled);
    browser.click_through(Locator::Css("#enable")).await;
    assert_eq!(text_of(&browser, "#endpoint-state").await, "enabled");

    // A new secret, shown once; the next delivery carries its signature.
    browser.click_through(Locator::Css("#rotate-secret")).await;
    let rotated = text_of(&browser, "#webhook-secret").await;
    assert!(rotated.starts_with("whsec_") && rotated != secret);
    open(&app, &caller(), "USD").await;
    let third = receiver.wait_for(3, Duration::from_secs(20)).await;
    assert!(verifies(&rotated, &third[2]) && verifies(&secret, &third[2]), "both secrets sign during the overlap");

    // Change the events and the description.
    open_at(&browser, &app, &endpoint_page, "#change").await;
    replace(&browser, "#change-events", "*").await;
    replace(&browser, "#change-description", "every event").await;
    browser.click_through(Locator::Css("#save-endpoint")).await;
    assert!(browser.body_text().await.contains("The endpoint was changed"));
    let changed = app.state.webhooks.get(&tresor::audit::Actor::system(), id).await.unwrap();
    assert_eq!((changed.events, changed.description.as_deref()), (vec!["*".to_owned()], Some("every event")));

    // Delete.
    browser.click_through(Locator::Css("#delete-endpoint")).await;
    assert!(text_of(&browser, "#endpoints").await.contains("No webhook endpoints"));
    assert!(app.state.webhooks.list(&tresor::audit::Actor::system()).await.unwrap().is_empty());

    let staff_id = Some(admin.id.clone());
    for action in
        ["webhook.created", "webhook.redelivered", "webhook.updated", "webhook.secret_rotated", "webhook.deleted"]
    {
        let entries = app.audit_actions(action).await;
        assert!(entries.iter().any(|e| e["actor_id"].as_str() == staff_id.as_deref()), "{action}: {entries:?}");
    }
    outflow.stop().await;
    browser.close().await;
}
