//! The console's templates (a [`TemplateSet`]), compiled into the binary: values reach the page
//! only as escaped text.

use minijinja::UndefinedBehavior;

use crate::error::Error;
use crate::http::template_set::TemplateSet;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../../../web/console/", $name)))),*]
    };
}

const TEMPLATES: [(&str, &str); 20] = templates!(
    "layout.html",
    "refused.html",
    "sign_in.html",
    "enrol.html",
    "dashboard.html",
    "kyc_queue.html",
    "kyc_review.html",
    "users.html",
    "user.html",
    "accounts.html",
    "account.html",
    "approvals.html",
    "cases.html",
    "case.html",
    "audit.html",
    "security_events.html",
    "jobs.html",
    "webhooks.html",
    "webhook.html",
    "webhook_secret.html",
);

/// Minor units as a decimal amount (2 decimals; the ledger's currencies all have 2).
fn money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// An RFC 3339 time as `YYYY-MM-DD HH:MM` UTC.
fn when(raw: Option<String>) -> String {
    match raw {
        Some(raw) => chrono::DateTime::parse_from_rfc3339(&raw)
            .map(|t| t.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or(raw),
        None => String::new(),
    }
}

static SET: TemplateSet = TemplateSet::new(&TEMPLATES, |env| {
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.add_filter("money", money);
    env.add_filter("when", when);
});

/// Renders `name` with `context`.
pub fn render(name: &str, context: serde_json::Value) -> Result<String, Error> {
    SET.render(name, context)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn money_and_times_read_as_people_write_them() {
        assert_eq!(super::money(123_456), "1234.56");
        assert_eq!(super::money(-5), "-0.05");
        assert_eq!(super::when(Some("2026-12-04T23:59:01.000001Z".into())), "2026-12-04 23:59");
    }

    #[test]
    fn every_template_parses_and_escapes_html() {
        let page =
            super::render("refused.html", json!({"title": "<script>x</script>", "message": "<b>m</b>"})).unwrap();
        assert!(page.contains("&lt;script&gt;x") && !page.contains("<script>x"));
        assert!(!page.contains("<b>m</b>"));
    }
}
