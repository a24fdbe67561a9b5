//! Passwords: argon2id (m=19456 KiB, t=2, p=1, OWASP's first choice) on the
//! blocking pool, with a bound on concurrent hashes so a login flood cannot
//! exhaust memory; and the password rules of ASVS 5.0 §6.2.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::messages::Msg;

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

fn argon2() -> Argon2<'static> {
    // The parameters are spelled out so a change of crate defaults cannot
    // silently weaken (or slow) hashing.
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

impl PasswordHasher {
    pub fn new(max_concurrent: usize) -> Self {
        PasswordHasher {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
        }
    }

    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let password = password.to_owned();
        let _permit = self.permits.acquire().await?;
        tokio::task::spawn_blocking(move || {
            argon2()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))
        })
        .await?
    }

    /// Checks `password` against `hash`. With `hash = None` (no such account)
    /// it verifies against a fixed dummy hash, so the answer takes the same
    /// time whether or not the account exists.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> anyhow::Result<bool> {
        let password = password.to_owned();
        let real = hash.is_some();
        let hash = match hash {
            Some(h) => h.to_owned(),
            None => dummy_hash().to_owned(),
        };
        let _permit = self.permits.acquire().await?;
        let ok = tokio::task::spawn_blocking(move || {
            let Ok(parsed) = PasswordHash::new(&hash) else {
                return false;
            };
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .await?;
        Ok(ok && real)
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        argon2()
            .hash_password(b"dummy password for timing equalization")
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// ASVS 5.0 §6.2: at least 8 characters, up to 128 accepted, no composition
/// rules, and the most common or guessable passwords refused. "Common" is
/// zxcvbn's estimate of fewer than a million guesses, which covers its lists of
/// common passwords, keyboard walks, repeats and dates, and the person's own
/// name, phone and email (`user_inputs`).
pub fn check_policy(password: &str, user_inputs: &[&str]) -> Result<(), Msg> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(Msg::TooShort {
            min: MIN_LEN as u64,
        });
    }
    if len > MAX_LEN {
        return Err(Msg::TooLong {
            max: MAX_LEN as u64,
        });
    }
    let words = personal_words(user_inputs);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let estimate = zxcvbn::zxcvbn(password, &words);
    if (estimate.score() as u8) < 2 {
        return Err(Msg::PasswordTooCommon);
    }
    Ok(())
}

/// zxcvbn matches user inputs as whole words: give it the forms a person
/// would build a password from (the email's local part, the name with and
/// without spaces, the phone's digits in national form).
fn personal_words(inputs: &[&str]) -> Vec<String> {
    let mut words = Vec::new();
    for input in inputs {
        let lower = input.trim().to_lowercase();
        if lower.is_empty() {
            continue;
        }
        if let Some((local, _)) = lower.split_once('@') {
            words.push(local.to_owned());
        }
        if let Some(national) = lower.strip_prefix("+84") {
            words.push(format!("0{national}"));
        }
        words.extend(lower.split_whitespace().map(str::to_owned));
        words.push(lower.split_whitespace().collect::<String>());
        words.push(lower);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_rules_count_characters_not_bytes() {
        assert_eq!(check_policy("short", &[]), Err(Msg::TooShort { min: 8 }));
        // 8 Vietnamese characters are 8 characters even though they are more bytes.
        assert!(check_policy("Đường Láng 7ệ", &[]).is_ok());
        let long: String = "gió-mùa-đông-bắc ".repeat(8);
        assert_eq!(long.chars().count(), 136);
        assert_eq!(check_policy(&long, &[]), Err(Msg::TooLong { max: 128 }));
        let max: String = long.chars().take(128).collect();
        assert!(check_policy(&max, &[]).is_ok());
    }

    #[test]
    fn common_passwords_are_refused() {
        for p in [
            "password",
            "12345678",
            "123456789",
            "qwertyuiop",
            "iloveyou",
            "password1",
            "aaaaaaaa",
        ] {
            assert_eq!(check_policy(p, &[]), Err(Msg::PasswordTooCommon), "{p}");
        }
        assert_eq!(
            check_policy("nguyenvanan", &["nguyenvanan@example.com", "Nguyen Van An"]),
            Err(Msg::PasswordTooCommon)
        );
        assert_eq!(
            check_policy("0912345678", &["+84912345678"]),
            Err(Msg::PasswordTooCommon)
        );
        assert!(check_policy("correct horse battery staple", &[]).is_ok());
        assert!(check_policy("mây trôi qua hồ gươm", &[]).is_ok());
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let h = PasswordHasher::new(2);
        let hash = h.hash("mây trôi qua hồ gươm").await.expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            h.verify("mây trôi qua hồ gươm", Some(&hash))
                .await
                .expect("verify")
        );
        assert!(!h.verify("wrong", Some(&hash)).await.expect("verify"));
        assert!(!h.verify("anything", None).await.expect("verify"));
        assert!(
            !h.verify("anything", Some("not a hash"))
                .await
                .expect("verify")
        );
    }
}
