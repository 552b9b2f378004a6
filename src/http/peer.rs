//! Who is on the other end of a request: the client IP (the TCP peer, or the `X-Forwarded-For`
//! entry added by a proxy listed in `[server] trusted_proxies` — never the header blindly) and
//! the user agent.

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::error::Error;
use crate::identity::Device;
use crate::state::AppState;

#[derive(Clone, Debug)]
pub struct Peer {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl Peer {
    pub fn ip_text(&self) -> String {
        self.ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
    }

    /// The device a session opened by this request belongs to.
    pub fn device(&self, name: Option<String>) -> Device {
        Device { name, ip: self.ip.map(|ip| ip.to_string()), user_agent: self.user_agent.clone() }
    }
}

/// Walks `X-Forwarded-For` from the right while the hop that added an entry is trusted.
pub fn client_ip(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> Option<IpAddr> {
    let mut current = peer?;
    let Some(chain) = forwarded_for else { return Some(current) };
    for entry in chain.rsplit(',') {
        if !trusted.contains(&current) {
            break;
        }
        match entry.trim().parse::<IpAddr>() {
            Ok(ip) => current = ip,
            Err(_) => break,
        }
    }
    Some(current)
}

impl FromRequest for Peer {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trusted: &[IpAddr] = req
            .app_data::<web::Data<AppState>>()
            .map_or(&[], |state| state.config.settings.server.trusted_proxies.as_slice());
        let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
        let ip = client_ip(req.peer_addr().map(|a| a.ip()), forwarded, trusted);
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(256).collect::<String>());
        ready(Ok(Self { ip, user_agent }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = ip("10.0.0.2");
        let trusted = [proxy];
        assert_eq!(client_ip(Some(ip("1.2.3.4")), Some("9.9.9.9"), &trusted), Some(ip("1.2.3.4")), "untrusted peer");
        assert_eq!(client_ip(Some(proxy), Some("6.6.6.6, 5.5.5.5"), &trusted), Some(ip("5.5.5.5")), "proxy's entry");
        assert_eq!(client_ip(Some(proxy), None, &trusted), Some(proxy));
        assert_eq!(client_ip(Some(proxy), Some("junk"), &trusted), Some(proxy));
        let chain = [proxy, ip("10.0.0.3")];
        assert_eq!(client_ip(Some(proxy), Some("7.7.7.7, 10.0.0.3"), &chain), Some(ip("7.7.7.7")));
    }
}
