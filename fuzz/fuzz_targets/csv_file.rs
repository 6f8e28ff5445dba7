//! The CSV file reader on arbitrary bytes with the default comma delimiter: a table or an
//! error, never a panic, and a table is always consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelwatch_fuzz::assert_table_consistent;
use modelwatch_io::{read_table_bytes, Format};

fuzz_target!(|data: &[u8]| {
    if let Ok(table) = read_table_bytes(data, Format::Csv, "fuzz.csv", None) {
        assert_table_consistent(&table);
    }
});
