//! The hosted pages' templates (a [`TemplateSet`]), compiled into the binary.

use minijinja::UndefinedBehavior;

use crate::error::Error;
use crate::http::template_set::TemplateSet;

const TEMPLATES: [(&str, &str); 3] = [
    ("layout.html", include_str!("../../../web/pages/layout.html")),
    ("link.html", include_str!("../../../web/pages/link.html")),
    ("passkeys.html", include_str!("../../../web/pages/passkeys.html")),
];

static SET: TemplateSet = TemplateSet::new(&TEMPLATES, |env| env.set_undefined_behavior(UndefinedBehavior::Strict));

/// Renders `name` with `context`.
pub fn render(name: &str, context: serde_json::Value) -> Result<String, Error> {
    SET.render(name, context)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn every_template_parses_and_escapes_html() {
        let page = super::render(
            "link.html",
            json!({"title": "<script>x</script>", "state": "invalid", "message": "<b>m</b>", "next": ""}),
        )
        .unwrap();
        assert!(page.contains("&lt;script&gt;x") && !page.contains("<script>x"));
        assert!(!page.contains("<b>m</b>"));
    }
}
