//! Standard Webhooks signatures: secrets (`whsec_` + base64 of 32 random
//! bytes) and the `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
//! signature keyed with the decoded secret. A pure rule.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const SECRET_PREFIX: &str = "whsec_";

/// A secret for 32 random bytes.
pub fn secret_from_bytes(bytes: &[u8; 32]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The signing key a secret stands for (`None`: not a secret of ours).
pub fn key_of(secret: &str) -> Option<Vec<u8>> {
    let b64 = secret.strip_prefix(SECRET_PREFIX)?;
    STANDARD.decode(b64).ok().filter(|k| !k.is_empty())
}

/// `v1,<signature>` of one message under one secret.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = key_of(secret)?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).ok()?;
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: one `v1,` signature per secret, separated
/// by spaces (the current secret first; after a rotation, the old one too).
pub fn header(secrets: &[&str], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .filter_map(|s| sign(s, msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `msg_<event id>`: the same on every retry of an event.
pub fn message_id(event_id: uuid::Uuid) -> String {
    format!("msg_{event_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn secrets_roundtrip_and_garbage_signs_nothing() {
        let s = secret_from_bytes(&[7u8; 32]);
        assert!(s.starts_with("whsec_"));
        assert_eq!(key_of(&s), Some(vec![7u8; 32]));
        assert_eq!(key_of("whsec_!!!"), None);
        assert_eq!(key_of("sk_abc"), None);
        assert_eq!(sign("nope", "msg_1", 1, b"{}"), None);
    }

    #[test]
    fn two_secrets_make_two_signatures() {
        let a = secret_from_bytes(&[1u8; 32]);
        let b = secret_from_bytes(&[2u8; 32]);
        let h = header(&[&a, &b], "msg_1", 10, b"{}");
        let parts: Vec<&str> = h.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(Some(parts[0].to_owned()), sign(&a, "msg_1", 10, b"{}"));
        assert_eq!(Some(parts[1].to_owned()), sign(&b, "msg_1", 10, b"{}"));
        assert_ne!(parts[0], parts[1]);
        // Another timestamp, another signature.
        assert_ne!(sign(&a, "msg_1", 11, b"{}"), sign(&a, "msg_1", 10, b"{}"));
    }
}
