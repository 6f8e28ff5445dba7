//! The word-list descriptors, as Evidently 0.7 defines them:
//!
//! * `OOVWordsPercentage`: the text reduced to ASCII letters, digits and spaces
//!   (`re.sub("[^A-Za-z0-9 ]+", "", text)`) and split into words; a word is out of
//!   vocabulary unless its lower case is one of the ignored words or its lemma is in the
//!   English word list. `100 * out / words`, 0 for a text without words;
//! * `TriggerWordsPresence` (Evidently's `TriggerWordsPresent`, computed by its `TextMatch`):
//!   the text's words (`re.findall(r"\b\w+\b", text)`, Unicode words), each lower-cased and
//!   (by default) lemmatized, are joined with spaces; the descriptor is whether any listed word,
//!   lower-cased, is a substring of that. A substring, as in Evidently: `wolf` is found in
//!   `wolfram`, and `ice cream` in `ice creams`. A missing text is the empty text.
//!
//! The lemma is NLTK's `WordNetLemmatizer().lemmatize(word)`, whose part of speech defaults
//! to noun: WordNet's `morphy` for nouns. An irregular form listed in WordNet's `noun.exc`
//! gives its listed lemmas, any other form those of the suffix rules `s`→``, `ses`→`s`,
//! `ves`→`f`, `xes`→`x`, `zes`→`z`, `ches`→`ch`, `shes`→`sh`, `men`→`man`, `ies`→`y`; of
//! the word itself and these, the ones that are WordNet nouns are kept and the shortest (the
//! first of equal length) is the lemma; when none is, the word is its own lemma.
//!
//! Data (`data/`, written by `scripts/gen_evidently_text_fixtures.py`): WordNet 3.0's noun
//! lemmas and noun exceptions (the WordNet that NLTK's `wordnet` package holds; WordNet
//! licence; entries of lower-case ASCII letters, digits and `_`, the multi-word joiner), and
//! as the English word list Debian's `wamerican` (SCOWL, a permissive licence; entries of
//! lower-case ASCII letters and digits, the only ones an out-of-vocabulary look-up can hit).
//! `data/LICENSES.md` holds the notices. Evidently uses NLTK's `words` list instead, which cannot be fetched
//! where this is built; docs/text.md says what that changes.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use super::python;

const ENGLISH_WORDS: &str = include_str!("data/english_words.txt");
const WORDNET_NOUNS: &str = include_str!("data/wordnet_nouns.txt");
const WORDNET_NOUN_EXCEPTIONS: &str = include_str!("data/wordnet_noun_exceptions.txt");

const NOUN_SUFFIXES: [(&str, &str); 9] = [
    ("s", ""),
    ("ses", "s"),
    ("ves", "f"),
    ("xes", "x"),
    ("zes", "z"),
    ("ches", "ch"),
    ("shes", "sh"),
    ("men", "man"),
    ("ies", "y"),
];

fn english_words() -> &'static HashSet<&'static str> {
    static WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| ENGLISH_WORDS.lines().filter(|w| !w.is_empty()).collect())
}

fn wordnet_nouns() -> &'static HashSet<&'static str> {
    static NOUNS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    NOUNS.get_or_init(|| WORDNET_NOUNS.lines().filter(|w| !w.is_empty()).collect())
}

fn noun_exceptions() -> &'static HashMap<&'static str, Vec<&'static str>> {
    static EXCEPTIONS: OnceLock<HashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    EXCEPTIONS.get_or_init(|| {
        WORDNET_NOUN_EXCEPTIONS
            .lines()
            .filter_map(|line| {
                let mut terms = line.split_whitespace();
                let form = terms.next()?;
                Some((form, terms.collect()))
            })
            .collect()
    })
}

/// The words Evidently's word-list descriptors see: runs of ASCII letters and digits once
/// every other character but the space is deleted.
pub fn ascii_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            current.push(c);
        } else if c == ' ' && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// NLTK's `WordNetLemmatizer().lemmatize(word)` (noun) for a lower-case word.
pub fn lemmatize_noun(word: &str) -> Cow<'_, str> {
    let nouns = wordnet_nouns();
    let mut forms: Vec<Cow<'_, str>> = vec![Cow::Borrowed(word)];
    match noun_exceptions().get(word) {
        Some(lemmas) => forms.extend(lemmas.iter().map(|l| Cow::Borrowed(*l))),
        None => forms.extend(NOUN_SUFFIXES.iter().filter_map(|(old, new)| {
            word.strip_suffix(old)
                .map(|stem| Cow::Owned(format!("{stem}{new}")))
        })),
    }
    let mut best: Option<Cow<'_, str>> = None;
    for form in forms {
        if nouns.contains(form.as_ref())
            && best
                .as_ref()
                .is_none_or(|b| form.chars().count() < b.chars().count())
        {
            best = Some(form);
        }
    }
    best.unwrap_or(Cow::Borrowed(word))
}

/// Evidently's `OOVWordsPercentage`: the share of words, in percent, that are neither ignored
/// (`ignore_words`, compared with the lower-case word) nor in the English word list after
/// lemmatization; 0 for a text without words.
pub fn oov_words_percentage(text: &str, ignore_words: &HashSet<String>) -> f64 {
    let words = ascii_words(text);
    if words.is_empty() {
        return 0.0;
    }
    let english = english_words();
    let oov = words
        .iter()
        .filter(|w| {
            let lower = w.to_ascii_lowercase();
            !ignore_words.contains(&lower) && !english.contains(lemmatize_noun(&lower).as_ref())
        })
        .count();
    100.0 * oov as f64 / words.len() as f64
}

/// The words of Python's `re.findall(r"\b\w+\b", text)`: maximal runs of word characters.
fn unicode_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !python::is_word_char(c))
        .filter(|w| !w.is_empty())
}

/// Evidently's `TriggerWordsPresent`: whether a lower-case `words` entry is a substring of the
/// text's words, lower-cased, lemmatized when `lemmatize`, joined with spaces.
pub fn trigger_words_present(text: &str, words: &[String], lemmatize: bool) -> bool {
    let mut joined = String::with_capacity(text.len());
    for (k, word) in unicode_words(text).enumerate() {
        if k > 0 {
            joined.push(' ');
        }
        let lower = python::lower(word);
        if lemmatize {
            joined.push_str(&lemmatize_noun(&lower));
        } else {
            joined.push_str(&lower);
        }
    }
    // Without lemmatization Evidently lower-cases the joined text, which the words already are.
    words.iter().any(|w| joined.contains(w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lemmas_follow_wordnet() {
        assert_eq!(lemmatize_noun("wolves"), "wolf");
        assert_eq!(lemmatize_noun("geese"), "goose");
        assert_eq!(lemmatize_noun("churches"), "church");
        assert_eq!(lemmatize_noun("xyzzy"), "xyzzy");
        assert_eq!(ascii_words("it's 4th-floor, ok"), ["its", "4thfloor", "ok"]);
    }
}
