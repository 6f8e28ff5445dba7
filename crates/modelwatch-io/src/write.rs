//! CSV writer (used by tests and by callers that export tables).

use std::path::{Path, PathBuf};

use modelwatch_core::table::{ColumnData, Table};
use modelwatch_core::time::{format_us, TimeShape};

use crate::error::ReadError;

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "table.csv".into());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `table` as comma-separated UTF-8 with a header row. Missing values are empty
/// fields; floats use the shortest text that reads back to the same value; datetimes are
/// ISO-8601 UTC. The file is written to a temporary name in the same directory and renamed,
/// so a failure never leaves a half-written file behind.
pub fn write_csv(table: &Table, path: &Path) -> Result<(), ReadError> {
    let tmp = temp_path(path);
    let result = write_to(table, &tmp).and_then(|()| std::fs::rename(&tmp, path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ReadError::write(path, &e)
    })
}

fn write_to(table: &Table, tmp: &Path) -> std::io::Result<()> {
    let file = std::fs::File::create(tmp)?;
    let mut w =
        ::csv::WriterBuilder::new().from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
    w.write_record(table.column_names())?;
    let mut cell = String::new();
    for row in 0..table.rows() {
        for c in table.columns() {
            cell.clear();
            use std::fmt::Write as _;
            match &c.data {
                ColumnData::Float(v) if !v[row].is_nan() => {
                    let _ = write!(cell, "{}", v[row]);
                }
                ColumnData::Int(v) => {
                    if let Some(x) = v[row] {
                        let _ = write!(cell, "{x}");
                    }
                }
                ColumnData::Bool(v) => {
                    if let Some(x) = v[row] {
                        cell.push_str(if x { "True" } else { "False" });
                    }
                }
                ColumnData::Str(s) => {
                    if let Some(x) = s.get(row) {
                        cell.push_str(x);
                    }
                }
                ColumnData::Datetime(v) => {
                    if let Some(x) = v[row] {
                        cell.push_str(&format_us(x, TimeShape::Shortest));
                    }
                }
                ColumnData::Float(_) => {}
            }
            w.write_field(&cell)?;
        }
        w.write_record(None::<&[u8]>)?;
    }
    let buf = w.into_inner().map_err(|e| e.into_error())?;
    let file = buf.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    drop(file);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::parse_datetime;

    #[test]
    fn datetime_round_trip() {
        for s in [
            "2024-01-05",
            "1969-12-31T23:59:59.999999Z",
            "2000-02-29T12:00:00Z",
            "1900-03-01T00:00:01Z",
        ] {
            let us = parse_datetime(s.as_bytes()).unwrap();
            assert_eq!(format_us(us, TimeShape::Shortest), s);
        }
    }
}
