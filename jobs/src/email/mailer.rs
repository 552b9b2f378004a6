//! Sending a rendered message: over SMTP with lettre when `SMTP_URL` is set (plain, STARTTLS
//! or implicit TLS, as the URL says), otherwise as an `.eml` file under the mail folder.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

use super::Rendered;
use crate::error::JobError;

#[derive(Clone, Debug)]
pub struct MailerSettings {
    /// `smtp://host:port` (plain), `smtp://host?tls=required` (STARTTLS),
    /// `smtp://host?tls=opportunistic`, `smtps://user:pass@host` (implicit TLS). `None` = files.
    pub smtp_url: Option<String>,
    /// An extra root certificate (PEM) to trust for the SMTP server, e.g. a private CA.
    pub smtp_ca_file: Option<PathBuf>,
    pub from: String,
    /// Where `.eml` files go when there is no SMTP server.
    pub mail_dir: PathBuf,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("SMTP_URL is invalid: {0}")]
    Url(String),
    #[error("mail.from is not a mailbox: {0}")]
    From(String),
    #[error("SMTP CA file: {0}")]
    Ca(String),
}

/// One message ready to go: its stable id (the `Message-ID`'s local part), recipient and body.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub id: Uuid,
    pub to: String,
    pub rendered: Rendered,
}

#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

/// Whether the mailer can address a message to `address`: the recipient is parsed exactly as
/// [`Mailer::build`] parses it. `"a b"@example.com` is a valid address by RFC 5322, but not
/// one this mailer can send to, so accepting it would make an account that never gets mail.
pub fn deliverable(address: &str) -> bool {
    address.parse::<Mailbox>().is_ok()
}

impl Mailer {
    pub fn new(settings: &MailerSettings) -> Result<Self, MailError> {
        let from: Mailbox =
            settings.from.parse().map_err(|e: lettre::address::AddressError| MailError::From(e.to_string()))?;
        let transport = match settings.smtp_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => Transport::Files(settings.mail_dir.clone()),
            Some(url) => Transport::Smtp(smtp(url, settings)?),
        };
        Ok(Self { from, transport })
    }

    /// `<id@domain of the From address>`: the same for every attempt at one message, so a
    /// receiving server that got it once discards a resend.
    pub fn message_id(&self, id: &Uuid) -> String {
        format!("<{id}@{}>", self.from.email.domain())
    }

    pub fn is_smtp(&self) -> bool {
        matches!(self.transport, Transport::Smtp(_))
    }

    pub fn build(&self, outgoing: &Outgoing) -> Result<Message, JobError> {
        let to: Mailbox =
            outgoing.to.parse().map_err(|e| JobError::permanent(format!("recipient address is invalid: {e}")))?;
        let body = MultiPart::alternative_plain_html(outgoing.rendered.text.clone(), outgoing.rendered.html.clone());
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(outgoing.rendered.subject)
            .message_id(Some(self.message_id(&outgoing.id)))
            .multipart(body)
            .map_err(|e| JobError::permanent(format!("message cannot be built: {e}")))
    }

    /// Hands the message to the SMTP server (returns once it accepted it) or writes its file.
    #[tracing::instrument(skip_all, fields(id = %outgoing.id))]
    pub async fn send(&self, outgoing: &Outgoing) -> Result<(), JobError> {
        let message = self.build(outgoing)?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| {
                // 5xx: the server refuses this message for good. Anything else (4xx, network,
                // TLS, timeout) may pass.
                if e.is_permanent() {
                    JobError::permanent(format!("SMTP: {e}"))
                } else {
                    JobError::retryable(format!("SMTP: {e}"))
                }
            }),
            Transport::Files(dir) => write_eml(dir, &outgoing.id, &message.formatted()).await,
        }
    }
}

fn smtp(url: &str, settings: &MailerSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    // The URL may hold a password: errors never echo it.
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| MailError::Url(e.to_string()))?;
    if let Some(ca) = &settings.smtp_ca_file {
        let parsed = url::Url::parse(url).map_err(|e| MailError::Url(e.to_string()))?;
        let host = parsed.host_str().unwrap_or_default().to_owned();
        let pem = std::fs::read(ca).map_err(|e| MailError::Ca(format!("{}: {e}", ca.display())))?;
        let cert = Certificate::from_pem(&pem).map_err(|e| MailError::Ca(e.to_string()))?;
        let params = TlsParameters::builder(host)
            .add_root_certificate(cert)
            .build()
            .map_err(|e| MailError::Ca(e.to_string()))?;
        let mode = parsed.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        builder = builder.tls(match (parsed.scheme(), mode.as_deref()) {
            ("smtps", _) => Tls::Wrapper(params),
            (_, Some("required")) => Tls::Required(params),
            (_, Some("opportunistic")) => Tls::Opportunistic(params),
            _ => Tls::None,
        });
    }
    Ok(builder.timeout(Some(settings.timeout)).build())
}

/// Writes `<dir>/<id>.eml` atomically (a resend overwrites it with the same message).
async fn write_eml(dir: &std::path::Path, id: &Uuid, bytes: &[u8]) -> Result<(), JobError> {
    let io = |e: std::io::Error| JobError::retryable(format!("writing mail file: {e}"));
    tokio::fs::create_dir_all(dir).await.map_err(io)?;
    let path = dir.join(format!("{id}.eml"));
    let partial = dir.join(format!(".{id}.eml.partial"));
    tokio::fs::write(&partial, bytes).await.map_err(io)?;
    tokio::fs::rename(&partial, &path).await.map_err(io)?;
    tracing::info!(path = %path.display(), "mail written to file (no SMTP_URL set)");
    Ok(())
}
