//! The Parquet file reader on arbitrary bytes (the parquet and arrow crates decode, the
//! reader turns their arrays into columns).
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelwatch_fuzz::assert_table_consistent;
use modelwatch_io::{read_table_bytes, Format};

fuzz_target!(|data: &[u8]| {
    if let Ok(table) = read_table_bytes(data, Format::Parquet, "fuzz.parquet", None) {
        assert_table_consistent(&table);
    }
});
