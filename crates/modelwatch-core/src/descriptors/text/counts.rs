//! The counting descriptors, as Evidently 0.7 defines them (`evidently.legacy.features`):
//!
//! * `TextLength`: the number of Unicode code points, Python's `len(text)`;
//! * `WordCount`: every character but ASCII letters and the space deleted
//!   (`re.sub(r"[^a-zA-Z ]+", "", text)`), then the runs of letters counted (`.split()`): `don't`
//!   is one word (`dont`), `déjà vu` two (`dj vu`: the accented letters are deleted and their
//!   neighbours join), `3 cats` one;
//! * `SentenceCount`: one more than the number of places where Evidently's pattern
//!   `(?<!\w\.\w.)(?<![A-Z][a-z]\.)(?<=\.|\?)\s` splits the text, at least 1. A whitespace
//!   after `.` or `?` ends a sentence unless the four characters before it look like `e.g.`
//!   (word, dot, word, any) or the three before it like `Mr.` (ASCII capital, ASCII small,
//!   dot). `!` never ends a sentence in Evidently's rule, and neither does this;
//! * `NonLetterCharacterPercentage`: `100 * n / len(text)`, `n` the characters that are
//!   neither letters (Python's `str.isalpha`: general category L) nor the space U+0020.
//!
//! A missing text is 0 in each, as in Evidently.

use super::python;

/// Python's `len(text)`: Unicode code points.
pub fn text_length(text: &str) -> f64 {
    text.chars().count() as f64
}

/// Evidently's word count: runs of ASCII letters once all but ASCII letters and spaces are
/// deleted.
pub fn word_count(text: &str) -> f64 {
    let mut words = 0usize;
    let mut in_word = false;
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            if !in_word {
                words += 1;
                in_word = true;
            }
        } else if c == ' ' {
            in_word = false;
        }
        // Every other character is deleted: it neither starts nor ends a word.
    }
    words as f64
}

/// Evidently's sentence count: the pieces of its split pattern, at least 1.
pub fn sentence_count(text: &str) -> f64 {
    let chars: Vec<char> = text.chars().collect();
    let mut splits = 0usize;
    for j in 1..chars.len() {
        if !python::is_space(chars[j]) {
            continue;
        }
        let prev = chars[j - 1];
        if prev != '.' && prev != '?' {
            continue;
        }
        // `(?<!\w\.\w.)`: the `.` of the pattern matches anything but a newline; here it is
        // the `.` or `?` just checked, so only the three characters before it matter.
        if j >= 4
            && python::is_word_char(chars[j - 4])
            && chars[j - 3] == '.'
            && python::is_word_char(chars[j - 2])
        {
            continue;
        }
        // `(?<![A-Z][a-z]\.)`
        if j >= 3
            && chars[j - 3].is_ascii_uppercase()
            && chars[j - 2].is_ascii_lowercase()
            && prev == '.'
        {
            continue;
        }
        splits += 1;
    }
    (splits + 1) as f64
}

/// The percentage of characters that are neither letters nor the space; `None` for the empty
/// text, where Evidently divides by zero.
pub fn non_letter_character_percentage(text: &str) -> Option<f64> {
    let mut total = 0usize;
    let mut non_letters = 0usize;
    for c in text.chars() {
        total += 1;
        if c != ' ' && !python::is_alpha(c) {
            non_letters += 1;
        }
    }
    if total == 0 {
        return None;
    }
    Some(100.0 * non_letters as f64 / total as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_evidentlys_rules() {
        assert_eq!(text_length("héllo 😀"), 7.0);
        assert_eq!(word_count("don't stop-me now1x"), 3.0);
        assert_eq!(word_count("déjà vu"), 2.0);
        assert_eq!(word_count(""), 0.0);
        assert_eq!(sentence_count(""), 1.0);
        assert_eq!(sentence_count("One. Two? Three! Four"), 3.0);
        assert_eq!(sentence_count("Mr. Smith e.g. this. Done"), 2.0);
        assert_eq!(non_letter_character_percentage("ab 1"), Some(25.0));
        assert_eq!(non_letter_character_percentage(""), None);
    }
}
