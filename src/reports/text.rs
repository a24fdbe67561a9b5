//! Search text: lower-cased with Vietnamese diacritics folded, so that
//! `duong lang` finds `Đường Láng`.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a report is found by: its code, title, description and address.
pub fn search_text(code: &str, title: &str, description: &str, address: Option<&str>) -> String {
    fold(&[code, title, description, address.unwrap_or("")].join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Đường Láng"), "duong lang");
        assert_eq!(
            fold("ĐÈN ĐƯỜNG hỏng  ở   Hoàn Kiếm"),
            "den duong hong o hoan kiem"
        );
        assert_eq!(fold("Nước ngập sâu, rác thải"), "nuoc ngap sau, rac thai");
        assert_eq!(fold("Phường Ô Chợ Dừa"), "phuong o cho dua");
        assert_eq!(fold("ABC-123"), "abc-123");
    }
}
