//! CSV writer (used by tests and by callers that export tables).

use std::path::Path;

use modelwatch_core::table::{ColumnData, Table};
use modelwatch_core::time::{format_us, TimeShape};

use crate::error::ReadError;

/// Writes a file through a temporary file in the same folder that is renamed over `path`
/// once `write` has succeeded, so a failure never leaves a half-written file (nor the
/// temporary) behind. The file gets the permissions of an ordinary new file (0666 less the
/// umask, as `File::create` gives), not the private 0600 of a temporary file: reports and
/// exports are meant to be shared.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // On any early return the temporary file is dropped, which deletes it.
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    write(tmp.as_file_mut())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = 0o666 & !current_umask();
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    // On disk before the rename, so a crash never leaves an empty file under the name.
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn current_umask() -> u32 {
    // SAFETY: umask only swaps the process's file-mode mask.
    unsafe {
        let old = libc::umask(0o022);
        libc::umask(old);
        old as u32
    }
}

/// Writes `table` as comma-separated UTF-8 with a header row. Missing values are empty
/// fields; floats use the shortest text that reads back to the same value; datetimes are
/// ISO-8601 UTC. The file is written to a temporary name in the same directory and renamed,
/// so a failure never leaves a half-written file behind.
pub fn write_csv(table: &Table, path: &Path) -> Result<(), ReadError> {
    write_atomically(path, |file| write_to(table, file)).map_err(|e| ReadError::write(path, &e))
}

fn write_to(table: &Table, file: &mut std::fs::File) -> std::io::Result<()> {
    let mut w = ::csv::WriterBuilder::new()
        .from_writer(std::io::BufWriter::with_capacity(1 << 20, &mut *file));
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
    buf.into_inner().map_err(|e| e.into_error())?;
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

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn atomic_write_replaces_the_file_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, |f| std::io::Write::write_all(f, b"new")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(leftovers(dir.path()), vec!["out.txt"]);
    }

    #[test]
    fn failed_atomic_write_leaves_no_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "old").unwrap();
        let failed = write_atomically(&path, |f| {
            std::io::Write::write_all(f, b"half")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(leftovers(dir.path()), vec!["out.txt"]);

        let missing = dir.path().join("no-such-dir").join("out.txt");
        assert!(write_atomically(&missing, |_| Ok(())).is_err());
        assert!(!missing.exists());
        assert_eq!(leftovers(dir.path()), vec!["out.txt"]);
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_into_a_read_only_folder_fails_cleanly() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let ro = dir.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let result = write_atomically(&ro.join("out.txt"), |_| Ok(()));
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
        // Root ignores folder permissions; the point is only that nothing is left behind.
        if result.is_err() {
            assert!(leftovers(&ro).is_empty());
        }
    }
}
