//! The CSV file reader with a delimiter chosen by the input's first byte (any byte, as the
//! library API allows), on the rest of the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelwatch_fuzz::assert_table_consistent;
use modelwatch_io::{read_table_bytes, Format};

fuzz_target!(|data: &[u8]| {
    let Some((&delimiter, body)) = data.split_first() else {
        return;
    };
    if let Ok(table) = read_table_bytes(body, Format::Csv, "fuzz.csv", Some(delimiter)) {
        assert_table_consistent(&table);
    }
});
