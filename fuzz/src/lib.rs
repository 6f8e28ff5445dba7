//! Checks the fuzz targets share: what every table a reader returns must satisfy, beyond
//! "it did not panic".

use std::collections::HashSet;

use modelwatch_core::table::{ColumnData, Table, MISSING_CODE};

/// Panics (so libFuzzer records the input) when `table` breaks the invariants every reader
/// promises: each column holds exactly `rows()` values, names are unique, and every string
/// code points into its column's labels, which are distinct.
pub fn assert_table_consistent(table: &Table) {
    let rows = table.rows();
    let mut names = HashSet::new();
    for column in table.columns() {
        assert!(
            names.insert(column.name.as_str()),
            "duplicate column name {:?}",
            column.name
        );
        assert_eq!(
            column.data.len(),
            rows,
            "column {:?} has {} values for {rows} rows",
            column.name,
            column.data.len()
        );
        if let ColumnData::Str(s) = &column.data {
            let labels: HashSet<&str> = s.labels.iter().map(String::as_str).collect();
            assert_eq!(
                labels.len(),
                s.labels.len(),
                "repeated label in {:?}",
                column.name
            );
            for &code in &s.codes {
                assert!(
                    code == MISSING_CODE || (code as usize) < s.labels.len(),
                    "code {code} out of range in {:?}",
                    column.name
                );
            }
        }
    }
}
