//! A set of templates compiled into the binary and parsed on first use, shared by the hosted
//! pages and the staff console. HTML is auto-escaped (the templates' names end in `.html`).

use std::sync::OnceLock;

use minijinja::Environment;

use crate::error::Error;

/// Templates by name with their sources, and what the environment needs besides them (filters,
/// how undefined values behave).
pub struct TemplateSet {
    sources: &'static [(&'static str, &'static str)],
    configure: fn(&mut Environment<'static>),
    built: OnceLock<Result<Environment<'static>, String>>,
}

impl TemplateSet {
    pub const fn new(
        sources: &'static [(&'static str, &'static str)],
        configure: fn(&mut Environment<'static>),
    ) -> Self {
        Self { sources, configure, built: OnceLock::new() }
    }

    fn environment(&self) -> Result<&Environment<'static>, Error> {
        let built = self.built.get_or_init(|| {
            let mut env = Environment::new();
            (self.configure)(&mut env);
            for (name, source) in self.sources {
                env.add_template(name, source).map_err(|e| format!("template {name}: {e}"))?;
            }
            Ok(env)
        });
        built.as_ref().map_err(|e| Error::Internal(anyhow::anyhow!("{e}")))
    }

    /// Renders `name` with `context`.
    pub fn render(&self, name: &str, context: serde_json::Value) -> Result<String, Error> {
        let env = self.environment()?;
        let template = env.get_template(name).map_err(|e| Error::Internal(anyhow::anyhow!("template {name}: {e}")))?;
        template
            .render(minijinja::Value::from(minijinja::value::Serde(context)))
            .map_err(|e| Error::Internal(anyhow::anyhow!("rendering {name}: {e}")))
    }
}
