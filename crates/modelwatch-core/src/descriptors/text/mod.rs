//! Text descriptors: values derived from a text column, one per row, that become ordinary
//! table columns named `<column>.<descriptor>` (for example `review.word_count`), numbers as
//! float columns and yes/no answers as boolean columns, which the presets then treat like any
//! column. Names, definitions and results follow Evidently 0.7's descriptors
//! (`evidently.descriptors`, computed by `evidently.legacy.features`).
//!
//! One module per family, each with its formulas and the peer it matches:
//!
//! * [`counts`]: `TextLength`, `WordCount`, `SentenceCount`, `NonLetterCharacterPercentage`;
//! * [`vocabulary`]: `OOVWordsPercentage`, `TriggerWordsPresence`, and the WordNet noun
//!   lemmatizer they share;
//! * [`sentiment`]: `Sentiment`, the VADER compound score;
//! * [`matching`]: `Contains`, `DoesNotContain`, `BeginsWith`, `EndsWith`, `RegExp`,
//!   `ExactMatch`, `IsValidJSON`;
//! * [`python`]: Python's character classes, which Evidently's definitions rest on.
//!
//! Descriptors are chosen by a list of [`TextDescriptorSettings`] (serde-deserializable, so a
//! TOML array of tables works: `kind`, `column`, an optional `alias` and the kind's
//! parameters). A missing text gives what Evidently gives (0 for the counts and scores; see
//! each family for the rest) and is counted in [`TextColumnDescriptors::missing`]. Settings
//! are checked before any row is described; an error names the setting by its position,
//! `text_descriptors[i]`.

pub mod counts;
pub mod matching;
pub mod python;
pub mod sentiment;
pub mod vocabulary;

use std::collections::{BTreeMap, HashSet};

use rayon::prelude::*;
use serde::Deserialize;

use crate::table::{Column, ColumnData, StrColumn, Table};

/// Rows per parallel task: small enough to spread a column over the cores, large enough that
/// scheduling costs nothing next to describing the texts.
const ROWS_PER_TASK: usize = 256;

/// Whether a match needs any or all of its items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchMode {
    /// At least one item.
    #[default]
    Any,
    /// Every item.
    All,
}

fn case_sensitive_default() -> bool {
    true
}

fn lemmatize_default() -> bool {
    true
}

/// One text descriptor and its parameters; `kind` is Evidently's descriptor name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind")]
pub enum TextDescriptor {
    /// Characters (Unicode code points).
    TextLength,
    /// Words of ASCII letters.
    WordCount,
    /// Sentences by Evidently's splitting rule, at least 1.
    SentenceCount,
    /// Percentage of characters that are neither letters nor spaces.
    NonLetterCharacterPercentage,
    /// Percentage of words not in the English word list.
    #[serde(rename = "OOVWordsPercentage")]
    OovWordsPercentage {
        /// Words never counted out of vocabulary (compared with the lower-case word).
        #[serde(default)]
        ignore_words: Vec<String>,
    },
    /// VADER compound score in [-1, 1].
    Sentiment,
    /// Whether the text contains any or all of the items.
    Contains {
        /// The texts to look for.
        items: Vec<String>,
        /// Any or all of them.
        #[serde(default)]
        mode: MatchMode,
        /// Whether case matters.
        #[serde(default = "case_sensitive_default")]
        case_sensitive: bool,
    },
    /// Whether the text does not contain any or all of the items.
    DoesNotContain {
        /// The texts to look for.
        items: Vec<String>,
        /// Any or all of them.
        #[serde(default)]
        mode: MatchMode,
        /// Whether case matters.
        #[serde(default = "case_sensitive_default")]
        case_sensitive: bool,
    },
    /// Whether the text begins with the prefix.
    BeginsWith {
        /// The prefix.
        prefix: String,
        /// Whether case matters.
        #[serde(default = "case_sensitive_default")]
        case_sensitive: bool,
    },
    /// Whether the text ends with the suffix.
    EndsWith {
        /// The suffix.
        suffix: String,
        /// Whether case matters.
        #[serde(default = "case_sensitive_default")]
        case_sensitive: bool,
    },
    /// Whether the regular expression matches somewhere in the text.
    RegExp {
        /// The pattern, in the `regex` crate's syntax.
        reg_exp: String,
    },
    /// Whether the text equals the other column's text in the same row.
    ExactMatch {
        /// The text column compared with.
        other_column: String,
    },
    /// Whether the text is valid JSON.
    #[serde(rename = "IsValidJSON")]
    IsValidJson,
    /// Whether a (lemmatized) word of the text is one of the listed words.
    TriggerWordsPresence {
        /// The trigger words, looked for (lower-cased) in the lower-case (lemmatized) words.
        words_list: Vec<String>,
        /// Whether words are lemmatized first.
        #[serde(default = "lemmatize_default")]
        lemmatize: bool,
    },
}

impl TextDescriptor {
    /// The default descriptor name, the part after the dot in `<column>.<descriptor>`.
    pub fn default_name(&self) -> &'static str {
        match self {
            TextDescriptor::TextLength => "text_length",
            TextDescriptor::WordCount => "word_count",
            TextDescriptor::SentenceCount => "sentence_count",
            TextDescriptor::NonLetterCharacterPercentage => "non_letter_character_percentage",
            TextDescriptor::OovWordsPercentage { .. } => "oov_words_percentage",
            TextDescriptor::Sentiment => "sentiment",
            TextDescriptor::Contains { .. } => "contains",
            TextDescriptor::DoesNotContain { .. } => "does_not_contain",
            TextDescriptor::BeginsWith { .. } => "begins_with",
            TextDescriptor::EndsWith { .. } => "ends_with",
            TextDescriptor::RegExp { .. } => "reg_exp",
            TextDescriptor::ExactMatch { .. } => "exact_match",
            TextDescriptor::IsValidJson => "is_valid_json",
            TextDescriptor::TriggerWordsPresence { .. } => "trigger_words_presence",
        }
    }
}

/// One descriptor to compute on one text column.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TextDescriptorSettings {
    /// The text column described.
    pub column: String,
    /// The descriptor's name in its column name `<column>.<alias>`; the kind's default name
    /// when absent. Two descriptors of one column with the same kind need different aliases.
    #[serde(default)]
    pub alias: Option<String>,
    /// The descriptor and its parameters.
    #[serde(flatten)]
    pub descriptor: TextDescriptor,
}

impl TextDescriptorSettings {
    /// The descriptor column's name, `<column>.<alias or default name>`.
    pub fn column_name(&self) -> String {
        let name = self
            .alias
            .as_deref()
            .unwrap_or(self.descriptor.default_name());
        format!("{}.{name}", self.column)
    }
}

/// A text descriptor setting that cannot be used; `index` is its position in the list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextDescriptorError {
    /// The named column is not in the table.
    #[error("text_descriptors[{index}]: there is no column `{column}`")]
    UnknownColumn {
        /// Position of the setting.
        index: usize,
        /// The column named.
        column: String,
    },
    /// The named column does not hold strings.
    #[error("text_descriptors[{index}]: column `{column}` holds {physical} values, not text")]
    NotText {
        /// Position of the setting.
        index: usize,
        /// The column named.
        column: String,
        /// Its physical type.
        physical: &'static str,
    },
    /// The `reg_exp` does not compile (`reason` on one line).
    #[error("text_descriptors[{index}].reg_exp: not a valid regular expression: {reason}")]
    InvalidRegex {
        /// Position of the setting.
        index: usize,
        /// The compiler's message.
        reason: String,
    },
    /// The descriptor column's name is taken by an input column or another descriptor.
    #[error("text_descriptors[{index}]: the column name `{name}` is already taken; set `alias`")]
    DuplicateName {
        /// Position of the setting.
        index: usize,
        /// The clashing name.
        name: String,
    },
}

/// The descriptor columns of a table's text columns.
#[derive(Debug, Clone, PartialEq)]
pub struct TextColumnDescriptors {
    /// One column per setting, named `<column>.<descriptor>`, in the settings' order.
    pub table: Table,
    /// Missing texts per described text column.
    pub missing: BTreeMap<String, usize>,
}

/// A numerical descriptor of one text (`None` when missing).
type NumberOfText<'a> = Box<dyn Fn(Option<&str>) -> f64 + Sync + 'a>;

/// A yes/no descriptor of one row's text (the row, for descriptors of two columns).
type FlagOfRow<'a> = Box<dyn Fn(usize, Option<&str>) -> Option<bool> + Sync + 'a>;

/// A setting made ready to run: columns looked up, patterns compiled, lists hashed.
enum Ready<'a> {
    Number(NumberOfText<'a>),
    Flag(FlagOfRow<'a>),
}

fn text_column<'a>(
    table: &'a Table,
    index: usize,
    column: &str,
) -> Result<&'a StrColumn, TextDescriptorError> {
    let found = table
        .column(column)
        .ok_or_else(|| TextDescriptorError::UnknownColumn {
            index,
            column: column.to_string(),
        })?;
    match &found.data {
        ColumnData::Str(s) => Ok(s),
        other => Err(TextDescriptorError::NotText {
            index,
            column: column.to_string(),
            physical: other.physical_name(),
        }),
    }
}

fn compile(index: usize, pattern: &str) -> Result<regex::Regex, TextDescriptorError> {
    // The compiler draws the pattern over several lines; messages are one line.
    regex::Regex::new(pattern).map_err(|e| TextDescriptorError::InvalidRegex {
        index,
        reason: e
            .to_string()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    })
}

/// Evidently's `TextMatch` containment: any or all of `items` are substrings of the text,
/// both lower-cased first when not `case_sensitive`.
fn contains_matcher<'a>(
    items: &'a [String],
    mode: MatchMode,
    case_sensitive: bool,
) -> Box<dyn Fn(&str) -> bool + Sync + 'a> {
    if case_sensitive {
        return Box::new(move |t: &str| matching::contains(t, items, mode));
    }
    let lowered: Vec<String> = items
        .iter()
        .map(|i| python::lower(i).into_owned())
        .collect();
    Box::new(move |t: &str| matching::contains(&python::lower(t), &lowered, mode))
}

fn ready<'a>(
    table: &'a Table,
    index: usize,
    setting: &'a TextDescriptorSettings,
) -> Result<Ready<'a>, TextDescriptorError> {
    use TextDescriptor as D;
    Ok(match &setting.descriptor {
        D::TextLength => Ready::Number(Box::new(|t| t.map_or(0.0, counts::text_length))),
        D::WordCount => Ready::Number(Box::new(|t| t.map_or(0.0, counts::word_count))),
        // Evidently gives 0 sentences for a missing text but 1 for an empty one.
        D::SentenceCount => Ready::Number(Box::new(|t| t.map_or(0.0, counts::sentence_count))),
        D::NonLetterCharacterPercentage => Ready::Number(Box::new(|t| {
            t.and_then(counts::non_letter_character_percentage)
                .unwrap_or(0.0)
        })),
        D::OovWordsPercentage { ignore_words } => {
            let ignore: HashSet<String> = ignore_words.iter().cloned().collect();
            Ready::Number(Box::new(move |t| {
                t.map_or(0.0, |t| vocabulary::oov_words_percentage(t, &ignore))
            }))
        }
        D::Sentiment => Ready::Number(Box::new(|t| t.map_or(0.0, sentiment::sentiment))),
        // Evidently's `TextMatch` reads a missing text as the empty text.
        D::Contains {
            items,
            mode,
            case_sensitive,
        } => {
            let m = contains_matcher(items, *mode, *case_sensitive);
            Ready::Flag(Box::new(move |_, t| Some(m(t.unwrap_or("")))))
        }
        D::DoesNotContain {
            items,
            mode,
            case_sensitive,
        } => {
            let m = contains_matcher(items, *mode, *case_sensitive);
            Ready::Flag(Box::new(move |_, t| Some(!m(t.unwrap_or("")))))
        }
        D::BeginsWith {
            prefix,
            case_sensitive,
        } => Ready::Flag(Box::new(move |_, t| {
            t.map(|t| matching::begins_with(t, prefix, *case_sensitive))
        })),
        D::EndsWith {
            suffix,
            case_sensitive,
        } => Ready::Flag(Box::new(move |_, t| {
            t.map(|t| matching::ends_with(t, suffix, *case_sensitive))
        })),
        D::RegExp { reg_exp } => {
            let re = compile(index, reg_exp)?;
            Ready::Flag(Box::new(move |_, t| Some(re.is_match(t.unwrap_or("")))))
        }
        D::ExactMatch { other_column } => {
            let other = text_column(table, index, other_column)?;
            Ready::Flag(Box::new(move |row, t| {
                Some(matches!((t, other.get(row)), (Some(a), Some(b)) if a == b))
            }))
        }
        D::IsValidJson => Ready::Flag(Box::new(|_, t| t.map(matching::is_valid_json))),
        D::TriggerWordsPresence {
            words_list,
            lemmatize,
        } => {
            let words: Vec<String> = words_list
                .iter()
                .map(|w| python::lower(w).into_owned())
                .collect();
            let lemmatize = *lemmatize;
            Ready::Flag(Box::new(move |_, t| {
                Some(vocabulary::trigger_words_present(
                    t.unwrap_or(""),
                    &words,
                    lemmatize,
                ))
            }))
        }
    })
}

/// Computes the descriptor columns that `settings` ask for on the text columns of `table`.
///
/// Every setting is checked first (its columns exist and hold text, its pattern compiles,
/// its column name is free), so a bad setting fails the call before any text is described.
pub fn describe_text_columns(
    table: &Table,
    settings: &[TextDescriptorSettings],
) -> Result<TextColumnDescriptors, TextDescriptorError> {
    let mut names: HashSet<String> = table.column_names().map(str::to_string).collect();
    let mut prepared = Vec::with_capacity(settings.len());
    let mut missing = BTreeMap::new();
    for (index, setting) in settings.iter().enumerate() {
        let texts = text_column(table, index, &setting.column)?;
        let name = setting.column_name();
        if !names.insert(name.clone()) {
            return Err(TextDescriptorError::DuplicateName { index, name });
        }
        missing
            .entry(setting.column.clone())
            .or_insert_with(|| (0..texts.len()).filter(|&r| texts.get(r).is_none()).count());
        prepared.push((name, texts, ready(table, index, setting)?));
    }
    let columns = prepared
        .into_iter()
        .map(|(name, texts, how)| {
            let rows = (0..texts.len()).into_par_iter().with_min_len(ROWS_PER_TASK);
            let data = match how {
                Ready::Number(f) => ColumnData::Float(rows.map(|r| f(texts.get(r))).collect()),
                Ready::Flag(f) => ColumnData::Bool(rows.map(|r| f(r, texts.get(r))).collect()),
            };
            Column::new(name, data)
        })
        .collect();
    let table =
        Table::new(columns).expect("descriptor columns have unique names and equal lengths");
    Ok(TextColumnDescriptors { table, missing })
}
