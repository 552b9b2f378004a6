use tresor::notifications;

use crate::support::spawn_app;

#[actix_web::test]
async fn notifications_are_listed_newest_first_in_pages() {
    let app = spawn_app().await;
    let db = &app.state.db;
    for n in 0..3 {
        let mut tx = db.begin().await.unwrap();
        notifications::notify(&mut tx, notifications::KYC_SUBMITTED, "user", &n.to_string(), "review me")
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let first = app.state.notifications.list(2, None, true).await.unwrap();
    assert_eq!(first.iter().map(|n| n.subject_id.as_str()).collect::<Vec<_>>(), ["2", "1"]);
    let rest = app.state.notifications.list(2, Some(first[1].id), true).await.unwrap();
    assert_eq!(rest.iter().map(|n| n.subject_id.as_str()).collect::<Vec<_>>(), ["0"]);
}
