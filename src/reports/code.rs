//! Short human tracking codes: `PA-` and six characters of Crockford's base32
//! (no I, L, O, U: nothing to misread on a phone call).

use rand::RngExt as _;

const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub fn new_code() -> String {
    let mut rng = rand::rng();
    let suffix: String = (0..6)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("PA-{suffix}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_look_right() {
        for _ in 0..100 {
            let c = super::new_code();
            assert_eq!(c.len(), 9);
            assert!(c.starts_with("PA-"));
            assert!(
                c[3..]
                    .chars()
                    .all(|ch| ch.is_ascii_digit()
                        || (ch.is_ascii_uppercase() && !"ILOU".contains(ch)))
            );
        }
    }
}
