//! The ingestion body parsers: the first byte picks the body format (JSON, JSON Lines or
//! CSV), the rest is the body. The rows are validated against a small fixed schema under
//! small limits (so the row and key limits are reached too); the streamed validation
//! refuses exactly the bodies the row splitter refuses, and every row split from the body
//! ends up either accepted or rejected, in request order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelwatch_core::schema::{ColumnRole, ColumnSpec, ColumnType};
use modelwatch_server::ingest::{read_events, split_rows, BodyFormat, EventRules, RowLimits};

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
    let limits = RowLimits {
        max_rows: 50,
        max_keys: 8,
    };
    let schema = [
        spec("x", ColumnType::Numerical),
        spec("city", ColumnType::Categorical),
        spec("when", ColumnType::Datetime),
    ];
    let rules = EventRules::new(&schema, vec!["pred"], None, Some("when"));
    let split = split_rows(body, format, &limits).map(|rows| rows.len());
    let read = read_events(body, format, &limits, &rules, 0);
    let (split, out) = match (split, read) {
        (Ok(split), Ok(out)) => (split, out),
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "the two refuse differently");
            return;
        }
        (a, b) => panic!("one refuses, the other not: {:?} / {:?}", a.err(), b.err()),
    };
    assert!(split <= limits.max_rows, "{split} rows passed a limit of 50");
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
