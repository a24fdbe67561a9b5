//! Request extractors with our own rejections: every bad body becomes a
//! problem+json answer that names the fields.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError};
use crate::messages::Msg;
use crate::state::AppState;
use crate::validate::Validate;

/// JSON body, deserialized and then checked by its [`Validate`] impl; all
/// field errors are reported at once.
///
/// - wrong or missing `Content-Type` → 415
/// - body over the limit → 413
/// - not JSON → 400 (malformed-json)
/// - JSON of the wrong shape → 422 naming the field (by its JSON path)
/// - values that break the rules → 422 listing every bad field
pub struct ValidatedJson<T>(pub T);

impl<S, T> FromRequest<S> for ValidatedJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value: T = parse_json(req, state).await?;
        value.validate()?;
        Ok(ValidatedJson(value))
    }
}

async fn parse_json<S: Send + Sync, T: DeserializeOwned>(
    req: Request,
    state: &S,
) -> Result<T, AppError> {
    let is_json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| {
            m.type_() == mime::APPLICATION
                && (m.subtype() == mime::JSON || m.suffix().is_some_and(|s| s == mime::JSON))
        });
    if !is_json {
        return Err(AppError::UnsupportedMediaType(Msg::UnsupportedContentType));
    }
    let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest(Msg::BadRequest)
        }
    })?;
    // A NUL can only arrive escaped; PostgreSQL refuses it in text.
    if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Err(AppError::field("", Msg::InvalidCharacters));
    }
    // Every body this API takes is a JSON object; serde would read a struct
    // from an array too (`[null, null]`), which no client means.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first.is_some_and(|b| b != b'{') {
        let well_formed = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok();
        if well_formed {
            return Err(AppError::field(
                "",
                Msg::Expected(crate::messages::Expected::Object),
            ));
        }
    }
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    let value: T = serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_data() {
            let field = if path == "." { String::new() } else { path };
            // What the field expects, in the caller's words, never serde's.
            let (named, msg) = super::decode_errors::data_error(&inner.to_string());
            let field = match named {
                Some(name) if field.is_empty() => name,
                Some(name) => format!("{field}.{name}"),
                None => field,
            };
            AppError::Validation(vec![FieldError::new(field, msg)])
        } else {
            AppError::MalformedJson {
                line: inner.line(),
                column: inner.column(),
            }
        }
    })?;
    Ok(value)
}

/// Query parameters, parsed leniently (every field a string) and then checked
/// by the target type's `TryFrom`, so a bad value names its parameter.
pub struct ValidatedQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ValidatedQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        // Control characters (%00 and the like) in any parameter are refused
        // before they reach a query.
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            if crate::validate::has_control(&value) {
                return Err(AppError::field(key.into_owned(), Msg::InvalidCharacters));
            }
        }
        let value: T = serde_html_form::from_str(query).map_err(|e| {
            let (named, msg) = super::decode_errors::data_error(&e.to_string());
            AppError::field(named.unwrap_or_default(), msg)
        })?;
        value.validate()?;
        Ok(ValidatedQuery(value))
    }
}

/// The client's address: the TCP peer, or, when the peer is a trusted proxy,
/// the nearest untrusted address in `X-Forwarded-For` (read right to left, so
/// a client cannot forge its way past the proxy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let trusted = &state.config.http.trusted_proxies;
        Ok(ClientIp(client_ip(
            peer,
            parts.headers.get_all("x-forwarded-for"),
            trusted,
        )))
    }
}

pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded: impl IntoIterator<Item = &'a axum::http::HeaderValue>,
    trusted: &[ipnet::IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = forwarded
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .collect();
    hops.iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .copied()
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.5".parse().expect("ip");
        let trusted = vec!["10.0.0.0/8".parse().expect("net")];
        let h = [HeaderValue::from_static("1.2.3.4, 10.0.0.7")];
        assert_eq!(
            client_ip(proxy, &h, &trusted),
            "1.2.3.4".parse::<IpAddr>().expect("ip")
        );
        // A spoofed first hop is ignored: the nearest untrusted one wins.
        let h = [HeaderValue::from_static("6.6.6.6, 1.2.3.4")];
        assert_eq!(
            client_ip(proxy, &h, &trusted),
            "1.2.3.4".parse::<IpAddr>().expect("ip")
        );
        // From an untrusted peer the header is ignored.
        let peer: IpAddr = "8.8.8.8".parse().expect("ip");
        assert_eq!(client_ip(peer, &h, &trusted), peer);
        // Nothing usable: the proxy itself.
        assert_eq!(
            client_ip(proxy, &[HeaderValue::from_static("junk")], &trusted),
            proxy
        );
    }
}
