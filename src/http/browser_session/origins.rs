//! The origins allowed to make cookie-authenticated requests, compared with the `Origin`
//! header as browsers serialise it (`scheme://host[:port]`, default port left out).

use url::Url;

#[derive(Clone, Debug, Default)]
pub struct Origins(Vec<String>);

impl Origins {
    /// The origins of `urls`; what does not parse as an http(s) URL is left out (the settings
    /// were validated at startup).
    pub fn new<'a>(urls: impl IntoIterator<Item = &'a str>) -> Self {
        let mut origins: Vec<String> = urls.into_iter().filter_map(origin_of).collect();
        origins.sort();
        origins.dedup();
        Self(origins)
    }

    pub fn allows(&self, origin: &str) -> bool {
        let origin = origin.trim();
        self.0.iter().any(|allowed| allowed.eq_ignore_ascii_case(origin))
    }

    /// Whether `url` (e.g. a `redirect_to`) is on one of the allowed origins.
    pub fn allows_url(&self, url: &str) -> bool {
        origin_of(url).is_some_and(|origin| self.allows(&origin))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

fn origin_of(url: &str) -> Option<String> {
    let url = Url::parse(url.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

/// Whether `url`'s host is a loopback address or `localhost` (browsers treat those as secure
/// contexts even over plain http).
pub fn is_loopback(url: &str) -> bool {
    let Ok(url) = Url::parse(url) else { return false };
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_compared_as_browsers_send_them() {
        let origins = Origins::new(["https://Bank.example/", "http://127.0.0.1:8080", "https://app.example:443/x"]);
        assert!(origins.allows("https://bank.example"));
        assert!(origins.allows("http://127.0.0.1:8080"));
        assert!(origins.allows("https://app.example"));
        assert!(!origins.allows("https://bank.example.evil"));
        assert!(!origins.allows("http://bank.example"));
        assert!(!origins.allows("null"));
        assert!(origins.allows_url("https://app.example/welcome?x=1"));
        assert!(!origins.allows_url("https://evil.example/"));
        assert!(!origins.allows_url("javascript:alert(1)"));
    }
}
