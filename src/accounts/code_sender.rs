//! How a password reset code reaches a person: by SMS to a phone, by e-mail
//! to an address. Each channel has a sender chosen by configuration
//! (`[password_reset]`): `log` (development: the message, code included, goes
//! to the log), `http` (a generic SMS gateway: URL, method, headers and a
//! body template with placeholders, since Vietnamese providers all differ),
//! or `smtp` (e-mail through `lettre`, over STARTTLS or TLS with rustls).
//!
//! Placeholders in the SMS gateway's URL and body: `{phone}` (E.164,
//! `+84912345678`), `{phone_digits}` (`84912345678`), `{phone_local}`
//! (`0912345678`), `{code}`, `{minutes}` (the code's lifetime) and
//! `{message}` (the whole text, in the account's language). Values are
//! escaped for where they go: percent-encoded in the URL, and in the body as
//! `body_encoding` says (`json`: inside a JSON string; `form`:
//! percent-encoded; `raw`: as is).

use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{ResetConfig, SmsHttpConfig, SmtpConfig, SmtpSecurity};
use crate::i18n::Locale;
use crate::messages::Msg;

/// One message to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// An E.164 phone number or an e-mail address.
    pub to: String,
    pub code: String,
    pub minutes: u64,
    pub locale: Locale,
}

impl Outgoing {
    /// The SMS text (Vietnamese without diacritics: one GSM-7 segment, as
    /// gateways prefer).
    pub fn sms_text(&self) -> String {
        Msg::ResetCodeText {
            code: self.code.clone(),
            minutes: self.minutes,
        }
        .render(self.locale)
    }
}

/// A configured sender for one channel.
#[derive(Clone)]
pub enum Sender {
    Log,
    /// The configured sender could not be built (said in the log at start).
    Unavailable(String),
    Http(HttpSms),
    Smtp(Smtp),
}

impl Sender {
    pub async fn send(&self, m: &Outgoing) -> anyhow::Result<()> {
        match self {
            Sender::Log => {
                tracing::info!(to = %m.to, code = %m.code, text = %m.sms_text(), "password reset code (log sender)");
                Ok(())
            }
            Sender::Unavailable(why) => bail!("no sender: {why}"),
            Sender::Http(h) => h.send(m).await,
            Sender::Smtp(s) => s.send(m).await,
        }
    }
}

/// The senders of both channels.
#[derive(Clone)]
pub struct Senders {
    pub sms: Sender,
    pub email: Sender,
}

impl Senders {
    /// From `[password_reset]` (already validated); a sender that cannot be
    /// built is logged and sends nothing (never falls back to the log).
    pub fn from_config(c: &ResetConfig) -> Senders {
        let sms = Self::sms(c).unwrap_or_else(|e| {
            tracing::error!(error = %e, "SMS sender for password reset codes unavailable");
            Sender::Unavailable(e.to_string())
        });
        let email = Self::email(c).unwrap_or_else(|e| {
            tracing::error!(error = %e, "e-mail sender for password reset codes unavailable");
            Sender::Unavailable(e.to_string())
        });
        Senders { sms, email }
    }

    fn sms(c: &ResetConfig) -> anyhow::Result<Sender> {
        let timeout = Duration::from_secs(c.send_timeout_secs);
        Ok(match c.sms_sender.as_str() {
            "log" => Sender::Log,
            "http" => Sender::Http(HttpSms::new(c.sms_http.clone(), timeout)?),
            other => bail!("password_reset.sms_sender: unknown sender {other:?}"),
        })
    }

    fn email(c: &ResetConfig) -> anyhow::Result<Sender> {
        let timeout = Duration::from_secs(c.send_timeout_secs);
        Ok(match c.email_sender.as_str() {
            "log" => Sender::Log,
            "smtp" => Sender::Smtp(Smtp::new(&c.smtp, timeout)?),
            other => bail!("password_reset.email_sender: unknown sender {other:?}"),
        })
    }
}

/// A generic HTTP SMS gateway.
#[derive(Clone)]
pub struct HttpSms {
    config: SmsHttpConfig,
    method: reqwest::Method,
    client: reqwest::Client,
}

/// How placeholder values are written into a template.
#[derive(Clone, Copy)]
enum Escape {
    Json,
    Percent,
    Raw,
}

fn escape(value: &str, how: Escape) -> String {
    match how {
        Escape::Raw => value.to_owned(),
        Escape::Percent => form_urlencoded::byte_serialize(value.as_bytes()).collect(),
        Escape::Json => {
            let quoted = serde_json::Value::String(value.to_owned()).to_string();
            quoted[1..quoted.len() - 1].to_owned()
        }
    }
}

/// Fills `{name}` placeholders of `template` from `values`; anything else in
/// braces is left as written (JSON templates are full of braces).
fn fill(template: &str, values: &[(&str, String)], how: Escape) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), &escape(value, how));
    }
    out
}

/// The national form of a Vietnamese E.164 number (`+84912…` → `0912…`);
/// other numbers as digits.
fn phone_local(e164: &str) -> String {
    match e164.strip_prefix("+84") {
        Some(rest) => format!("0{rest}"),
        None => e164.trim_start_matches('+').to_owned(),
    }
}

impl HttpSms {
    pub fn new(config: SmsHttpConfig, timeout: Duration) -> anyhow::Result<HttpSms> {
        let method = reqwest::Method::from_bytes(config.method.trim().to_uppercase().as_bytes())
            .context("password_reset.sms_http.method")?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .context("HTTP client")?;
        Ok(HttpSms {
            config,
            method,
            client,
        })
    }

    fn values(m: &Outgoing) -> Vec<(&'static str, String)> {
        vec![
            ("phone", m.to.clone()),
            ("phone_digits", m.to.trim_start_matches('+').to_owned()),
            ("phone_local", phone_local(&m.to)),
            ("code", m.code.clone()),
            ("minutes", m.minutes.to_string()),
            ("message", m.sms_text()),
        ]
    }

    async fn send(&self, m: &Outgoing) -> anyhow::Result<()> {
        let values = Self::values(m);
        let url = fill(&self.config.url, &values, Escape::Percent);
        let mut req = self.client.request(self.method.clone(), &url);
        for (name, value) in &self.config.headers {
            req = req.header(name.as_str(), fill(value, &values, Escape::Raw));
        }
        if !self.config.body.is_empty() {
            let how = match self.config.body_encoding.as_str() {
                "json" => Escape::Json,
                "form" => Escape::Percent,
                _ => Escape::Raw,
            };
            let content_type = match self.config.body_encoding.as_str() {
                "json" => "application/json",
                "form" => "application/x-www-form-urlencoded",
                _ => "text/plain; charset=utf-8",
            };
            let has_type = self
                .config
                .headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case("content-type"));
            if !has_type {
                req = req.header("content-type", content_type);
            }
            req = req.body(fill(&self.config.body, &values, how));
        }
        let resp = req.send().await.map_err(|e| anyhow!("SMS gateway: {e}"))?;
        let status = resp.status();
        if !status.is_success() {
            let body = resp.text().await.unwrap_or_default();
            let body: String = body.chars().take(200).collect();
            bail!("SMS gateway answered HTTP {status}: {body}");
        }
        Ok(())
    }
}

/// E-mail over SMTP.
#[derive(Clone)]
pub struct Smtp {
    from: Mailbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Smtp {
    pub fn new(c: &SmtpConfig, timeout: Duration) -> anyhow::Result<Smtp> {
        let from: Mailbox = c.from.parse().context("password_reset.smtp.from")?;
        let builder = match c.security {
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&c.host)
                .context("password_reset.smtp.host")?,
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&c.host)
                .context("password_reset.smtp.host")?,
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.host),
        };
        let mut builder = builder.port(c.port).timeout(Some(timeout));
        if !c.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                c.username.clone(),
                c.password.expose().to_owned(),
            ));
        }
        Ok(Smtp {
            from,
            transport: builder.build(),
        })
    }

    async fn send(&self, m: &Outgoing) -> anyhow::Result<()> {
        let to: Mailbox = m.to.parse().context("recipient address")?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(Msg::ResetCodeSubject.render(m.locale))
            .body(
                Msg::ResetCodeEmailBody {
                    code: m.code.clone(),
                    minutes: m.minutes,
                }
                .render(m.locale),
            )
            .context("building the e-mail")?;
        self.transport
            .send(email)
            .await
            .map_err(|e| anyhow!("SMTP: {e}"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_escape_for_their_place() {
        let v = vec![
            ("phone", "+84912345678".to_owned()),
            ("message", "Mã \"1\" & ok".to_owned()),
        ];
        assert_eq!(
            fill(
                r#"{"to":"{phone}","text":"{message}","x":{}}"#,
                &v,
                Escape::Json
            ),
            r#"{"to":"+84912345678","text":"Mã \"1\" & ok","x":{}}"#
        );
        assert_eq!(
            fill("to={phone}&text={message}", &v, Escape::Percent),
            "to=%2B84912345678&text=M%C3%A3+%221%22+%26+ok"
        );
        assert_eq!(
            fill("{unknown} {phone}", &v, Escape::Raw),
            "{unknown} +84912345678"
        );
    }

    #[test]
    fn national_form_of_vietnamese_numbers() {
        assert_eq!(phone_local("+84912345678"), "0912345678");
        assert_eq!(phone_local("+6591234567"), "6591234567");
    }
}
