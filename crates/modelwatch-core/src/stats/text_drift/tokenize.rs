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

/// A lowercased text and the byte ranges of its tokens that are not stop words.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    text: String,
    spans: Vec<(u32, u32)>,
}

impl Tokens {
    /// Tokenises `text` as scikit-learn's default analyser with English stop words does.
    pub fn new(text: &str) -> Self {
        let text = text.to_lowercase();
        let stop = english_stop_words();
        let mut spans = Vec::new();
        let mut start: Option<(usize, usize)> = None; // (byte offset, chars so far)
        let push = |from: usize, to: usize, chars: usize, spans: &mut Vec<(u32, u32)>| {
            if chars >= 2 && !stop.contains(&text[from..to]) {
                spans.push((from as u32, to as u32));
            }
        };
        for (i, c) in text.char_indices() {
            if is_word_char(c) {
                start = Some(match start {
                    Some((s, n)) => (s, n + 1),
                    None => (i, 1),
                });
            } else if let Some((s, n)) = start.take() {
                push(s, i, n, &mut spans);
            }
        }
        if let Some((s, n)) = start {
            push(s, text.len(), n, &mut spans);
        }
        Tokens { text, spans }
    }

    /// The tokens, in text order (repeats kept).
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.spans
            .iter()
            .map(|&(a, b)| &self.text[a as usize..b as usize])
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the text has no token.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        Tokens::new(text).iter().map(str::to_string).collect()
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
