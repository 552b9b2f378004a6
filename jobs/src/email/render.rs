//! Rendering a message (subject, plain text and HTML) from its template and data.
//!
//! Templates live in `jobs/templates/` (`<name>.txt`, `<name>.html` on `layout.html`) and are
//! compiled into the binary. HTML output is auto-escaped; a variable the template uses but the
//! data lacks is an error (a permanent one for the job), never an empty string in a mail.

use std::sync::OnceLock;

use minijinja::{Environment, UndefinedBehavior};
use serde_json::Value;

use super::Template;

/// A rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: &'static str,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("email data for template {template} must be a JSON object")]
    NotAnObject { template: &'static str },
    #[error("email data for template {template} lacks field {field:?}")]
    Missing { template: &'static str, field: &'static str },
    #[error("template {template} failed to render: {message}")]
    Engine { template: &'static str, message: String },
}

/// The subject of each message, the data fields it needs, and those it uses when present.
/// (`full_name` greets the reader; identity's messages also carry `at`, `ip` and the like.)
pub fn contract(template: Template) -> (&'static str, &'static [&'static str], &'static [&'static str]) {
    match template {
        Template::VerifyEmail => ("Confirm your email address", &["link"], &["full_name", "expires_in_hours"]),
        Template::RegistrationAttempt => ("Someone tried to register with your email", &["link"], &["full_name", "at"]),
        Template::Invite => ("You are invited to tresor", &["link"], &["full_name", "expires_in_hours"]),
        Template::PasswordReset => ("Reset your password", &["link"], &["full_name", "expires_in_minutes", "ip"]),
        Template::PasswordChanged => ("Your password was changed", &[], &["full_name", "at", "ip"]),
        Template::AccountLocked => ("Your account is locked for a while", &["until"], &["full_name", "ip"]),
        Template::NewSignIn => {
            ("New sign-in to your account", &["at"], &["full_name", "device_name", "ip", "user_agent"])
        }
        Template::MfaEnabled => ("Two-step sign-in is on", &[], &["full_name"]),
        Template::MfaDisabled => ("Two-step sign-in was turned off", &[], &["full_name"]),
        Template::BackupCodeUsed => ("A backup code was used", &[], &["full_name", "remaining"]),
        Template::RefreshTokenReuse => ("We signed out a session to protect you", &[], &["full_name", "ip", "at"]),
        Template::KycApproved => ("Your identity is confirmed", &[], &["full_name"]),
        Template::KycRejected => ("We could not confirm your identity", &["reason"], &["full_name"]),
        Template::TransferReceived => ("You received money", &["amount"], &["full_name", "from", "reference"]),
        Template::ExportReady => ("Your data export is ready", &["link"], &["full_name", "expires_at"]),
        Template::AccountStatusChanged => ("Your account's status changed", &["account", "status"], &["full_name"]),
        Template::MfaReset => ("Two-step sign-in was reset by our staff", &[], &["full_name"]),
        Template::CardIssued => ("A new card was issued", &["last4", "account"], &["full_name"]),
        Template::PasskeyAdded => ("A passkey was added to your account", &["name"], &["full_name", "at", "ip"]),
        Template::PasskeyRemoved => ("A passkey was removed from your account", &["name"], &["full_name", "at", "ip"]),
        Template::PasskeySuspended => ("We stopped one of your passkeys", &["name"], &["full_name", "at", "ip"]),
        Template::LargeAuthorization => {
            ("A large card payment was authorized", &["amount", "last4", "merchant"], &["full_name"])
        }
        Template::ScheduledTransferRefused => {
            ("A scheduled transfer did not go out", &["amount", "to", "on", "reason"], &["full_name"])
        }
        Template::StatementReady => ("Your statement is ready", &["account", "period"], &["full_name"]),
    }
}

macro_rules! templates {
    ($env:ident; $($name:literal),* $(,)?) => {
        $(
            $env.add_template(concat!($name, ".txt"), include_str!(concat!("../../templates/", $name, ".txt")))?;
            $env.add_template(concat!($name, ".html"), include_str!(concat!("../../templates/", $name, ".html")))?;
        )*
    };
}

fn build() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    // Printing an absent value is an error; `{% if x %}` may test for an optional one.
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.add_template("layout.html", include_str!("../../templates/layout.html"))?;
    templates!(env;
        "verify_email", "registration_attempt", "invite", "password_reset", "password_changed",
        "account_locked", "new_sign_in", "mfa_enabled", "mfa_disabled", "backup_code_used",
        "refresh_token_reuse", "kyc_approved", "kyc_rejected", "transfer_received", "export_ready",
        "account_status_changed", "mfa_reset", "card_issued", "passkey_added", "passkey_removed",
        "passkey_suspended", "large_authorization", "scheduled_transfer_refused", "statement_ready",
    );
    Ok(env)
}

fn environment() -> Result<&'static Environment<'static>, RenderError> {
    static ENV: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    ENV.get_or_init(|| build().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|message| RenderError::Engine { template: "(all)", message: message.clone() })
}

/// Renders `template` with `data` (a JSON object holding at least the contract's fields).
pub fn render(template: Template, data: &Value, app_name: &str) -> Result<Rendered, RenderError> {
    let name = template.name();
    let (subject, fields, _) = contract(template);
    let Value::Object(map) = data else { return Err(RenderError::NotAnObject { template: name }) };
    if let Some(field) = fields.iter().find(|f| map.get(**f).is_none_or(Value::is_null)) {
        return Err(RenderError::Missing { template: name, field });
    }
    let mut context = map.clone();
    context.insert("app_name".into(), Value::String(app_name.to_owned()));
    context.insert("subject".into(), Value::String(subject.to_owned()));
    let context = minijinja::Value::from(minijinja::value::Serde(context));
    let env = environment()?;
    let engine = |e: minijinja::Error| RenderError::Engine { template: name, message: e.to_string() };
    let text = env.get_template(&format!("{name}.txt")).and_then(|t| t.render(&context)).map_err(engine)?;
    let html = env.get_template(&format!("{name}.html")).and_then(|t| t.render(&context)).map_err(engine)?;
    Ok(Rendered { subject, text, html })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sample(template: Template) -> Value {
        let (_, required, optional) = contract(template);
        Value::Object(
            required.iter().chain(optional).map(|f| ((*f).to_owned(), json!(format!("<{f}> & value")))).collect(),
        )
    }

    #[test]
    fn every_template_renders_text_and_escaped_html_with_its_fields() {
        for template in Template::ALL {
            let rendered = render(template, &sample(template), "tresor").unwrap();
            assert!(!rendered.subject.is_empty());
            assert!(rendered.text.contains("<full_name> & value"), "{}: text is not escaped", template.name());
            assert!(rendered.html.contains("&lt;full_name&gt; &amp; value"), "{}: html is escaped", template.name());
            assert!(!rendered.html.contains("<full_name>"), "{}", template.name());
            let (_, required, optional) = contract(template);
            for field in required.iter().chain(optional) {
                assert!(rendered.text.contains(&format!("<{field}>")), "{}: text uses {field}", template.name());
            }
            let bare: Value = Value::Object(required.iter().map(|f| ((*f).to_owned(), json!("x"))).collect());
            let minimal = render(template, &bare, "tresor").unwrap();
            assert!(minimal.text.starts_with("Hello,"), "{}: optional fields may be absent", template.name());
            assert!(rendered.html.starts_with("<!doctype html>"));
        }
    }

    #[test]
    fn missing_or_malformed_data_is_named() {
        let error = render(Template::PasswordReset, &json!({"full_name": "Ada"}), "tresor").unwrap_err();
        assert_eq!(error.to_string(), "email data for template password_reset lacks field \"link\"");
        assert!(matches!(render(Template::MfaEnabled, &json!([1]), "t"), Err(RenderError::NotAnObject { .. })));
    }
}
