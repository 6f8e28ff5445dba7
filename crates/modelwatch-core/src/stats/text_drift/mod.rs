//! Drift of a text column: Evidently 0.7's `abs_text_content_drift` and
//! `perc_text_content_drift` (`calculate_text_drift_score` in
//! `evidently/legacy/utils/data_drift_utils.py`), a domain classifier two-sample test
//! (Lopez-Paz and Oquab 2017, "Revisiting classifier two-sample tests").
//!
//! 1. The non-missing reference texts (label 0) and current texts (label 1) are pooled in
//!    that order and split in half exactly as scikit-learn's `train_test_split(test_size=0.5,
//!    random_state=42, shuffle=True)` does: `RandomState(42).permutation(n)`, the first
//!    `⌈n/2⌉` rows are the test set, the rest train ([`super::embedding::mt19937`] draws
//!    numpy's numbers). The split, and so the test labels, are Evidently's.
//! 2. TF-IDF features fitted on the training texts ([`tfidf`], with [`tokenize`]).
//! 3. A linear classifier with Evidently's loss and penalty, fitted by modelwatch's own
//!    deterministic procedure ([`classifier`]; scikit-learn's stochastic gradient descent
//!    gives other weights, so the AUCs differ a little).
//! 4. The score is the ROC AUC on the test rows of `(clip(f, −1, 1) + 1) / 2`, the
//!    `predict_proba` of a modified-Huber `SGDClassifier` (ties count one half).
//! 5. `abs_text_content_drift`: drift when `AUC > threshold` (0.55).
//!    `perc_text_content_drift`: drift when `AUC >` the `threshold` (0.95) percentile
//!    (numpy's linear interpolation) of 1,000 AUCs of random scores: seeds from
//!    `np.random.seed(42); np.random.randint(0, 10000, 1000)`, then for each seed `s`
//!    `np.random.seed(s); np.random.rand(len(test))` against the test labels, as
//!    Evidently's `roc_auc_random_classifier_percentile` draws them.
//!
//! Beyond Evidently's verdict, the result explains it ([`TextDriftExplanation`]): the words
//! with the largest classifier weights towards each side and the test texts the classifier
//! finds most typical of each side (Evidently's `get_typical_words` and
//! `get_typical_examples`, shortened).

pub mod classifier;
pub mod tfidf;
pub mod tokenize;

use rayon::prelude::*;
use serde::Serialize;
use thiserror::Error;

use super::embedding::mt19937::LegacyRandomState;
use super::embedding::percentile_linear;
use crate::model_quality::classification::roc_auc;
use tfidf::CountedTexts;

/// scikit-learn's `random_state` in Evidently's split.
pub const SPLIT_SEED: u32 = 42;
/// Evidently's `max_df` of the vectoriser.
pub const MAX_DF: f64 = 0.5;
/// Random-score AUCs of the bootstrap (Evidently's `iter_num`).
pub const BOOTSTRAP_ROUNDS: usize = 1000;
/// Seed of the bootstrap's seeds (Evidently's `seed`).
pub const BOOTSTRAP_SEED: u32 = 42;
/// Words listed for each side.
pub const TOP_WORDS: usize = 10;
/// Example texts listed for each side.
pub const EXAMPLES: usize = 3;
/// Characters kept of an example text (longer ones end in `…`).
pub const EXAMPLE_CHARS: usize = 160;

/// Parameters of the two text drift methods.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextDriftParams {
    /// `abs_text_content_drift`: the AUC threshold (default 0.55). `perc_text_content_drift`:
    /// the percentile of the random-score AUCs, in `[0, 1]` (default 0.95).
    pub threshold: f64,
    /// Compare with the bootstrap percentile (`perc_text_content_drift`) instead of the
    /// threshold.
    pub bootstrap: bool,
}

/// Why a pair of text samples has no text drift result.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextDriftError {
    /// One side has fewer than two non-missing texts.
    #[error("text drift needs at least 2 non-missing texts on each side; the {side} has {rows}")]
    TooFewTexts {
        /// `reference` or `current`.
        side: &'static str,
        /// Its number of non-missing texts.
        rows: usize,
    },
    /// The random half split left one side out of the training or the test half.
    #[error("the {half} half of the split holds no {side} text, so the classifier cannot be {what}; more rows are needed")]
    SingleClass {
        /// `training` or `test`.
        half: &'static str,
        /// `reference` or `current`.
        side: &'static str,
        /// `trained` or `scored`.
        what: &'static str,
    },
    /// The training texts have no token (all empty, or only stop words and one-letter words).
    #[error(
        "empty vocabulary: the training texts hold only stop words, one-letter words or nothing"
    )]
    EmptyVocabulary,
    /// Every token is in more than half of the training texts (`max_df` 0.5).
    #[error(
        "no word remains after dropping those in more than half of the training texts (max_df 0.5)"
    )]
    AllTermsPruned,
    /// The percentile of the bootstrap is not in `[0, 1]`.
    #[error("the percentile threshold {0} of perc_text_content_drift is not in [0, 1]")]
    InvalidPercentile(String),
}

/// A word and its classifier weight (positive: typical of the current data).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WordWeight {
    /// The word (lowercased token).
    pub word: String,
    /// Its weight in the linear classifier.
    pub weight: f64,
}

/// What the classifier learned: which words and texts tell the two sides apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextDriftExplanation {
    /// The value the AUC was compared with: the threshold, or the bootstrap percentile of
    /// random-score AUCs.
    pub compared_with: f64,
    /// Texts the classifier was trained on.
    pub train_rows: usize,
    /// Texts it was scored on.
    pub test_rows: usize,
    /// Words of the vocabulary (after stop words and `max_df`).
    pub vocabulary: usize,
    /// Up to [`TOP_WORDS`] words with the largest positive weights, largest first.
    pub current_words: Vec<WordWeight>,
    /// Up to [`TOP_WORDS`] words with the most negative weights, most negative first.
    pub reference_words: Vec<WordWeight>,
    /// Up to [`EXAMPLES`] current test texts the classifier scores most "current"
    /// (shortened to [`EXAMPLE_CHARS`] characters).
    pub current_examples: Vec<String>,
    /// Up to [`EXAMPLES`] reference test texts the classifier scores most "reference".
    pub reference_examples: Vec<String>,
}

/// The result of a text drift method.
#[derive(Debug, Clone, PartialEq)]
pub struct TextDrift {
    /// The ROC AUC of the domain classifier on the test half.
    pub auc: f64,
    /// Whether the AUC exceeds the threshold or the bootstrap percentile.
    pub drifted: bool,
    /// The words and texts behind the verdict.
    pub explanation: TextDriftExplanation,
}

/// `text` shortened to [`EXAMPLE_CHARS`] characters.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(EXAMPLE_CHARS) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text.to_string(),
    }
}

/// The 95th (or `q`) percentile of Evidently's random-score AUCs for these test labels.
pub fn random_auc_percentile(test_labels: &[bool], q: f64) -> f64 {
    let mut seeds = LegacyRandomState::new(BOOTSTRAP_SEED);
    let seeds: Vec<u32> = (0..BOOTSTRAP_ROUNDS)
        .map(|_| seeds.interval(BOOTSTRAP_ROUNDS * 10 - 1) as u32)
        .collect();
    let mut aucs: Vec<f64> = seeds
        .par_iter()
        .filter_map(|&s| {
            let mut g = LegacyRandomState::new(s);
            let random: Vec<f64> = test_labels.iter().map(|_| g.uniform()).collect();
            roc_auc(test_labels, &random)
        })
        .collect();
    percentile_linear(&mut aucs, q)
}

/// The text drift of `current` against `reference` (non-missing texts, in row order).
pub fn text_content_drift(
    reference: &[&str],
    current: &[&str],
    params: &TextDriftParams,
) -> Result<TextDrift, TextDriftError> {
    if params.bootstrap && !(0.0..=1.0).contains(&params.threshold) {
        return Err(TextDriftError::InvalidPercentile(
            params.threshold.to_string(),
        ));
    }
    for (side, rows) in [("reference", reference.len()), ("current", current.len())] {
        if rows < 2 {
            return Err(TextDriftError::TooFewTexts { side, rows });
        }
    }
    let texts: Vec<&str> = reference.iter().chain(current).copied().collect();
    let is_current = |row: usize| row >= reference.len();
    let n = texts.len();
    let order = LegacyRandomState::new(SPLIT_SEED).permutation(n);
    let (test, train) = order.split_at(n.div_ceil(2));
    for (half, rows, what) in [("training", train, "trained"), ("test", test, "scored")] {
        for (side, want) in [("reference", false), ("current", true)] {
            if !rows.iter().any(|&r| is_current(r) == want) {
                return Err(TextDriftError::SingleClass { half, side, what });
            }
        }
    }
    let counted = CountedTexts::new(&texts);
    let model = tfidf::TfidfModel::fit(&counted, train, MAX_DF)?;
    let x_train = model.transform(&counted, train);
    let x_test = model.transform(&counted, test);
    drop(counted);
    let train_labels: Vec<bool> = train.iter().map(|&r| is_current(r)).collect();
    let test_labels: Vec<bool> = test.iter().map(|&r| is_current(r)).collect();
    let fitted = classifier::fit(&x_train, &train_labels);
    let decision = fitted.decision(&x_test);
    let proba: Vec<f64> = decision
        .iter()
        .map(|f| (f.clamp(-1.0, 1.0) + 1.0) / 2.0)
        .collect();
    let auc = roc_auc(&test_labels, &proba).expect("both labels are in the test half");
    let compared_with = if params.bootstrap {
        random_auc_percentile(&test_labels, params.threshold)
    } else {
        params.threshold
    };

    let mut by_weight: Vec<usize> = (0..fitted.weights.len())
        .filter(|&j| fitted.weights[j] != 0.0)
        .collect();
    by_weight.sort_by(|&a, &b| fitted.weights[b].total_cmp(&fitted.weights[a]));
    let word = |j: usize| WordWeight {
        word: model.terms[j].clone(),
        weight: fitted.weights[j],
    };
    let current_words = by_weight
        .iter()
        .take_while(|&&j| fitted.weights[j] > 0.0)
        .take(TOP_WORDS)
        .map(|&j| word(j))
        .collect();
    let reference_words = by_weight
        .iter()
        .rev()
        .take_while(|&&j| fitted.weights[j] < 0.0)
        .take(TOP_WORDS)
        .map(|&j| word(j))
        .collect();
    let mut by_decision: Vec<usize> = (0..test.len()).collect();
    by_decision.sort_by(|&a, &b| decision[b].total_cmp(&decision[a]));
    let examples = |rows: &mut dyn Iterator<Item = &usize>, want: bool| -> Vec<String> {
        rows.filter(|&&k| test_labels[k] == want)
            .take(EXAMPLES)
            .map(|&k| shorten(texts[test[k]]))
            .collect()
    };
    let current_examples = examples(&mut by_decision.iter(), true);
    let reference_examples = examples(&mut by_decision.iter().rev(), false);
    Ok(TextDrift {
        auc,
        drifted: auc > compared_with,
        explanation: TextDriftExplanation {
            compared_with,
            train_rows: train.len(),
            test_rows: test.len(),
            vocabulary: model.terms.len(),
            current_words,
            reference_words,
            current_examples,
            reference_examples,
        },
    })
}

#[cfg(test)]
mod fixture;

#[cfg(test)]
mod tests {
    use super::*;

    const ABS: TextDriftParams = TextDriftParams {
        threshold: 0.55,
        bootstrap: false,
    };
    const PERC: TextDriftParams = TextDriftParams {
        threshold: 0.95,
        bootstrap: true,
    };

    /// `rows` texts of 6 words drawn from `words` by a small linear congruential generator.
    fn texts(words: &[&str], rows: usize, salt: u64) -> Vec<String> {
        let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ salt;
        (0..rows)
            .map(|_| {
                (0..6)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        words[(state >> 33) as usize % words.len()]
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    const WORDS: [&str; 12] = [
        "refund", "parcel", "late", "driver", "invoice", "card", "broken", "screen", "login",
        "password", "courier", "address",
    ];

    #[test]
    fn a_new_word_in_every_current_text_is_found_and_named() {
        let reference = texts(&WORDS, 200, 0);
        // In 2 of 5 current texts: a word in every current text would be in about half of
        // the training texts, where `max_df` 0.5 may drop it (as it does in Evidently).
        let current: Vec<String> = texts(&WORDS, 200, 1)
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                if i % 5 < 2 {
                    format!("{t} zapwallet")
                } else {
                    t
                }
            })
            .collect();
        let r: Vec<&str> = reference.iter().map(String::as_str).collect();
        let c: Vec<&str> = current.iter().map(String::as_str).collect();
        for params in [ABS, PERC] {
            let got = text_content_drift(&r, &c, &params).unwrap();
            assert!(got.drifted, "{got:?}");
            assert!(got.auc > 0.65, "{}", got.auc);
            assert_eq!(got.explanation.current_words[0].word, "zapwallet");
            assert!(got.explanation.current_examples[0].contains("zapwallet"));
            assert!(!got.explanation.reference_examples[0].contains("zapwallet"));
            assert_eq!(got.explanation.test_rows, 200);
            assert_eq!(got.explanation.train_rows, 200);
        }
        // The bootstrap percentile of random AUCs on 200 balanced-ish test rows.
        let perc = text_content_drift(&r, &c, &PERC).unwrap();
        assert!((0.55..0.65).contains(&perc.explanation.compared_with));
        // Deterministic.
        assert_eq!(text_content_drift(&r, &c, &PERC).unwrap(), perc);
    }

    #[test]
    fn the_same_texts_do_not_drift() {
        let reference = texts(&WORDS, 300, 0);
        let r: Vec<&str> = reference.iter().map(String::as_str).collect();
        for params in [ABS, PERC] {
            let got = text_content_drift(&r, &r, &params).unwrap();
            assert!(!got.drifted, "{got:?}");
            assert!(got.auc < 0.55, "{}", got.auc);
        }
    }

    #[test]
    fn the_result_does_not_depend_on_the_number_of_threads() {
        // More texts than one tokenising chunk and one classifier chunk hold.
        let reference = texts(&WORDS, 3000, 0);
        let current: Vec<String> = texts(&WORDS, 3000, 1)
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                if i % 4 == 0 {
                    format!("{t} Zapwallet")
                } else {
                    t
                }
            })
            .collect();
        let r: Vec<&str> = reference.iter().map(String::as_str).collect();
        let c: Vec<&str> = current.iter().map(String::as_str).collect();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| text_content_drift(&r, &c, &ABS).unwrap())
        };
        let one = run(1);
        assert!(one.drifted, "{one:?}");
        assert_eq!(one.explanation.current_words[0].word, "zapwallet");
        assert_eq!(run(3), one);
    }

    #[test]
    fn bad_input_is_an_error_with_a_reason() {
        let one = ["refund please"];
        let many = [
            "refund please",
            "late parcel",
            "card broken",
            "login failed",
        ];
        assert_eq!(
            text_content_drift(&one, &many, &ABS).unwrap_err(),
            TextDriftError::TooFewTexts {
                side: "reference",
                rows: 1
            }
        );
        assert_eq!(
            text_content_drift(&many, &[], &ABS).unwrap_err(),
            TextDriftError::TooFewTexts {
                side: "current",
                rows: 0
            }
        );
        let stop = ["the and", "of it", "", "a b c", "is was", "!!!"];
        assert_eq!(
            text_content_drift(&stop, &stop, &ABS).unwrap_err(),
            TextDriftError::EmptyVocabulary
        );
        let same = ["refund"; 6];
        assert_eq!(
            text_content_drift(&same, &same, &ABS).unwrap_err(),
            TextDriftError::AllTermsPruned
        );
        // numpy's `RandomState(42).permutation(8)` is [1 5 0 7 | 2 4 3 6]: both reference
        // rows (0 and 1) land in the test half, so the classifier has nothing to learn from.
        let two = ["late parcel", "card broken"];
        let six = [
            "late parcel",
            "card broken",
            "login",
            "screen",
            "driver",
            "invoice",
        ];
        assert_eq!(
            text_content_drift(&two, &six, &ABS).unwrap_err(),
            TextDriftError::SingleClass {
                half: "training",
                side: "reference",
                what: "trained"
            }
        );
        assert!(matches!(
            text_content_drift(
                &many,
                &many,
                &TextDriftParams {
                    threshold: 1.5,
                    bootstrap: true
                }
            ),
            Err(TextDriftError::InvalidPercentile(_))
        ));
    }

    #[test]
    fn bootstrap_seeds_are_numpys() {
        // np.random.seed(42); np.random.randint(0, 10000, size=5)
        let mut g = LegacyRandomState::new(BOOTSTRAP_SEED);
        let got: Vec<usize> = (0..5).map(|_| g.interval(9999)).collect();
        assert_eq!(got, [7270, 860, 5390, 5191, 5734]);
        assert_eq!(
            LegacyRandomState::new(SPLIT_SEED).permutation(8),
            [1, 5, 0, 7, 2, 4, 3, 6]
        );
    }

    #[test]
    fn long_examples_are_shortened_on_a_character_boundary() {
        let long = "é".repeat(500);
        let s = shorten(&long);
        assert_eq!(s.chars().count(), EXAMPLE_CHARS + 1);
        assert!(s.ends_with('…'));
        assert_eq!(shorten("short"), "short");
    }

    /// The AUC tolerance that most cases meet (the count is pinned).
    const AUC_TOLERANCE: f64 = 0.05;

    /// Verdicts (of 80) that agree with Evidently's.
    const AGREE: usize = 75;

    /// Cases (of 40) whose AUC is within [`AUC_TOLERANCE`] of Evidently's.
    const CLOSE: usize = 37;

    /// Parity with Evidently 0.7.23 over the 40 cases of `tests/fixtures/text_drift` (see
    /// `scripts/gen_evidently_text_drift_fixtures.py`), each with both methods:
    ///
    /// * the split and the bootstrap are Evidently's: the random-AUC percentile equals
    ///   Evidently's to 1e-12 in every case;
    /// * Evidently's default method follows the reference size (above 1,000 rows: `abs_...`);
    /// * a verdict may differ from Evidently's only where the two AUCs are within
    ///   [`AUC_TOLERANCE`] of each other on either side of what they are compared with (a
    ///   borderline case); 75 of the 80 verdicts agree, the 5 others are such cases
    ///   (`mixture_0.3_600_300` both, `new_word_0.3_250_250` perc, `new_word_0.3_100_100`
    ///   abs, `synonym_250_250` perc);
    /// * AUCs agree within [`AUC_TOLERANCE`] in 37 of the 40 cases; the others
    ///   are the two `longer_*` cases (current texts twice as long, which modelwatch's
    ///   classifier separates better) and `none_20_20` (a test half of 20 texts), all within
    ///   0.2.
    #[test]
    fn verdicts_and_aucs_agree_with_evidently() {
        let cases = fixture::cases();
        assert_eq!(cases.len(), 40);
        let (mut agree, mut verdicts, mut close) = (0, 0, 0);
        let mut disagreements = Vec::new();
        for case in &cases {
            let r: Vec<&str> = case.reference.iter().map(String::as_str).collect();
            let c: Vec<&str> = case.current.iter().map(String::as_str).collect();
            let percentile = case.expected["random_auc_percentile"].as_f64().unwrap();
            let default = case.expected["default"]["method"].as_str().unwrap();
            let want_default = if r.len() > 1000 {
                "abs_text_content_drift"
            } else {
                "perc_text_content_drift"
            };
            assert_eq!(default, want_default, "{}", case.name);
            let abs = text_content_drift(&r, &c, &ABS).unwrap();
            let perc = text_content_drift(&r, &c, &PERC).unwrap();
            assert!(
                (perc.explanation.compared_with - percentile).abs() < 1e-12,
                "{}: random-AUC percentile {} against Evidently's {percentile}",
                case.name,
                perc.explanation.compared_with
            );
            let (auc, _) = case.result("abs_text_content_drift");
            let diff = (abs.auc - auc).abs();
            close += usize::from(diff <= AUC_TOLERANCE);
            assert!(
                diff <= 0.2,
                "{}: AUC {} against Evidently's {auc}",
                case.name,
                abs.auc
            );
            for (key, got, compared_with) in [
                ("abs_text_content_drift", &abs, 0.55),
                ("perc_text_content_drift", &perc, percentile),
            ] {
                let (auc, drift) = case.result(key);
                verdicts += 1;
                if got.drifted == drift {
                    agree += 1;
                } else {
                    assert!(
                        (got.auc - auc).abs() <= AUC_TOLERANCE,
                        "{}: {key}: modelwatch AUC {} drift {}, Evidently AUC {auc} drift {drift}, \
                         compared with {compared_with}: not a borderline case",
                        case.name,
                        got.auc,
                        got.drifted
                    );
                    disagreements.push(format!("{} {key}", case.name));
                }
            }
        }
        assert_eq!(
            (agree, verdicts, close),
            (AGREE, 80, CLOSE),
            "{disagreements:?}"
        );
    }
}
