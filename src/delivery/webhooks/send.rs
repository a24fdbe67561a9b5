//! One webhook request: where it may go (the SSRF guard, run at registration
//! and again before every attempt, since DNS can change), and the POST
//! itself, connected to the very address that was checked.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use url::{Host, Url};

use super::address::is_public;

/// Why a target may not be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetError {
    /// The name does not resolve.
    Unresolvable,
    /// It is (or resolves to) a loopback, private, link-local… address.
    NotPublic,
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TargetError::Unresolvable => "the host does not resolve",
            TargetError::NotPublic => "the host is not a public address",
        })
    }
}

const DNS_TIMEOUT: Duration = Duration::from_secs(5);

/// Checks where `url` points. `Ok(Some(addr))`: a name that resolved to
/// public addresses only; connect to `addr` (not to a second lookup's
/// answer). `Ok(None)`: nothing to pin (an address literal that passed, or
/// private targets allowed).
pub async fn check_target(
    url: &Url,
    allow_private: bool,
) -> Result<Option<SocketAddr>, TargetError> {
    let port = url.port_or_known_default().unwrap_or(443);
    match url.host() {
        None => Err(TargetError::Unresolvable),
        Some(Host::Ipv4(a)) => literal(IpAddr::V4(a), allow_private),
        Some(Host::Ipv6(a)) => literal(IpAddr::V6(a), allow_private),
        Some(Host::Domain(_)) if allow_private => Ok(None),
        Some(Host::Domain(name)) => {
            let found = tokio::time::timeout(DNS_TIMEOUT, tokio::net::lookup_host((name, port)))
                .await
                .map_err(|_| TargetError::Unresolvable)?
                .map_err(|_| TargetError::Unresolvable)?;
            let addrs: Vec<SocketAddr> = found.collect();
            // Every answer must be public: a name with one private answer
            // could be made to reach it.
            if addrs.iter().any(|a| !is_public(a.ip())) {
                return Err(TargetError::NotPublic);
            }
            addrs
                .first()
                .copied()
                .map(Some)
                .ok_or(TargetError::Unresolvable)
        }
    }
}

fn literal(ip: IpAddr, allow_private: bool) -> Result<Option<SocketAddr>, TargetError> {
    if allow_private || is_public(ip) {
        Ok(None)
    } else {
        Err(TargetError::NotPublic)
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status, when the endpoint answered.
    pub status: Option<u16>,
    /// Why it failed; `None`: delivered (a 2xx).
    pub error: Option<String>,
}

/// A signed message ready to go.
pub struct Request<'a> {
    pub url: &'a str,
    pub msg_id: &'a str,
    pub timestamp: i64,
    pub signature: String,
    pub body: Vec<u8>,
}

/// POSTs the message: a 2xx within `timeout` is delivered; a redirect, any
/// other status, a refused target or a transport error is a failed attempt.
pub async fn post(req: Request<'_>, timeout: Duration, allow_private: bool) -> Answer {
    let failed = |e: String| Answer {
        status: None,
        error: Some(e),
    };
    let Some(url) = super::rules::parse_target(req.url) else {
        return failed("not an absolute http(s) URL".into());
    };
    let pinned = match check_target(&url, allow_private).await {
        Ok(p) => p,
        Err(e) => return failed(format!("refused: {e}")),
    };
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .no_proxy();
    if let (Some(addr), Some(Host::Domain(name))) = (pinned, url.host()) {
        builder = builder.resolve(name, addr);
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => return failed(format!("client: {e}")),
    };
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        USER_AGENT,
        HeaderValue::from_static("citizen-feedback-webhooks/1"),
    );
    for (name, value) in [
        ("webhook-id", req.msg_id.to_owned()),
        ("webhook-timestamp", req.timestamp.to_string()),
        ("webhook-signature", req.signature),
    ] {
        match HeaderValue::from_str(&value) {
            Ok(v) => {
                headers.insert(name, v);
            }
            Err(_) => return failed(format!("bad {name} header")),
        }
    }
    match client
        .post(url)
        .headers(headers)
        .body(req.body)
        .send()
        .await
    {
        Ok(res) => {
            let status = res.status();
            let code = Some(status.as_u16());
            if status.is_success() {
                Answer {
                    status: code,
                    error: None,
                }
            } else if status.is_redirection() {
                Answer {
                    status: code,
                    error: Some(format!("HTTP {status}: redirects are not followed")),
                }
            } else {
                Answer {
                    status: code,
                    error: Some(format!("HTTP {status}")),
                }
            }
        }
        Err(e) if e.is_timeout() => failed(format!("timed out after {} s", timeout.as_secs())),
        Err(e) if e.is_connect() => failed("could not connect".into()),
        Err(e) => failed(format!("request failed: {e}")),
    }
}
