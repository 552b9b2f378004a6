//! The relying party: its id and origin come from `TRESOR_PUBLIC_URL` (`[server] public_url`).
//! WebAuthn needs a host name there (`localhost` will do); with an IP address passkeys are off
//! and their endpoints answer 503 `passkeys-unavailable`. An operator front end on
//! `TRESOR_APP_URL` may run ceremonies too when its host is the public host or below it.

use std::time::Duration;

use anyhow::Context;
use webauthn_rs::prelude::Url;
use webauthn_rs::{Webauthn, WebauthnBuilder};

/// How long a ceremony may take, start to finish (also the browser's timeout).
pub const CEREMONY_SECS: u64 = 300;

fn is_ip(host: &str) -> bool {
    host.starts_with('[') || host.parse::<std::net::IpAddr>().is_ok()
}

/// The relying party of `public_url`, or `None` when its host is an IP address.
pub fn build(public_url: &str, app_url: Option<&str>, name: &str) -> anyhow::Result<Option<Webauthn>> {
    let origin = Url::parse(public_url).context("server.public_url is not a URL")?;
    let Some(host) = origin.host_str().map(str::to_owned) else { return Ok(None) };
    if is_ip(&host) {
        tracing::warn!("passkeys are off: server.public_url names an IP address, WebAuthn needs a host name");
        return Ok(None);
    }
    let mut builder = WebauthnBuilder::new(&host, &origin)
        .context("server.public_url cannot be a WebAuthn origin")?
        .rp_name(name)
        .timeout(Duration::from_secs(CEREMONY_SECS));
    if let Some(app) = app_url.map(Url::parse).transpose().context("server.app_url is not a URL")? {
        let below = app.host_str().is_some_and(|h| h == host || h.ends_with(&format!(".{host}")));
        if below {
            builder = builder.append_allowed_origin(&app);
        }
    }
    Ok(Some(builder.build().context("building the WebAuthn relying party")?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_host_name_makes_a_relying_party_and_an_ip_address_does_not() {
        assert!(super::build("http://localhost:8080", None, "tresor").unwrap().is_some());
        assert!(super::build("https://bank.example", Some("https://app.bank.example"), "tresor").unwrap().is_some());
        assert!(super::build("http://127.0.0.1:8080", None, "tresor").unwrap().is_none());
        assert!(super::build("http://[::1]:8080", None, "tresor").unwrap().is_none());
    }
}
