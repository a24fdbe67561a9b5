//! The pure parts of FCM HTTP v1: the service account, the OAuth 2.0
//! JWT-bearer assertion, the message, and what an answer means. No I/O, no
//! clock: `mod.rs` does the sending.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::PushJob;
use crate::domain::Locale;
use crate::notifications::rules::title;

/// The OAuth scope that lets an access token send FCM messages.
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// The grant type of RFC 7523 (a JWT as an authorization grant).
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Google's token endpoint, for a file that does not name one.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// How long an assertion is valid (Google's maximum).
pub const ASSERTION_LIFETIME_SECS: i64 = 3600;
/// An access token is renewed this long before it expires.
pub const RENEW_BEFORE_SECS: i64 = 300;

/// A Google service account, as read from its JSON key file.
#[derive(Clone)]
pub struct ServiceAccount {
    pub project_id: String,
    pub client_email: String,
    pub token_uri: String,
    /// The key's id, sent as `kid` so Google finds the key at once.
    pub private_key_id: Option<String>,
    key: EncodingKey,
}

impl fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .field("private_key", &"[redacted]")
            .finish()
    }
}

#[derive(Deserialize)]
struct KeyFile {
    project_id: Option<String>,
    client_email: Option<String>,
    private_key: Option<String>,
    private_key_id: Option<String>,
    token_uri: Option<String>,
}

impl ServiceAccount {
    /// Reads a service-account key file's content. The error names what is
    /// wrong, never the key.
    pub fn from_json(text: &str) -> Result<ServiceAccount, String> {
        let file: KeyFile = serde_json::from_str(text)
            .map_err(|e| format!("not a service-account JSON file ({e})"))?;
        let field = |name: &str, v: Option<String>| {
            v.map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| format!("the file has no {name}"))
        };
        let project_id = field("project_id", file.project_id)?;
        let client_email = field("client_email", file.client_email)?;
        let private_key = field("private_key", file.private_key)?;
        let token_uri = file
            .token_uri
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned());
        match url::Url::parse(&token_uri) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => return Err(format!("token_uri {token_uri:?} is not an http(s) URL")),
        }
        if !project_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(format!("project_id {project_id:?} is not a project id"));
        }
        let key = EncodingKey::from_rsa_pem(private_key.as_bytes())
            .map_err(|_| "private_key is not an RSA private key in PEM".to_owned())?;
        let account = ServiceAccount {
            project_id,
            client_email,
            token_uri,
            private_key_id: file.private_key_id.filter(|s| !s.trim().is_empty()),
            key,
        };
        // The PEM parser does not look inside the key: sign once to know.
        account
            .assertion(DateTime::UNIX_EPOCH)
            .map_err(|_| "private_key cannot sign (not a usable RSA key)".to_owned())?;
        Ok(account)
    }

    /// The signed assertion that the token endpoint exchanges for an access
    /// token (RFC 7523; RS256).
    pub fn assertion(&self, now: DateTime<Utc>) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.private_key_id.clone();
        jsonwebtoken::encode(&header, &assertion_claims(self, now), &self.key)
    }
}

/// The claims of the assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionClaims {
    pub iss: String,
    pub scope: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

pub fn assertion_claims(account: &ServiceAccount, now: DateTime<Utc>) -> AssertionClaims {
    AssertionClaims {
        iss: account.client_email.clone(),
        scope: SCOPE.to_owned(),
        aud: account.token_uri.clone(),
        iat: now.timestamp(),
        exp: now.timestamp() + ASSERTION_LIFETIME_SECS,
    }
}

/// The form posted to the token endpoint.
pub fn token_request_body(assertion: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", GRANT_TYPE)
        .append_pair("assertion", assertion)
        .finish()
}

/// The token endpoint's answer.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// Seconds; Google says 3599.
    pub expires_in: Option<i64>,
}

/// Until when an access token is used: a few minutes before it expires (or
/// at half its life, for a short-lived one).
pub fn use_until(now: DateTime<Utc>, expires_in: Option<i64>) -> DateTime<Utc> {
    let life = expires_in.unwrap_or(3600).max(0);
    let margin = RENEW_BEFORE_SECS.min(life / 2);
    now + Duration::seconds(life - margin)
}

/// The URL a message is posted to.
pub fn send_url(base_url: &str, project_id: &str) -> String {
    format!(
        "{}/v1/projects/{project_id}/messages:send",
        base_url.trim_end_matches('/')
    )
}

/// What the phone shows above the line.
fn heading(locale: Locale) -> &'static str {
    match locale {
        Locale::Vi => "Phản ánh hiện trường",
        Locale::En => "Citizen feedback",
    }
}

/// One message to one device, in the device's language: the heading as the
/// title, the inbox line ("Phản ánh PA-7K3M9Q đã được xử lý xong.") as the
/// body, and what the app needs to open the report as data (strings only, as
/// FCM requires).
pub fn message(token: &str, job: &PushJob, locale: Locale) -> Value {
    json!({
        "message": {
            "token": token,
            "notification": {
                "title": heading(locale),
                "body": title(job.kind, &job.code, locale),
            },
            "data": {
                "report_id": job.report_id.to_string(),
                "code": job.code,
                "kind": job.kind.as_str(),
            },
        }
    })
}

/// What an answer of FCM to one message means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Sent,
    /// The token is no longer valid: forget it.
    Unregistered,
    /// FCM is busy or down (429, 5xx): the whole job later.
    Retry(String),
    /// The access token was refused (401): get a new one, then retry.
    Unauthorized(String),
    /// This message to this device will never go (other 4xx).
    Rejected(String),
}

/// The `errorCode` of an FCM error body (`UNREGISTERED`, `INVALID_ARGUMENT`,
/// …), else its `status`.
pub fn error_code(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    let error = v.get("error")?;
    let from_details = error
        .get("details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find_map(|d| d.get("errorCode").and_then(Value::as_str));
    from_details
        .or_else(|| error.get("status").and_then(Value::as_str))
        .map(str::to_owned)
}

fn describe(status: u16, body: &str) -> String {
    match error_code(body) {
        Some(code) => format!("FCM answered {status} {code}"),
        None => format!("FCM answered {status}"),
    }
}

pub fn classify(status: u16, body: &str) -> Verdict {
    if (200..300).contains(&status) {
        return Verdict::Sent;
    }
    // A 404 counts only with FCM's own error body: a proxy or a wrong
    // `fcm_base_url` answering 404 must not wipe every token.
    let code = error_code(body);
    if code.as_deref() == Some("UNREGISTERED") || (status == 404 && code.is_some()) {
        return Verdict::Unregistered;
    }
    match status {
        429 | 500..=599 => Verdict::Retry(describe(status, body)),
        401 => Verdict::Unauthorized(describe(status, body)),
        _ => Verdict::Rejected(describe(status, body)),
    }
}

/// What an answer of the token endpoint means: the token, or why not. Every
/// failure is retried later (a refused grant is usually a clock or a key
/// being rotated; the outbox gives up after its last attempt).
pub fn token_answer(status: u16, body: &str) -> Result<TokenResponse, String> {
    if !(200..300).contains(&status) {
        let reason = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned));
        return Err(match reason {
            Some(r) => format!("the token endpoint answered {status} {r}"),
            None => format!("the token endpoint answered {status}"),
        });
    }
    serde_json::from_str::<TokenResponse>(body)
        .ok()
        .filter(|t| !t.access_token.is_empty())
        .ok_or_else(|| "the token endpoint answered without an access token".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EventKind;
    use uuid::Uuid;

    fn job(kind: EventKind) -> PushJob {
        PushJob {
            user_id: Uuid::nil(),
            event_id: Uuid::nil(),
            report_id: Uuid::from_u128(7),
            code: "PA-7K3M9Q".into(),
            kind,
        }
    }

    #[test]
    fn a_message_speaks_the_device_language() {
        let m = message("tok", &job(EventKind::Resolved), Locale::Vi);
        assert_eq!(m["message"]["token"], "tok");
        assert_eq!(
            m["message"]["notification"]["body"],
            "Phản ánh PA-7K3M9Q đã được xử lý xong."
        );
        assert_eq!(
            m["message"]["notification"]["title"],
            "Phản ánh hiện trường"
        );
        assert_eq!(
            m["message"]["data"],
            json!({"report_id": Uuid::from_u128(7).to_string(), "code": "PA-7K3M9Q", "kind": "resolved"})
        );
        let en = message("tok", &job(EventKind::Resolved), Locale::En);
        assert_eq!(
            en["message"]["notification"]["body"],
            "Report PA-7K3M9Q was resolved."
        );
    }

    #[test]
    fn answers_are_classified() {
        let unregistered = r#"{"error":{"code":404,"status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}"#;
        assert_eq!(classify(200, "{}"), Verdict::Sent);
        assert_eq!(classify(404, unregistered), Verdict::Unregistered);
        assert_eq!(
            classify(404, r#"{"error":{"code":404,"status":"NOT_FOUND"}}"#),
            Verdict::Unregistered
        );
        assert_eq!(
            classify(404, "<html>Not Found</html>"),
            Verdict::Rejected("FCM answered 404".into())
        );
        let bad_token_400 = r#"{"error":{"code":400,"status":"INVALID_ARGUMENT","details":[{"errorCode":"UNREGISTERED"}]}}"#;
        assert_eq!(classify(400, bad_token_400), Verdict::Unregistered);
        assert!(matches!(classify(429, ""), Verdict::Retry(_)));
        assert!(matches!(classify(500, ""), Verdict::Retry(_)));
        assert!(matches!(classify(503, "<html>"), Verdict::Retry(_)));
        assert!(matches!(classify(401, ""), Verdict::Unauthorized(_)));
        let invalid = r#"{"error":{"code":400,"status":"INVALID_ARGUMENT","details":[{"errorCode":"INVALID_ARGUMENT"}]}}"#;
        assert_eq!(
            classify(400, invalid),
            Verdict::Rejected("FCM answered 400 INVALID_ARGUMENT".into())
        );
        assert_eq!(
            classify(403, r#"{"error":{"status":"PERMISSION_DENIED"}}"#),
            Verdict::Rejected("FCM answered 403 PERMISSION_DENIED".into())
        );
    }

    #[test]
    fn tokens_are_used_until_shortly_before_they_expire() {
        let now = DateTime::UNIX_EPOCH;
        assert_eq!(use_until(now, Some(3599)), now + Duration::seconds(3299));
        assert_eq!(use_until(now, None), now + Duration::seconds(3300));
        assert_eq!(use_until(now, Some(60)), now + Duration::seconds(30));
        assert_eq!(use_until(now, Some(-5)), now);
    }

    #[test]
    fn token_answers() {
        let ok = token_answer(
            200,
            r#"{"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer"}"#,
        )
        .expect("token");
        assert_eq!(ok.access_token, "ya29.x");
        assert_eq!(ok.expires_in, Some(3599));
        assert_eq!(
            token_answer(400, r#"{"error":"invalid_grant"}"#).unwrap_err(),
            "the token endpoint answered 400 invalid_grant"
        );
        assert!(token_answer(200, r#"{"access_token":""}"#).is_err());
    }

    #[test]
    fn the_form_and_the_url() {
        assert_eq!(
            token_request_body("a.b.c"),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c"
        );
        assert_eq!(
            send_url("https://fcm.googleapis.com/", "my-proj"),
            "https://fcm.googleapis.com/v1/projects/my-proj/messages:send"
        );
    }

    #[test]
    fn bad_key_files_say_what_is_wrong() {
        assert!(
            ServiceAccount::from_json("not json")
                .unwrap_err()
                .contains("not a service-account JSON")
        );
        let e = ServiceAccount::from_json(r#"{"project_id":"p","private_key":"x"}"#).unwrap_err();
        assert_eq!(e, "the file has no client_email");
        let e = ServiceAccount::from_json(
            r#"{"project_id":"p","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}"#,
        )
        .unwrap_err();
        assert!(e.contains("private_key"), "{e}");
        assert!(!e.contains("AAAA"), "{e}");
        let e = ServiceAccount::from_json(
            r#"{"project_id":"p","client_email":"a@b","private_key":"k","token_uri":"ftp://x"}"#,
        )
        .unwrap_err();
        assert!(e.contains("token_uri"), "{e}");
    }
}
