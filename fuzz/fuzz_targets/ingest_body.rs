//! The ingestion body parsers: the first byte picks the body format (JSON, JSON Lines or
//! CSV), the rest is the body. The rows are validated against a small fixed schema; every
//! row split from the body ends up either accepted or rejected, in request order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelwatch_core::schema::{ColumnRole, ColumnSpec, ColumnType};
use modelwatch_server::ingest::{split_rows, validate, BodyFormat};

fn spec(name: &str, column_type: ColumnType) -> ColumnSpec {
    ColumnSpec {
        name: name.into(),
        column_type,
        role: ColumnRole::Feature,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let format = match selector % 3 {
        0 => BodyFormat::Json,
        1 => BodyFormat::JsonLines,
        _ => BodyFormat::Csv,
    };
    let Ok(rows) = split_rows(body, format) else {
        return;
    };
    let split = rows.len();
    let schema = [
        spec("x", ColumnType::Numerical),
        spec("city", ColumnType::Categorical),
        spec("when", ColumnType::Datetime),
    ];
    let out = validate(rows, &schema, &["pred"], None, Some("when"), 0);
    assert_eq!(
        out.events.len() + out.rejected.len(),
        split,
        "accepted + rejected differs from the rows split"
    );
    let mut last = None;
    for r in &out.rejected {
        assert!(
            r.index < split,
            "rejection index {} past {split} rows",
            r.index
        );
        assert!(last < Some(r.index), "rejections out of order");
        last = Some(r.index);
    }
});
