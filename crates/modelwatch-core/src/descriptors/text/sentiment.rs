//! `Sentiment`: the compound score of VADER (Hutto and Gilbert, "VADER: A Parsimonious
//! Rule-based Model for Sentiment Analysis of Social Media Text", ICWSM 2014), in [-1, 1],
//! rounded to 4 decimals, as Evidently 0.7 computes it with NLTK's
//! `nltk.sentiment.vader.SentimentIntensityAnalyzer`.
//!
//! The lexicon is the one that ships with the `vaderSentiment` package (MIT licence,
//! `data/vader_lexicon.txt`). The rules are NLTK's port, which is what Evidently runs:
//!
//! 1. tokens: the text split on whitespace, tokens of one character dropped, and a token that
//!    is one of VADER's punctuation marks followed or preceded by a word (`cat,`, `!!cat`)
//!    replaced by the word;
//! 2. each token's valence: its lexicon value (lower-cased look-up), ± 0.733 when it is in
//!    capitals among tokens that are not all capitals; then for each of the three tokens
//!    before it that is not in the lexicon, a booster's ± 0.293 (damped by 0.95 and 0.9 for
//!    the second and third), negations (× -0.74), `never so`/`never this` (× 1.5, × 1.25),
//!    idioms (`the shit`, `yeah right`, ...) and `least`. As in NLTK, a token that occurs
//!    more than once is scored at its first position each time;
//! 3. `but`: valences before the first `but` × 0.5, after it × 1.5;
//! 4. the sum, pushed away from 0 by 0.292 per `!` (at most 4) and, for more than one `?`,
//!    0.18 per `?` (0.96 from four on);
//! 5. compound = s / sqrt(s² + 15), rounded to 4 decimals.
//!
//! `vaderSentiment` itself (3.3.2) differs from NLTK's port: it describes emoji with words
//! before scoring and handles `no` and `least` differently; Evidently does not, so neither does
//! this module (docs/text.md).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use super::python;

const LEXICON_TEXT: &str = include_str!("data/vader_lexicon.txt");

const B_INCR: f64 = 0.293;
const B_DECR: f64 = -0.293;
const C_INCR: f64 = 0.733;
const N_SCALAR: f64 = -0.74;

const NEGATE: [&str; 59] = [
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

const BOOST_UP: [&str; 46] = [
    "absolutely",
    "amazingly",
    "awfully",
    "completely",
    "considerably",
    "decidedly",
    "deeply",
    "effing",
    "enormously",
    "entirely",
    "especially",
    "exceptionally",
    "extremely",
    "fabulously",
    "flipping",
    "flippin",
    "fricking",
    "frickin",
    "frigging",
    "friggin",
    "fully",
    "fucking",
    "greatly",
    "hella",
    "highly",
    "hugely",
    "incredibly",
    "intensely",
    "majorly",
    "more",
    "most",
    "particularly",
    "purely",
    "quite",
    "really",
    "remarkably",
    "so",
    "substantially",
    "thoroughly",
    "totally",
    "tremendously",
    "uber",
    "unbelievably",
    "unusually",
    "utterly",
    "very",
];

const BOOST_DOWN: [&str; 20] = [
    "almost",
    "barely",
    "hardly",
    "just enough",
    "kind of",
    "kinda",
    "kindof",
    "kind-of",
    "less",
    "little",
    "marginally",
    "occasionally",
    "partly",
    "scarcely",
    "slightly",
    "somewhat",
    "sort of",
    "sorta",
    "sortof",
    "sort-of",
];

const IDIOMS: [(&str, f64); 7] = [
    ("the shit", 3.0),
    ("the bomb", 3.0),
    ("bad ass", 1.5),
    ("yeah right", -2.0),
    ("cut the mustard", 2.0),
    ("kiss of death", -1.5),
    ("hand to mouth", -2.0),
];

const PUNCTUATION: [&str; 17] = [
    ".", "!", "?", ",", ";", ":", "-", "'", "\"", "!!", "!!!", "??", "???", "?!?", "!?!", "?!?!",
    "!?!?",
];

/// The VADER lexicon: lower-case token to mean valence.
fn lexicon() -> &'static HashMap<&'static str, f64> {
    static LEXICON: OnceLock<HashMap<&'static str, f64>> = OnceLock::new();
    LEXICON.get_or_init(|| {
        LEXICON_TEXT
            .lines()
            .filter_map(|line| {
                let mut fields = line.trim().split('\t');
                let word = fields.next()?;
                let value = fields.next()?.parse().ok()?;
                Some((word, value))
            })
            .collect()
    })
}

fn booster(word_lower: &str) -> Option<f64> {
    if BOOST_UP.contains(&word_lower) {
        Some(B_INCR)
    } else if BOOST_DOWN.contains(&word_lower) {
        Some(B_DECR)
    } else {
        None
    }
}

fn idiom(phrase: &str) -> Option<f64> {
    IDIOMS.iter().find(|(p, _)| *p == phrase).map(|&(_, v)| v)
}

fn is_negation(word: &str) -> bool {
    let lower = python::lower(word);
    NEGATE.contains(&lower.as_ref()) || lower.contains("n't")
}

/// VADER's tokens: whitespace-split, one-character tokens dropped, a punctuation mark before
/// or after a word stripped.
fn tokens(text: &str) -> Vec<&str> {
    let words: HashSet<String> = python::split_whitespace(text)
        .map(|t| {
            t.chars()
                .filter(|c| !c.is_ascii_punctuation())
                .collect::<String>()
        })
        .filter(|w| w.chars().count() > 1)
        .collect();
    python::split_whitespace(text)
        .filter(|t| t.chars().count() > 1)
        .map(|t| {
            let rest = t.trim_start_matches(|c: char| c.is_ascii_punctuation());
            let lead = &t[..t.len() - rest.len()];
            if !lead.is_empty() && PUNCTUATION.contains(&lead) && words.contains(rest) {
                return rest;
            }
            let word = t.trim_end_matches(|c: char| c.is_ascii_punctuation());
            let tail = &t[word.len()..];
            if !tail.is_empty() && PUNCTUATION.contains(&tail) && words.contains(word) {
                return word;
            }
            t
        })
        .collect()
}

fn scalar_inc_dec(word: &str, valence: f64, cap_differential: bool) -> f64 {
    let Some(mut scalar) = booster(&python::lower(word)) else {
        return 0.0;
    };
    if valence < 0.0 {
        scalar = -scalar;
    }
    if python::is_upper(word) && cap_differential {
        scalar += if valence > 0.0 { C_INCR } else { -C_INCR };
    }
    scalar
}

fn never_check(valence: f64, t: &[&str], start: usize, i: usize) -> f64 {
    match start {
        0 if is_negation(t[i - 1]) => valence * N_SCALAR,
        1 if t[i - 2] == "never" && (t[i - 1] == "so" || t[i - 1] == "this") => valence * 1.5,
        1 if is_negation(t[i - 2]) => valence * N_SCALAR,
        2 if (t[i - 3] == "never" && (t[i - 2] == "so" || t[i - 2] == "this"))
            || (t[i - 1] == "so" || t[i - 1] == "this") =>
        {
            valence * 1.25
        }
        2 if is_negation(t[i - 3]) => valence * N_SCALAR,
        _ => valence,
    }
}

fn idioms_check(mut valence: f64, t: &[&str], i: usize) -> f64 {
    let onezero = format!("{} {}", t[i - 1], t[i]);
    let twoonezero = format!("{} {} {}", t[i - 2], t[i - 1], t[i]);
    let twoone = format!("{} {}", t[i - 2], t[i - 1]);
    let threetwoone = format!("{} {} {}", t[i - 3], t[i - 2], t[i - 1]);
    let threetwo = format!("{} {}", t[i - 3], t[i - 2]);
    for seq in [&onezero, &twoonezero, &twoone, &threetwoone, &threetwo] {
        if let Some(v) = idiom(seq) {
            valence = v;
            break;
        }
    }
    if t.len() - 1 > i {
        if let Some(v) = idiom(&format!("{} {}", t[i], t[i + 1])) {
            valence = v;
        }
    }
    if t.len() - 1 > i + 1 {
        if let Some(v) = idiom(&format!("{} {} {}", t[i], t[i + 1], t[i + 2])) {
            valence = v;
        }
    }
    // NLTK looks these two-word phrases up as they are, without lower-casing them.
    if booster(&threetwo).is_some() || booster(&twoone).is_some() {
        valence += B_DECR;
    }
    valence
}

fn least_check(valence: f64, t: &[&str], i: usize, lex: &HashMap<&str, f64>) -> f64 {
    let before = |k: usize| python::lower(t[i - k]);
    if i > 1 && !lex.contains_key(before(1).as_ref()) && before(1) == "least" {
        if before(2) != "at" && before(2) != "very" {
            return valence * N_SCALAR;
        }
        valence
    } else if i > 0 && !lex.contains_key(before(1).as_ref()) && before(1) == "least" {
        valence * N_SCALAR
    } else {
        valence
    }
}

fn token_valence(t: &[&str], i: usize, cap_differential: bool) -> f64 {
    let lex = lexicon();
    let item = t[i];
    let Some(&base) = lex.get(python::lower(item).as_ref()) else {
        return 0.0;
    };
    let mut valence = base;
    if python::is_upper(item) && cap_differential {
        valence += if valence > 0.0 { C_INCR } else { -C_INCR };
    }
    for start in 0..3 {
        if i > start && !lex.contains_key(python::lower(t[i - (start + 1)]).as_ref()) {
            let mut s = scalar_inc_dec(t[i - (start + 1)], valence, cap_differential);
            if start == 1 && s != 0.0 {
                s *= 0.95;
            }
            if start == 2 && s != 0.0 {
                s *= 0.9;
            }
            valence += s;
            valence = never_check(valence, t, start, i);
            if start == 2 {
                valence = idioms_check(valence, t, i);
            }
        }
    }
    least_check(valence, t, i, lex)
}

/// Python's `round(x, 4)`: the nearest 4-decimal number to the exact binary value, ties to
/// even, which is what Rust's formatting does too.
fn round4(x: f64) -> f64 {
    format!("{x:.4}").parse().unwrap_or(x)
}

/// The VADER compound score of `text`, as Evidently's `Sentiment` gives it.
pub fn sentiment(text: &str) -> f64 {
    let t = tokens(text);
    if t.is_empty() {
        return 0.0;
    }
    let all_caps = t.iter().filter(|w| python::is_upper(w)).count();
    let cap_differential = all_caps > 0 && all_caps < t.len();
    let mut first_index: HashMap<&str, usize> = HashMap::new();
    for (idx, tok) in t.iter().enumerate() {
        first_index.entry(tok).or_insert(idx);
    }
    let mut sentiments: Vec<f64> = Vec::with_capacity(t.len());
    for item in &t {
        let i = first_index[item];
        let lower = python::lower(item);
        let kind_of = i < t.len() - 1 && lower == "kind" && python::lower(t[i + 1]) == "of";
        if kind_of || booster(&lower).is_some() {
            sentiments.push(0.0);
            continue;
        }
        sentiments.push(token_valence(&t, i, cap_differential));
    }
    if let Some(bi) = t.iter().position(|w| python::lower(w) == "but") {
        for (k, s) in sentiments.iter_mut().enumerate() {
            if k < bi {
                *s *= 0.5;
            } else if k > bi {
                *s *= 1.5;
            }
        }
    }
    let mut sum: f64 = sentiments.iter().fold(0.0, |a, &b| a + b);
    let exclamations = text.matches('!').count().min(4) as f64 * 0.292;
    let questions = text.matches('?').count();
    let question_amp = match questions {
        0 | 1 => 0.0,
        2..=3 => questions as f64 * 0.18,
        _ => 0.96,
    };
    let amplifier = exclamations + question_amp;
    if sum > 0.0 {
        sum += amplifier;
    } else if sum < 0.0 {
        sum -= amplifier;
    }
    round4(sum / (sum * sum + 15.0).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_scores() {
        assert_eq!(sentiment("I love it"), 0.6369);
        assert_eq!(sentiment(""), 0.0);
        assert_eq!(sentiment("!!!"), 0.0);
    }
}
