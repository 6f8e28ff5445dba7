//! scikit-learn's default word analyser of `TfidfVectorizer`: lowercase the text, take the
//! tokens of the pattern `(?u)\b\w\w+\b` (maximal runs of at least two word characters) and
//! drop the English stop words ([`english_stop_words`], from `english_stop_words.txt`).
//!
//! A word character is `char::is_alphanumeric` or `_`. Python's `\w` is `str.isalnum()` or
//! `_`; the two differ only on a few marks that Unicode counts as alphabetic (Rust) but whose
//! general category is not a letter (Python), such as some Indic vowel signs: such a mark
//! joins its word here and splits it in scikit-learn.

use std::collections::HashSet;
use std::sync::OnceLock;

/// The stop-word file, one entry a line, `#` comments.
const STOP_WORDS_FILE: &str = include_str!("english_stop_words.txt");

/// scikit-learn's `ENGLISH_STOP_WORDS` (see `english_stop_words.txt` for the source).
pub fn english_stop_words() -> &'static HashSet<&'static str> {
    static WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| {
        STOP_WORDS_FILE
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

fn is_word_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Calls `word` with every maximal run of at least two word characters of `text`, lowercased,
/// in text order (stop words included: the caller drops them).
///
/// An ASCII text is scanned byte by byte and a word is lowercased only when it has an
/// uppercase letter (into `buffer`), so most words are slices of `text` and nothing is
/// allocated. Any other text is lowercased whole first, as Python's `str.lower()` does
/// (`str::to_lowercase` also applies the final-sigma rule), then split.
pub fn for_each_word(text: &str, buffer: &mut String, mut word: impl FnMut(&str)) {
    if text.is_ascii() {
        let bytes = text.as_bytes();
        let is_word = |b: u8| b == b'_' || b.is_ascii_alphanumeric();
        let mut i = 0;
        while i < bytes.len() {
            if !is_word(bytes[i]) {
                i += 1;
                continue;
            }
            let from = i;
            let mut upper = false;
            while i < bytes.len() && is_word(bytes[i]) {
                upper |= bytes[i].is_ascii_uppercase();
                i += 1;
            }
            if i - from < 2 {
                continue;
            }
            if upper {
                buffer.clear();
                buffer.push_str(&text[from..i]);
                buffer.make_ascii_lowercase();
                word(buffer);
            } else {
                word(&text[from..i]);
            }
        }
        return;
    }
    let lower = text.to_lowercase();
    let mut start: Option<(usize, usize)> = None; // (byte offset, chars so far)
    for (i, c) in lower.char_indices() {
        if is_word_char(c) {
            start = Some(match start {
                Some((s, n)) => (s, n + 1),
                None => (i, 1),
            });
        } else if let Some((s, n)) = start.take() {
            if n >= 2 {
                word(&lower[s..i]);
            }
        }
    }
    if let Some((s, n)) = start {
        if n >= 2 {
            word(&lower[s..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        let stop = english_stop_words();
        let mut out = Vec::new();
        for_each_word(text, &mut String::new(), |w| {
            if !stop.contains(w) {
                out.push(w.to_string());
            }
        });
        out
    }

    #[test]
    fn words_of_two_or_more_word_characters_lowercased_without_stop_words() {
        assert_eq!(
            tokens("The Refund was NOT issued, a_b x 42 co-op été!"),
            ["refund", "issued", "a_b", "42", "op", "été"]
        );
        assert_eq!(tokens("ÜBER straße"), ["über", "straße"]);
        assert!(tokens("").is_empty());
        assert!(tokens("a b c !!! ...").is_empty());
        assert!(tokens("the and of it is").is_empty());
        // The ASCII path and the general one split and lowercase alike.
        assert_eq!(
            tokens("Late PARCEL, late_Parcel x9 9 ab"),
            ["late", "parcel", "late_parcel", "x9", "ab"]
        );
        assert_eq!(
            tokens("Late PARCEL, late_Parcel x9 9 ab é"),
            ["late", "parcel", "late_parcel", "x9", "ab"]
        );
        // Final sigma: Python's "ΟΔΟΣ ΟΔΟΣ".lower() ends each word in "ς" (U+03C2).
        let word = "\u{3bf}\u{3b4}\u{3bf}\u{3c2}";
        assert_eq!(tokens("ΟΔΟΣ ΟΔΟΣ"), [word, word]);
    }

    #[test]
    fn the_stop_word_list_is_scikit_learns() {
        let words = english_stop_words();
        assert_eq!(words.len(), 318);
        for w in [
            "the",
            "amongst",
            "yourselves",
            "couldnt",
            "amoungst",
            "noone",
            "system",
        ] {
            assert!(words.contains(w), "{w}");
        }
        assert!(!words.contains("refund"));
    }
}
