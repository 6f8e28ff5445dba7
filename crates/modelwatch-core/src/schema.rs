//! Column types and roles, and the rules that infer them.
//!
//! The inference rules follow Evidently 0.7 so that the same data gets the same default
//! drift method: floats are numerical; integers are categorical when they have at most 10
//! distinct values and numerical otherwise; strings are text when their distinct values
//! exceed half of the non-missing values and categorical otherwise; booleans are
//! categorical; dates and datetimes are datetime (never drift-tested).
//!
//! The current data decides a column's type, as in Evidently 0.7 (its `Report` takes the
//! data definition of the current dataset, and the drift of a column uses the current
//! column's type): an integer column with 10 distinct values in the current data and 15 in
//! the reference is categorical. The reference decides only where the current data cannot:
//! a column the current data lacks, or one with no non-missing value there.
//!
//! Deliberate differences:
//! - pandas turns an integer column with gaps into floats, so Evidently would call it
//!   numerical whatever its distinct count. modelwatch keeps it an integer column and
//!   applies the integer rule.
//! - A current column with no value at all (empty current data, or every cell missing) is
//!   typed by pandas' dtype in Evidently (`object`, so unknown and left out, for an empty
//!   file). modelwatch takes the reference's type instead, so that the column is still
//!   reported, with the reason it could not be tested.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::setting::Setting;
use crate::table::{ColumnData, MISSING_CODE};

/// The statistical type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// Continuous numbers: binned or tested as values (floats, integers with many values).
    Numerical,
    /// A finite set of labels: tested by counts per label (strings, booleans, integers with
    /// few values).
    Categorical,
    /// Free text: strings whose distinct values exceed half of the non-missing values; no
    /// default drift method.
    Text,
    /// Dates and datetimes: described, never drift-tested.
    Datetime,
}

impl ColumnType {
    /// The lowercase name used in flags, settings files and the JSON results.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Numerical => "numerical",
            ColumnType::Categorical => "categorical",
            ColumnType::Text => "text",
            ColumnType::Datetime => "datetime",
        }
    }
}

impl std::fmt::Display for ColumnType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a column is for. Id and timestamp columns are described but never drift-tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnRole {
    /// An input of the model: every column not given another role.
    Feature,
    /// The true label or value (`--target`).
    Target,
    /// The model's output (`--prediction`).
    Prediction,
    /// A row identifier (`--id`).
    Id,
    /// The time of the row (`--timestamp`).
    Timestamp,
}

/// Integers with at most this many distinct values are categorical (Evidently's rule).
pub const INT_CATEGORICAL_MAX_DISTINCT: usize = 10;

/// Infers the type of a column from its values (Evidently 0.7's rules, see the module docs).
pub fn infer_column_type(data: &ColumnData) -> ColumnType {
    match data {
        ColumnData::Float(_) => ColumnType::Numerical,
        ColumnData::Bool(_) => ColumnType::Categorical,
        ColumnData::Datetime(_) => ColumnType::Datetime,
        ColumnData::Int(values) => {
            // At most INT_CATEGORICAL_MAX_DISTINCT values are ever kept, and a search of so
            // few is cheaper than a hash per value (this runs on every row of every integer
            // column before the columns are worked on in parallel).
            let mut distinct: Vec<i64> = Vec::with_capacity(INT_CATEGORICAL_MAX_DISTINCT);
            for &v in values.iter().flatten() {
                if !distinct.contains(&v) {
                    if distinct.len() == INT_CATEGORICAL_MAX_DISTINCT {
                        return ColumnType::Numerical;
                    }
                    distinct.push(v);
                }
            }
            ColumnType::Categorical
        }
        ColumnData::Str(s) => {
            let mut seen = vec![false; s.labels.len()];
            let mut distinct = 0usize;
            let mut present = 0usize;
            for &c in &s.codes {
                if c == MISSING_CODE {
                    continue;
                }
                present += 1;
                if !seen[c as usize] {
                    seen[c as usize] = true;
                    distinct += 1;
                }
            }
            // Evidently: text when nunique / count > 0.5.
            if present > 0 && distinct * 2 > present {
                ColumnType::Text
            } else {
                ColumnType::Categorical
            }
        }
    }
}

/// The type of a column that may exist in the reference, the current data or both: a
/// forced type wins; otherwise the current data decides (as in Evidently), or the
/// reference when the current data has no non-missing value (or no such column).
pub fn resolve_column_type(
    reference: Option<&ColumnData>,
    current: Option<&ColumnData>,
    forced: Option<ColumnType>,
) -> ColumnType {
    if let Some(t) = forced {
        return t;
    }
    match (reference, current) {
        (Some(r), Some(c)) if c.all_missing() => infer_column_type(r),
        (_, Some(c)) => infer_column_type(c),
        (Some(r), None) => infer_column_type(r),
        (None, None) => ColumnType::Numerical,
    }
}

/// User-given column types and roles; anything not named is inferred.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchemaOverrides {
    /// Columns forced numerical.
    pub numerical: Vec<String>,
    /// Columns forced categorical.
    pub categorical: Vec<String>,
    /// Columns forced text.
    pub text: Vec<String>,
    /// Columns forced datetime.
    pub datetime: Vec<String>,
    /// Columns left out of drift and of the summary (only listed as ignored).
    pub ignore: Vec<String>,
    /// The row-identifier column.
    pub id: Option<String>,
    /// The time column; its span goes into the report metadata.
    pub timestamp: Option<String>,
    /// The true label or value column.
    pub target: Option<String>,
    /// The model's output column.
    pub prediction: Option<String>,
    /// Embeddings (vector columns) by name: each is a list of numeric columns, or a prefix
    /// naming the columns `prefix0`, `prefix1`, ... (see [`EmbeddingColumns`]). Their member
    /// columns are tested together by an embedding drift method, not one by one.
    pub embeddings: BTreeMap<String, EmbeddingColumns>,
    /// Columns holding images (base64 text, file names, uploaded files), each replaced by
    /// its descriptor columns `<column>.<descriptor>` where the data enters (see
    /// [`crate::descriptors::image`]); the image column itself is never a column of the run.
    pub images: Vec<String>,
}

/// The columns of one embedding, as the user declares them: Evidently's list of column
/// names (`emb = ["a", "b"]`), or a prefix (`emb = "emb_"`) that stands for every column
/// named the prefix followed by a non-negative integer, in the order of that integer
/// (`emb_2` before `emb_10`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingColumns {
    /// The member columns, in order.
    Columns(Vec<String>),
    /// The prefix of the member columns.
    Prefix(String),
}

impl EmbeddingColumns {
    /// The columns of `names` (one dataset's, in any order) this declaration stands for, in
    /// member order: the listed ones that exist, or the prefixed ones sorted by their number.
    pub fn members<'a>(&self, names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        match self {
            EmbeddingColumns::Columns(list) => {
                let present: std::collections::HashSet<&str> = names.collect();
                list.iter()
                    .filter_map(|c| present.get(c.as_str()).copied())
                    .collect()
            }
            EmbeddingColumns::Prefix(prefix) => {
                // Users' columns are often zero-padded (`emb_000 .. emb_511`), so a declared
                // prefix takes any plain decimal number, unlike the component names the
                // readers generate (see `component_index`). `emb_1` and `emb_01` both being
                // number 1, the name breaks the tie, so the order never depends on the
                // file's column order.
                let mut numbered: Vec<(u128, &str)> = names
                    .filter_map(|n| {
                        let digits = n.strip_prefix(prefix.as_str())?;
                        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                            return None;
                        }
                        Some((digits.parse().ok()?, n))
                    })
                    .collect();
                numbered.sort_unstable();
                numbered.into_iter().map(|(_, n)| n).collect()
            }
        }
    }
}

/// The number `i` of the component column `{prefix}{i}` of a vector or embedding, or `None`
/// when `name` is not one. The rest of the name after `prefix` must be a non-negative
/// integer written as [`component_name`] writes it: plain decimal digits without a leading
/// zero (`0`, `7`, `12`), fitting in `usize`. So each number has exactly one name, and
/// `emb.01`, `emb_007`, `emb_+1`, `emb_ 1` or `emb_1e2` are columns of their own, never
/// components. The one rule for generated component names: the readers' vector columns
/// `NAME.0 ..`, the server's vectors in events and the CLI all read them with it. (A prefix
/// the user declares, [`EmbeddingColumns::Prefix`], also takes zero-padded numbers: users'
/// own columns are often named `emb_000 .. emb_511`.)
pub fn component_index(name: &str, prefix: &str) -> Option<usize> {
    let digits = name.strip_prefix(prefix)?;
    let canonical = match digits.as_bytes() {
        [] => false,
        [b'0'] => true,
        [first, rest @ ..] => {
            (b'1'..=b'9').contains(first) && rest.iter().all(|b| b.is_ascii_digit())
        }
    };
    if canonical {
        digits.parse().ok()
    } else {
        None
    }
}

/// The name of component `index` of the vector or embedding whose components are named
/// `prefix` and a number: the one name [`component_index`] reads back as `index`.
pub fn component_name(prefix: &str, index: usize) -> String {
    format!("{prefix}{index}")
}

/// Errors in user-given column types and roles.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// One column is forced to two types.
    ConflictingTypes {
        /// The column.
        column: String,
        /// The type given first.
        first: ColumnType,
        /// The other type.
        second: ColumnType,
    },
    /// A setting names a column that is in neither dataset.
    UnknownColumn {
        /// The column.
        column: String,
        /// The setting that names it.
        setting: Setting,
        /// ` (did you mean ...?)` with the columns of the data closest to `column`, or empty
        /// ([`crate::suggest::did_you_mean`]).
        hint: String,
    },
}

impl SchemaError {
    /// `column`, given to `setting`, is not one of `known`: the error, with the known names
    /// closest to it.
    pub fn unknown_column(column: &str, setting: Setting, known: &[&str]) -> Self {
        SchemaError::UnknownColumn {
            column: column.to_string(),
            setting,
            hint: crate::suggest::did_you_mean(column, known.iter().copied()),
        }
    }

    /// The message, with settings spelled by `spell` (a flag, a config key).
    pub fn message(&self, spell: &dyn Fn(Setting) -> String) -> String {
        match self {
            SchemaError::ConflictingTypes {
                column,
                first,
                second,
            } => format!("column `{column}` is given two types: {first} and {second}"),
            SchemaError::UnknownColumn {
                column,
                setting,
                hint,
            } => format!(
                "column `{column}` given to {} is in neither dataset{hint}",
                spell(*setting)
            ),
        }
    }
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(&Setting::canonical))
    }
}

/// The resolved type and role of one column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnSpec {
    /// The column name.
    pub name: String,
    /// The resolved type (forced or inferred).
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    /// The role given by the overrides ([`SchemaOverrides::role_of`]).
    pub role: ColumnRole,
}

impl SchemaOverrides {
    /// Forced types by column name; errors when one column gets two types.
    pub fn forced_types(&self) -> Result<BTreeMap<&str, ColumnType>, SchemaError> {
        let mut forced: BTreeMap<&str, ColumnType> = BTreeMap::new();
        let groups = [
            (&self.numerical, ColumnType::Numerical),
            (&self.categorical, ColumnType::Categorical),
            (&self.text, ColumnType::Text),
            (&self.datetime, ColumnType::Datetime),
        ];
        for (names, ty) in groups {
            for name in names {
                if let Some(prev) = forced.insert(name.as_str(), ty) {
                    if prev != ty {
                        return Err(SchemaError::ConflictingTypes {
                            column: name.clone(),
                            first: prev,
                            second: ty,
                        });
                    }
                }
            }
        }
        Ok(forced)
    }

    /// Checks that every named column is one of `known` (the union of both datasets); the
    /// error suggests the closest known names.
    pub fn check_names(&self, known: &[&str]) -> Result<(), SchemaError> {
        let unknown =
            |column: &String, setting| SchemaError::unknown_column(column, setting, known);
        let lists: [(&Vec<String>, Setting); 5] = [
            (&self.numerical, Setting::Numerical),
            (&self.categorical, Setting::Categorical),
            (&self.text, Setting::Text),
            (&self.datetime, Setting::Datetime),
            (&self.ignore, Setting::Ignore),
        ];
        for (names, setting) in lists {
            for n in names {
                if !known.contains(&n.as_str()) {
                    return Err(unknown(n, setting));
                }
            }
        }
        let singles: [(&Option<String>, Setting); 4] = [
            (&self.id, Setting::Id),
            (&self.timestamp, Setting::Timestamp),
            (&self.target, Setting::Target),
            (&self.prediction, Setting::Prediction),
        ];
        for (name, setting) in singles {
            if let Some(n) = name {
                if !known.contains(&n.as_str()) {
                    return Err(unknown(n, setting));
                }
            }
        }
        Ok(())
    }

    /// The role of a column.
    pub fn role_of(&self, name: &str) -> ColumnRole {
        let is = |o: &Option<String>| o.as_deref() == Some(name);
        if is(&self.id) {
            ColumnRole::Id
        } else if is(&self.timestamp) {
            ColumnRole::Timestamp
        } else if is(&self.target) {
            ColumnRole::Target
        } else if is(&self.prediction) {
            ColumnRole::Prediction
        } else {
            ColumnRole::Feature
        }
    }

    /// These overrides with the descriptor columns of each image column (`images`, and
    /// `extra`: columns the caller knows to hold images, such as a folder's) typed by their
    /// descriptor's kind: a categorical descriptor (format, camera make and model, EXIF
    /// orientation, ...) is categorical however few or many values the data has, so that a
    /// new camera model is a new label, and a numerical one numerical, so that an image size
    /// shared by every image is not taken for a label. A descriptor column the user typed or
    /// ignored keeps that choice.
    pub fn with_image_descriptor_types<'a>(
        &self,
        extra: impl IntoIterator<Item = &'a str>,
    ) -> SchemaOverrides {
        use crate::descriptors::image::{DescriptorKind, IMAGE_DESCRIPTORS};
        let mut out = self.clone();
        let images: Vec<String> = self
            .images
            .iter()
            .cloned()
            .chain(extra.into_iter().map(str::to_string))
            .collect();
        for image in &images {
            for d in IMAGE_DESCRIPTORS {
                let name = d.column_name(image);
                let typed = [
                    &out.numerical,
                    &out.categorical,
                    &out.text,
                    &out.datetime,
                    &out.ignore,
                ]
                .iter()
                .any(|list| list.contains(&name));
                if typed {
                    continue;
                }
                match d.kind() {
                    DescriptorKind::Categorical => out.categorical.push(name),
                    DescriptorKind::Numerical => out.numerical.push(name),
                }
            }
        }
        out
    }

    /// Whether the column is in `ignore`.
    pub fn is_ignored(&self, name: &str) -> bool {
        self.ignore.iter().any(|n| n == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::StrColumn;

    #[test]
    fn integers_split_on_ten_distinct_values() {
        let ten: Vec<Option<i64>> = (0..100).map(|i| Some(i % 10)).collect();
        assert_eq!(
            infer_column_type(&ColumnData::Int(ten)),
            ColumnType::Categorical
        );
        let eleven: Vec<Option<i64>> = (0..100).map(|i| Some(i % 11)).collect();
        assert_eq!(
            infer_column_type(&ColumnData::Int(eleven)),
            ColumnType::Numerical
        );
        // The eleventh value decides wherever it comes, missing cells aside.
        let mut late: Vec<Option<i64>> = (0..1000).map(|i| (i % 3 > 0).then_some(i % 10)).collect();
        assert_eq!(
            infer_column_type(&ColumnData::Int(late.clone())),
            ColumnType::Categorical
        );
        late.push(Some(-5));
        assert_eq!(
            infer_column_type(&ColumnData::Int(late)),
            ColumnType::Numerical
        );
        // Gaps do not change an integer column's type.
        let gaps = vec![Some(1), None, Some(2), None];
        assert_eq!(
            infer_column_type(&ColumnData::Int(gaps)),
            ColumnType::Categorical
        );
    }

    #[test]
    fn strings_are_text_when_mostly_distinct() {
        let few = StrColumn::from_options(["a", "b", "a", "b"].map(Some));
        assert_eq!(
            infer_column_type(&ColumnData::Str(few)),
            ColumnType::Categorical
        );
        // 3 distinct of 4: share 0.75 > 0.5.
        let many = StrColumn::from_options(["a", "b", "c", "a"].map(Some));
        assert_eq!(infer_column_type(&ColumnData::Str(many)), ColumnType::Text);
        // Exactly half is still categorical.
        let half = StrColumn::from_options(["a", "b", "a", "c", "a", "b"].map(Some));
        assert_eq!(
            infer_column_type(&ColumnData::Str(half)),
            ColumnType::Categorical
        );
    }

    #[test]
    fn other_physical_types() {
        assert_eq!(
            infer_column_type(&ColumnData::Float(vec![1.0])),
            ColumnType::Numerical
        );
        assert_eq!(
            infer_column_type(&ColumnData::Bool(vec![Some(true)])),
            ColumnType::Categorical
        );
        assert_eq!(
            infer_column_type(&ColumnData::Datetime(vec![Some(0)])),
            ColumnType::Datetime
        );
    }

    #[test]
    fn the_current_data_decides_the_type() {
        let fifteen = ColumnData::Int((0..150).map(|i| Some(i % 15)).collect());
        let ten = ColumnData::Int((0..100).map(|i| Some(i % 10)).collect());
        let empty = ColumnData::Int(vec![None, None]);
        let resolve = |r, c| resolve_column_type(r, c, None);
        assert_eq!(resolve(Some(&fifteen), Some(&ten)), ColumnType::Categorical);
        assert_eq!(resolve(Some(&ten), Some(&fifteen)), ColumnType::Numerical);
        // Without a current value, the reference decides.
        assert_eq!(resolve(Some(&fifteen), Some(&empty)), ColumnType::Numerical);
        assert_eq!(resolve(Some(&ten), None), ColumnType::Categorical);
        assert_eq!(resolve(None, Some(&fifteen)), ColumnType::Numerical);
        // A forced type wins.
        assert_eq!(
            resolve_column_type(Some(&ten), Some(&ten), Some(ColumnType::Numerical)),
            ColumnType::Numerical
        );
    }

    #[test]
    fn image_descriptors_are_typed_by_kind_unless_the_user_typed_them() {
        let o = SchemaOverrides {
            images: vec!["photo".into()],
            numerical: vec!["photo.orientation".into()],
            ignore: vec!["photo.bytes".into()],
            ..Default::default()
        };
        let typed = o.with_image_descriptor_types(["image"]);
        let forced = typed.forced_types().unwrap();
        assert_eq!(forced.get("photo.model"), Some(&ColumnType::Categorical));
        assert_eq!(forced.get("photo.width"), Some(&ColumnType::Numerical));
        assert_eq!(forced.get("image.format"), Some(&ColumnType::Categorical));
        assert_eq!(
            forced.get("photo.orientation"),
            Some(&ColumnType::Numerical)
        );
        assert_eq!(forced.get("photo.bytes"), None);
        // 26 descriptors of two image columns, less the one ignored; the user's own entry
        // is not repeated.
        assert_eq!(forced.len(), 2 * 26 - 1);
        assert!(typed.images == o.images);
    }

    #[test]
    fn conflicting_forced_types_are_rejected() {
        let o = SchemaOverrides {
            numerical: vec!["a".into()],
            categorical: vec!["a".into()],
            ..Default::default()
        };
        assert!(matches!(
            o.forced_types(),
            Err(SchemaError::ConflictingTypes { .. })
        ));
    }

    #[test]
    fn component_names_have_one_spelling_per_number() {
        assert_eq!(component_index("emb.0", "emb."), Some(0));
        assert_eq!(component_index("emb.12", "emb."), Some(12));
        assert_eq!(component_index("emb_7", "emb_"), Some(7));
        for other in [
            "emb.", "emb.01", "emb.00", "emb.+1", "emb. 1", "emb.1e2", "emb.x", "emb0", "em.1",
        ] {
            assert_eq!(component_index(other, "emb."), None, "{other}");
        }
        assert_eq!(component_index("v.99999999999999999999999", "v."), None);
        for i in [0, 1, 9, 10, 4095] {
            assert_eq!(component_index(&component_name("emb.", i), "emb."), Some(i));
        }
    }

    #[test]
    fn a_prefix_takes_the_numbered_columns_in_number_order_padded_or_not() {
        let names = [
            "emb_10", "emb_01", "emb_2", "emb_0", "emb_x", "emb_+1", "other",
        ];
        let prefix = EmbeddingColumns::Prefix("emb_".into());
        assert_eq!(
            prefix.members(names.into_iter()),
            ["emb_0", "emb_01", "emb_2", "emb_10"]
        );
        // A zero-padded set keeps every member, in number order.
        let padded: Vec<String> = (0..128).rev().map(|i| format!("f_{i:03}")).collect();
        let members =
            EmbeddingColumns::Prefix("f_".into()).members(padded.iter().map(String::as_str));
        assert_eq!(members.len(), 128);
        assert_eq!((members[0], members[127]), ("f_000", "f_127"));
    }
}
