//! Where deliveries may go (the SSRF guard): an http(s) URL (https only in production) whose
//! host resolves to public addresses only — not private, loopback, link-local (cloud metadata
//! at 169.254.169.254), shared, multicast or unspecified — unless `[webhooks]
//! allow_private_targets`. The check runs when an endpoint is saved (so a bad URL is a 422 at
//! once) and again at every connection, in the HTTP client's resolver (so a name that later
//! resolves elsewhere — DNS rebinding — is refused then too).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a URL is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error("is not an absolute http(s) URL")]
    Malformed,
    #[error("must use https")]
    NotHttps,
    #[error("must not carry a user name or password")]
    Credentials,
    #[error("resolves to a private, loopback, link-local or metadata address")]
    Private,
    #[error("does not resolve")]
    Unresolvable,
}

/// Parses and checks `raw` (scheme, credentials, and, for an IP literal, the address).
pub fn parse(raw: &str, https_only: bool, allow_private: bool) -> Result<Url, TargetError> {
    let url = Url::parse(raw.trim()).map_err(|_| TargetError::Malformed)?;
    match url.scheme() {
        "https" => {}
        "http" if https_only => return Err(TargetError::NotHttps),
        "http" => {}
        _ => return Err(TargetError::Malformed),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Credentials);
    }
    let host = url.host_str().ok_or(TargetError::Malformed)?;
    let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
    match literal {
        Some(ip) if !allow_private && !is_public(ip) => Err(TargetError::Private),
        _ => Ok(url),
    }
}

/// Resolves `url`'s host and refuses it when any address is not public (unless allowed).
pub async fn check_resolves(url: &Url, allow_private: bool) -> Result<(), TargetError> {
    let host = url.host_str().ok_or(TargetError::Malformed)?;
    let port = url.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> =
        tokio::net::lookup_host((host, port)).await.map_err(|_| TargetError::Unresolvable)?.collect();
    if addrs.is_empty() {
        return Err(TargetError::Unresolvable);
    }
    if !allow_private && addrs.iter().any(|addr| !is_public(addr.ip())) {
        return Err(TargetError::Private);
    }
    Ok(())
}

/// Whether `ip` is an ordinary public address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier-grade NAT)
        || (a == 192 && b == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)) // NAT64 to anything
}

/// The delivery client's resolver: the system's, with non-public answers refused.
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if addrs.is_empty() || addrs.iter().any(|addr| !is_public(addr.ip())) {
                return Err(Box::new(std::io::Error::other("the host resolves to a non-public address"))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_metadata_addresses_are_not_public() {
        for ip in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1"] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::"] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        assert!(is_public("93.184.216.34".parse().unwrap()));
        assert!(is_public("2606:2800:220:1:248:1893:25c8:1946".parse().unwrap()));
    }

    #[test]
    fn urls_are_checked_before_any_lookup() {
        assert_eq!(parse("ftp://example.com", false, false), Err(TargetError::Malformed));
        assert_eq!(parse("http://example.com/hook", true, false), Err(TargetError::NotHttps));
        assert_eq!(parse("https://u:p@example.com/", false, false), Err(TargetError::Credentials));
        assert_eq!(parse("http://127.0.0.1:9/", false, false), Err(TargetError::Private));
        assert_eq!(parse("http://[::1]:9/", false, false), Err(TargetError::Private));
        assert!(parse("http://127.0.0.1:9/", false, true).is_ok());
        assert!(parse("https://example.com/hook", true, false).is_ok());
    }
}
