//! Python's character classes and case mappings, as the text descriptors need them: Evidently
//! computes with Python's `str` methods and `re` classes, whose definitions differ from Rust's
//! (`char::is_alphabetic` takes combining vowel signs for letters, Python's `isalpha` does
//! not; Python's `isspace` takes the separators U+001C–U+001F for spaces, Rust's
//! `is_whitespace` does not). The Unicode tables are those of `unicode-general-category`,
//! which may be a newer Unicode version than the Python that made the fixtures.

use std::borrow::Cow;

use unicode_general_category::{get_general_category, GeneralCategory as G};

/// Python's `str.isalpha` for one character: general category Lu, Ll, Lt, Lm or Lo.
pub fn is_alpha(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    matches!(
        get_general_category(c),
        G::UppercaseLetter
            | G::LowercaseLetter
            | G::TitlecaseLetter
            | G::ModifierLetter
            | G::OtherLetter
    )
}

/// Python `re`'s `\w` in a `str` pattern: a letter, a number or the underscore.
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    is_alpha(c) || c.is_numeric()
}

/// Python's `str.isspace` for one character, which is also `re`'s `\s` in a `str` pattern and
/// what `str.split()` splits on.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.split()` without arguments: runs of whitespace separate, none are kept.
pub fn split_whitespace(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_space).filter(|w| !w.is_empty())
}

/// Python's `str.isupper`: at least one cased character, and no lower-case or title-case one.
pub fn is_upper(text: &str) -> bool {
    let mut cased = false;
    for c in text.chars() {
        if c.is_lowercase() || get_general_category(c) == G::TitlecaseLetter {
            return false;
        }
        if c.is_uppercase() {
            cased = true;
        }
    }
    cased
}

/// Python's `str.lower`.
pub fn lower(text: &str) -> Cow<'_, str> {
    if text.chars().all(|c| !c.is_uppercase() && c.is_ascii()) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.to_lowercase())
    }
}

/// Python's `str.casefold`, approximated: the lower case with the full foldings that differ
/// from it in common text (`ß` and `ẞ` to `ss`, final and medial sigma alike, long `s`).
pub fn casefold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.to_lowercase().chars() {
        match c {
            'ß' => out.push_str("ss"),
            'ς' => out.push('σ'),
            'ſ' => out.push('s'),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_python() {
        assert!(is_alpha('é'));
        // DEVANAGARI VOWEL SIGN I is alphabetic in Rust, not in Python.
        assert!(!is_alpha('\u{093f}'));
        assert!(is_space('\u{1f}'));
        assert!(is_upper("HELLO1"));
        assert!(!is_upper("123"));
        assert!(!is_upper("HeLLO"));
        assert_eq!(casefold("Straße"), "strasse");
        assert_eq!(
            split_whitespace(" a\u{a0}b  c ").collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
    }
}
