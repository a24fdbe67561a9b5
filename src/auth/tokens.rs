//! Access tokens (JWT, HS256 pinned) and refresh tokens (opaque, 256 bits,
//! stored only as SHA-256).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngExt as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Role;
use crate::config::AuthConfig;
use crate::config::Secret;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: Uuid,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
    pub role: Role,
    pub unit: Option<Uuid>,
    /// The session (refresh-token family) the token was issued in. Tokens
    /// issued before the claim existed have none: they decode, but the
    /// extractors refuse them (a session they do not name cannot be ended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
    /// Always `access`: keeps any other JWT we might sign from passing as one.
    pub typ: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Invalid,
    Expired,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_secs: i64,
}

impl JwtKeys {
    pub fn new(secret: &Secret, auth: &AuthConfig) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[&auth.issuer]);
        validation.set_audience(&[&auth.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // Expiry is checked against the application clock below, so tests can
        // move time; the library would use the system clock.
        validation.validate_exp = false;
        validation.leeway = 0;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
            issuer: auth.issuer.clone(),
            audience: auth.audience.clone(),
            ttl_secs: auth.access_token_ttl_secs as i64,
        }
    }

    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    pub fn issue(
        &self,
        user_id: Uuid,
        role: Role,
        unit: Option<Uuid>,
        session: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id,
            iat: now.timestamp(),
            exp: now.timestamp() + self.ttl_secs,
            jti: Uuid::new_v4(),
            role,
            unit,
            sid: session,
            typ: "access".into(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        let claims = data.claims;
        if claims.typ != "access" {
            return Err(TokenError::Invalid);
        }
        if now.timestamp() >= claims.exp {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

/// A new refresh token: 32 random bytes, base64url.
pub fn new_refresh_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for a refresh token.
pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use chrono::Duration;

    fn keys() -> JwtKeys {
        let c = Config::from_figment(Config::defaults()).expect("defaults");
        JwtKeys::new(&c.jwt_secret, &c.auth)
    }

    #[test]
    fn roundtrip_and_expiry() {
        let k = keys();
        let now = Utc::now();
        let id = Uuid::now_v7();
        let sid = Uuid::now_v7();
        let t = k
            .issue(id, Role::Officer, None, Some(sid), now)
            .expect("issue");
        let c = k.verify(&t, now).expect("valid");
        assert_eq!(c.sub, id);
        assert_eq!(c.sid, Some(sid));
        assert_eq!(c.role, Role::Officer);
        assert_eq!(c.exp - c.iat, 900);
        assert_eq!(
            k.verify(&t, now + Duration::seconds(899)).map(|c| c.sub),
            Ok(id)
        );
        assert_eq!(
            k.verify(&t, now + Duration::seconds(900)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn tokens_without_a_session_claim_stay_valid() {
        let k = keys();
        let now = Utc::now();
        let t = k
            .issue(Uuid::now_v7(), Role::Citizen, None, None, now)
            .expect("issue");
        let payload = t.split('.').nth(1).expect("payload");
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64"))
                .expect("json");
        assert!(claims.get("sid").is_none(), "{claims}");
        assert_eq!(k.verify(&t, now).map(|c| c.sid), Ok(None));
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = new_refresh_token();
        let b = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_refresh_token(&a).len(), 64);
        assert_eq!(hash_refresh_token(&a), hash_refresh_token(&a));
    }
}
