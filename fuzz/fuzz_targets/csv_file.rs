//! The CSV file reader on arbitrary bytes with the default comma delimiter: a table or an
//! error, never a panic, and a table is always consistent. For input without quotes the
//! parallel path (with its default and with tiny chunks) and the sequential `csv`-crate path
//! must give the same table, or all refuse the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelwatch_fuzz::assert_table_consistent;
use modelwatch_io::tuning::read_csv_bytes_with;
use modelwatch_io::{read_table_bytes, Format};

type Outcome = Result<modelwatch_core::table::Table, modelwatch_io::ReadError>;

fn outcome(r: &Outcome) -> String {
    // Debug text compares NaN equal to NaN, which `PartialEq` on floats would not.
    match r {
        Ok(t) => format!("{t:?}"),
        Err(e) => e.to_string(),
    }
}

/// The paths must agree on the table, and on whether the input is refused. Both refusing
/// with different messages is allowed: for an input with two faults (say a ragged row and
/// invalid UTF-8 further on) each path reports the fault it checks first.
fn assert_same(read: &Outcome, other: &Outcome, name: &str) {
    if read.is_ok() || other.is_ok() {
        assert_eq!(outcome(other), outcome(read), "{name} path differs");
    }
}

fuzz_target!(|data: &[u8]| {
    let read = read_table_bytes(data, Format::Csv, "fuzz.csv", None);
    if let Ok(table) = &read {
        assert_table_consistent(table);
    }
    if !data.contains(&b'"') {
        let sequential = read_csv_bytes_with(data, "fuzz.csv", b',', None, true);
        assert_same(&read, &sequential, "sequential");
        let chunked = read_csv_bytes_with(data, "fuzz.csv", b',', Some(7), false);
        assert_same(&read, &chunked, "tiny-chunk");
    }
});
