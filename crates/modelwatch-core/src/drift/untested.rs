//! Why a shared column has no drift score, and which of those reasons are problems.
//!
//! Some columns are not tested by design: a text column given a method that is not a text
//! drift method, and a statistic undefined for the data (a constant column has no
//! chi-square, texts of only stop words have no vocabulary). Others cannot be tested because something is wrong: the current values
//! turned into text in a numerical column, one side is all missing, the method set for the
//! column does not fit its type. Those are listed by name in the dataset verdict
//! ([`super::DriftReport::untested_columns`]) and fail the `data_drift` test preset, since
//! a verdict of "no dataset drift" says nothing about a column nobody looked at.

use serde::Serialize;

use super::method::DriftMethod;
use crate::schema::ColumnType;
use crate::table::ColumnData;

/// One of the two datasets of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetSide {
    /// The reference dataset.
    Reference,
    /// The current data.
    Current,
}

/// Why a column pair has no drift score.
#[derive(Debug, Clone, PartialEq)]
pub enum UntestedReason {
    /// One side holds values that cannot be read as the column's type (text in a numerical
    /// column).
    UnreadableValues {
        /// The side with those values.
        side: DatasetSide,
        /// The values' physical type, as [`ColumnData::physical_name`] names it.
        values: &'static str,
        /// The column's type.
        column_type: ColumnType,
    },
    /// One side has no non-missing value.
    NoValues(DatasetSide),
    /// The method set for the column does not apply to its type (a numerical method for a
    /// categorical column).
    MethodDoesNotApply {
        /// The method.
        method: DriftMethod,
        /// The column's type.
        column_type: ColumnType,
    },
    /// A text column was given a method that is not a text drift method.
    TextColumn(DriftMethod),
    /// Datetime columns are not drift-tested.
    DatetimeColumn,
    /// The statistic fails or is NaN for this data (too few values, no variation).
    Statistic(String),
}

impl UntestedReason {
    /// `values` of `side` cannot be read as `column_type`.
    pub(crate) fn unreadable(side: DatasetSide, values: &ColumnData, ty: ColumnType) -> Self {
        UntestedReason::UnreadableValues {
            side,
            values: values.physical_name(),
            column_type: ty,
        }
    }

    /// Whether the reason is a problem to report (a failed check, a name in the verdict)
    /// rather than a column that is not tested by design or whose data has no variation
    /// for the statistic.
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            UntestedReason::UnreadableValues { .. }
                | UntestedReason::NoValues(_)
                | UntestedReason::MethodDoesNotApply { .. }
        )
    }

    /// The reason in a few words, for the verdict line: `current values are text`.
    pub fn short(&self) -> String {
        match self {
            UntestedReason::UnreadableValues { side, values, .. } => {
                let values = match *values {
                    "string" => "text",
                    "boolean" => "booleans",
                    "datetime" => "datetimes",
                    "integer" => "integers",
                    other => other,
                };
                format!("{} values are {values}", side_word(*side))
            }
            UntestedReason::NoValues(side) => {
                format!("{} values are all missing", side_word(*side))
            }
            UntestedReason::MethodDoesNotApply {
                method,
                column_type,
            } => format!("method `{method}` does not apply to {column_type} columns"),
            UntestedReason::TextColumn(_) => "text column".into(),
            UntestedReason::DatetimeColumn => "datetime column".into(),
            UntestedReason::Statistic(why) => why.clone(),
        }
    }
}

fn side_word(side: DatasetSide) -> &'static str {
    match side {
        DatasetSide::Reference => "reference",
        DatasetSide::Current => "current",
    }
}

impl std::fmt::Display for UntestedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UntestedReason::UnreadableValues {
                side,
                values,
                column_type,
            } => {
                let side = match side {
                    DatasetSide::Reference => "the reference",
                    DatasetSide::Current => "the current data",
                };
                write!(
                    f,
                    "{side} holds {values} values, which cannot be tested as {column_type}"
                )
            }
            UntestedReason::NoValues(DatasetSide::Reference) => {
                f.write_str("the reference has no non-missing values")
            }
            UntestedReason::NoValues(DatasetSide::Current) => {
                f.write_str("the current data has no non-missing values")
            }
            UntestedReason::MethodDoesNotApply {
                method,
                column_type,
            } => write!(
                f,
                "method `{method}` does not apply to {column_type} columns"
            ),
            UntestedReason::TextColumn(m) => write!(
                f,
                "method `{m}` does not apply to text columns (abs_text_content_drift and \
                 perc_text_content_drift do); or test it as categorical with --categorical"
            ),
            UntestedReason::DatetimeColumn => f.write_str("datetime columns are not drift-tested"),
            UntestedReason::Statistic(why) => f.write_str(why),
        }
    }
}

/// A column that could not be drift-tested because of a problem with its data or its
/// method ([`UntestedReason::is_problem`]), named in the dataset verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UntestedColumn {
    /// The column name.
    pub column: String,
    /// Why, in a few words ([`UntestedReason::short`]), e.g. `current values are text`.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_in_a_numerical_column_is_a_problem_named_shortly() {
        let r = UntestedReason::unreadable(
            DatasetSide::Current,
            &ColumnData::Str(crate::table::StrColumn::from_options([Some("wide")])),
            ColumnType::Numerical,
        );
        assert!(r.is_problem());
        assert_eq!(r.short(), "current values are text");
        assert_eq!(
            r.to_string(),
            "the current data holds string values, which cannot be tested as numerical"
        );
    }

    #[test]
    fn missing_values_and_unfit_methods_are_problems() {
        let r = UntestedReason::NoValues(DatasetSide::Current);
        assert!(r.is_problem());
        assert_eq!(r.short(), "current values are all missing");
        let r = UntestedReason::MethodDoesNotApply {
            method: DriftMethod::Ks,
            column_type: ColumnType::Categorical,
        };
        assert!(r.is_problem());
        assert_eq!(
            r.short(),
            "method `ks` does not apply to categorical columns"
        );
    }

    #[test]
    fn text_columns_and_undefined_statistics_are_not_problems() {
        assert!(!UntestedReason::TextColumn(DriftMethod::Ks).is_problem());
        assert!(!UntestedReason::DatetimeColumn.is_problem());
        assert!(
            !UntestedReason::Statistic("chi-square needs at least two categories".into())
                .is_problem()
        );
    }
}
