//! The dashboard's figures are counted once for a few seconds and shared by every staff member
//! who opens it meanwhile; every view is still audited.

use tresor::identity::Role;

use crate::support::browser::spawn_app_at_public_url;
use crate::support::console::ConsoleHttp;

/// The `datetime` of the dashboard's "Counted at" time, and the transfers-today count.
fn figures(html: &str) -> (String, String) {
    let after = |marker: &str, end: char| {
        let start = html.find(marker).unwrap_or_else(|| panic!("no {marker} in {html}")) + marker.len();
        html[start..].split(end).next().unwrap().to_owned()
    };
    (after("<time datetime=\"", '"'), after("id=\"transfers-today\">", '<'))
}

#[actix_web::test]
async fn the_figures_are_counted_once_for_a_few_seconds_for_every_staff_member_and_every_view_is_audited() {
    let app = spawn_app_at_public_url(|f| f).await;
    let mut first = app.console_staff(&[Role::Admin]).await;
    let mut second = app.console_staff(&[Role::Support]).await;
    let mut first_console = ConsoleHttp::new(&app);
    first_console.sign_in(&mut first).await;
    let mut second_console = ConsoleHttp::new(&app);
    second_console.sign_in(&mut second).await;

    let page = first_console.get("/console").await;
    assert_eq!(page.status(), 200);
    let (counted_at, transfers) = figures(&page.text().await.unwrap());
    assert_eq!(transfers, "0");

    // A transfer now is in the figures once they are counted again, not before.
    let payer = app.customer().await;
    let from = app.funded(&payer, "EUR", 10_000).await;
    let to = app.funded(&payer, "EUR", 0).await;
    app.transferred(&payer, &from, &to, 2_500).await;
    let shared = second_console.get("/console").await.text().await.unwrap();
    assert_eq!(figures(&shared), (counted_at.clone(), "0".to_owned()), "the figures counted for the first view");

    let fresh_for = tresor::staff::dashboard::FIGURES_FRESH_FOR;
    tokio::time::sleep(fresh_for + std::time::Duration::from_millis(200)).await;
    let recounted = first_console.get("/console").await.text().await.unwrap();
    let (again_at, transfers) = figures(&recounted);
    assert!(again_at > counted_at, "{again_at} after {counted_at}");
    assert_eq!(transfers, "1");

    let views = app.audit_actions("admin.dashboard.read").await;
    let by = |id: &str| views.iter().filter(|v| v["actor_id"] == id).count();
    assert_eq!((by(&first.id), by(&second.id)), (2, 1), "{views:?}");
}
