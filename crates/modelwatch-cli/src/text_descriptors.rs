//! Text descriptors a run asks for (`[[text_descriptors]]` in `--config`, and
//! `--text-descriptors COLS` for Evidently's usual six of each listed column), computed on
//! both datasets after reading and appended to them as ordinary columns
//! (`<column>.<descriptor>`), so that the presets test them like any column. The text column
//! itself stays, with its missing values. Nothing is computed unless asked, as in Evidently
//! 0.7, where descriptors are added to a dataset only when listed.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use modelwatch_core::descriptors::text::{
    describe_text_columns, TextDescriptor, TextDescriptorError, TextDescriptorSettings,
};
use modelwatch_core::schema::SchemaOverrides;
use modelwatch_core::table::{Column, ColumnData, StrColumn, Table};

/// Evidently's usual descriptors of a text column (those its text examples add), in order.
fn usual_descriptors(column: &str) -> impl Iterator<Item = TextDescriptorSettings> + '_ {
    [
        TextDescriptor::TextLength,
        TextDescriptor::WordCount,
        TextDescriptor::SentenceCount,
        TextDescriptor::NonLetterCharacterPercentage,
        TextDescriptor::OovWordsPercentage {
            ignore_words: Vec::new(),
        },
        TextDescriptor::Sentiment,
    ]
    .into_iter()
    .map(move |descriptor| TextDescriptorSettings {
        column: column.to_string(),
        alias: None,
        descriptor,
    })
}

/// The text descriptors of a run and where each was asked for.
#[derive(Debug, Default)]
pub struct TextDescriptorRequest {
    /// The settings file's entries first, then the flag's.
    settings: Vec<TextDescriptorSettings>,
    /// How many of `settings` come from the settings file.
    from_config: usize,
    /// The settings file, named in errors about its entries.
    config: Option<PathBuf>,
}

impl TextDescriptorRequest {
    /// The settings file's `[[text_descriptors]]` entries and the usual descriptors of the
    /// `--text-descriptors` columns. A flag descriptor whose column name an entry of the file
    /// already gives is left out: the file's entry says more (an alias, ignored words).
    pub fn new(
        config_entries: Vec<TextDescriptorSettings>,
        config: Option<&Path>,
        flag_columns: &[String],
    ) -> Self {
        let from_config = config_entries.len();
        let mut settings = config_entries;
        for (i, column) in flag_columns.iter().enumerate() {
            if flag_columns[..i].contains(column) {
                continue;
            }
            for usual in usual_descriptors(column) {
                let name = usual.column_name();
                if !settings[..from_config]
                    .iter()
                    .any(|s| s.column_name() == name)
                {
                    settings.push(usual);
                }
            }
        }
        Self {
            settings,
            from_config,
            config: config.map(Path::to_path_buf),
        }
    }

    /// Whether any descriptor is asked for.
    pub fn is_empty(&self) -> bool {
        self.settings.is_empty()
    }

    /// Appends the descriptor columns to `reference` and `current` (read from the paths
    /// named in errors) and types them in `schema` as core computed them: numbers numerical,
    /// yes/no answers categorical (Evidently's types for its descriptors), so that a count
    /// with few distinct values is not taken for a label. A descriptor column the user typed
    /// or ignored keeps that choice.
    pub fn append(
        &self,
        schema: &mut SchemaOverrides,
        (reference, current): (&mut Table, &mut Table),
        (ref_path, cur_path): (&Path, &Path),
    ) -> anyhow::Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let (ref_described, cur_described) = rayon::join(
            || describe_text_columns(&self.missing_texts_as_text(reference), &self.settings),
            || describe_text_columns(&self.missing_texts_as_text(current), &self.settings),
        );
        let ref_described = ref_described.map_err(|e| self.explain(e, reference, ref_path))?;
        let cur_described = cur_described.map_err(|e| self.explain(e, current, cur_path))?;
        for column in ref_described.table.columns() {
            let typed = [
                &schema.numerical,
                &schema.categorical,
                &schema.text,
                &schema.datetime,
                &schema.ignore,
            ]
            .iter()
            .any(|list| list.contains(&column.name));
            if typed {
                continue;
            }
            match column.data {
                ColumnData::Bool(_) => schema.categorical.push(column.name.clone()),
                _ => schema.numerical.push(column.name.clone()),
            }
        }
        for (table, described) in [
            (reference, ref_described.table),
            (current, cur_described.table),
        ] {
            let problems = table.read_problems().to_vec();
            let mut columns = std::mem::take(table).into_columns();
            columns.extend(described.into_columns());
            *table = Table::new(columns)?.with_read_problems(problems);
        }
        Ok(())
    }

    /// `table`, or a copy in which each described column that has no value at all holds
    /// missing texts: a reader gives a column without a single value a default type (float
    /// for CSV), and a text column with no text on one side is still described there (each
    /// row gets a missing text's values) instead of failing the run. The copy is made only
    /// in that rare case; the dataset itself keeps the column as read.
    fn missing_texts_as_text<'a>(&self, table: &'a Table) -> Cow<'a, Table> {
        let empty = |column: &Column| {
            !matches!(column.data, ColumnData::Str(_)) && column.data.all_missing()
        };
        let described = |column: &Column| {
            self.settings.iter().any(|s| {
                s.column == column.name
                    || matches!(&s.descriptor, TextDescriptor::ExactMatch { other_column }
                        if *other_column == column.name)
            })
        };
        if !table.columns().iter().any(|c| empty(c) && described(c)) {
            return Cow::Borrowed(table);
        }
        let columns = table
            .columns()
            .iter()
            .map(|c| {
                if empty(c) && described(c) {
                    let texts = std::iter::repeat_n(None::<&str>, c.data.len());
                    Column::new(
                        c.name.clone(),
                        ColumnData::Str(StrColumn::from_options(texts)),
                    )
                } else {
                    c.clone()
                }
            })
            .collect();
        Cow::Owned(Table::new(columns).expect("the same names and lengths as `table`"))
    }

    /// Core's error spelt as the user asked: the settings file's entry (1-based, as a reader
    /// counts) or the flag, and for an unknown column the dataset and the closest names.
    fn explain(&self, error: TextDescriptorError, table: &Table, path: &Path) -> anyhow::Error {
        let index = match &error {
            TextDescriptorError::UnknownColumn { index, .. }
            | TextDescriptorError::NotText { index, .. }
            | TextDescriptorError::InvalidRegex { index, .. }
            | TextDescriptorError::DuplicateName { index, .. } => *index,
        };
        let origin = match (&self.config, index < self.from_config) {
            (Some(config), true) => format!(
                "{}: [[text_descriptors]] entry {}",
                config.display(),
                index + 1
            ),
            _ => "--text-descriptors".to_string(),
        };
        let message = error.to_string();
        let rest = message
            .strip_prefix(&format!("text_descriptors[{index}]"))
            .unwrap_or(&message);
        // `text_descriptors[0].reg_exp: ...` names the entry's key after the entry.
        let rest = match rest.strip_prefix('.') {
            Some(key) => format!(", {key}"),
            None => rest.to_string(),
        };
        match &error {
            TextDescriptorError::UnknownColumn { column, .. } => {
                let names: Vec<&str> = table.column_names().collect();
                let hint = modelwatch_core::suggest::hint(column, &names, None);
                anyhow::anyhow!("{origin}{rest} in {}; {hint}", path.display())
            }
            TextDescriptorError::NotText { .. } => {
                anyhow::anyhow!("{origin}{rest} (in {})", path.display())
            }
            _ => anyhow::anyhow!("{origin}{rest}"),
        }
    }
}
