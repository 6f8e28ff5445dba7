//! Parquet: write files with the Arrow writer, read them back.

use std::sync::Arc;

use arrow_array::builder::{StringDictionaryBuilder, UInt64Builder};
use arrow_array::types::Int32Type;
use arrow_array::*;
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use modelwatch_core::table::ColumnData;
use modelwatch_io::{read_table, ReadOptions};
use parquet::arrow::ArrowWriter;

fn write_batch(path: &std::path::Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

#[test]
fn round_trip_all_supported_types() {
    let n = 4;
    let day = 86_400_000_000i64;
    let mut dict = StringDictionaryBuilder::<Int32Type>::new();
    dict.append_value("lo");
    dict.append_null();
    dict.append_value("hi");
    dict.append_value("lo");
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "f64",
            Arc::new(Float64Array::from(vec![
                Some(1.5),
                None,
                Some(f64::INFINITY),
                Some(-0.1),
            ])),
        ),
        (
            "f32",
            Arc::new(Float32Array::from(vec![
                Some(0.5f32),
                Some(2.0),
                None,
                Some(1.0),
            ])),
        ),
        (
            "i64",
            Arc::new(Int64Array::from(vec![
                Some(1),
                None,
                Some(-3),
                Some(i64::MAX),
            ])),
        ),
        (
            "i8",
            Arc::new(Int8Array::from(vec![Some(-1i8), Some(2), Some(3), None])),
        ),
        (
            "u32",
            Arc::new(UInt32Array::from(vec![
                Some(4_000_000_000u32),
                None,
                Some(0),
                Some(1),
            ])),
        ),
        (
            "b",
            Arc::new(BooleanArray::from(vec![
                Some(true),
                None,
                Some(false),
                Some(true),
            ])),
        ),
        (
            "s",
            Arc::new(StringArray::from(vec![
                Some("a"),
                Some("b"),
                None,
                Some("a"),
            ])),
        ),
        (
            "ls",
            Arc::new(LargeStringArray::from(vec![
                Some("x"),
                None,
                Some("y"),
                Some("x"),
            ])),
        ),
        ("dict", Arc::new(dict.finish())),
        (
            "ts_ns",
            Arc::new(
                TimestampNanosecondArray::from(vec![Some(1_500), None, Some(-1), Some(0)])
                    .with_timezone("UTC"),
            ),
        ),
        (
            "ts_ms",
            Arc::new(TimestampMillisecondArray::from(vec![
                Some(1),
                Some(2),
                None,
                Some(3),
            ])),
        ),
        (
            "date",
            Arc::new(Date32Array::from(vec![
                Some(19_727),
                None,
                Some(0),
                Some(-1),
            ])),
        ),
        (
            "dec",
            Arc::new(
                Decimal128Array::from(vec![Some(12_345i128), None, Some(-1), Some(10)])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
        ),
        ("nulls", Arc::new(NullArray::new(n))),
    ];
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.parquet");
    write_batch(&p, &batch);
    let t = read_table(&p, &ReadOptions::default()).unwrap();
    assert_eq!(t.rows(), n);
    let d = |name: &str| t.column(name).unwrap().data.clone();
    let ColumnData::Float(f) = d("f64") else {
        panic!()
    };
    assert_eq!(f[0], 1.5);
    assert!(f[1].is_nan());
    assert_eq!(f[2], f64::INFINITY);
    assert_eq!(f[3], -0.1);
    let ColumnData::Float(f) = d("f32") else {
        panic!()
    };
    assert_eq!((f[0], f[1], f[3]), (0.5, 2.0, 1.0));
    assert!(f[2].is_nan());
    assert_eq!(
        d("i64"),
        ColumnData::Int(vec![Some(1), None, Some(-3), Some(i64::MAX)])
    );
    assert_eq!(
        d("i8"),
        ColumnData::Int(vec![Some(-1), Some(2), Some(3), None])
    );
    assert_eq!(
        d("u32"),
        ColumnData::Int(vec![Some(4_000_000_000), None, Some(0), Some(1)])
    );
    assert_eq!(
        d("b"),
        ColumnData::Bool(vec![Some(true), None, Some(false), Some(true)])
    );
    for (name, expect) in [
        ("s", vec![Some("a"), Some("b"), None, Some("a")]),
        ("ls", vec![Some("x"), None, Some("y"), Some("x")]),
        ("dict", vec![Some("lo"), None, Some("hi"), Some("lo")]),
    ] {
        let ColumnData::Str(s) = d(name) else {
            panic!("{name}")
        };
        let got: Vec<Option<&str>> = (0..n).map(|i| s.get(i)).collect();
        assert_eq!(got, expect, "{name}");
    }
    assert_eq!(
        d("ts_ns"),
        ColumnData::Datetime(vec![Some(1), None, Some(-1), Some(0)])
    );
    assert_eq!(
        d("ts_ms"),
        ColumnData::Datetime(vec![Some(1000), Some(2000), None, Some(3000)])
    );
    assert_eq!(
        d("date"),
        ColumnData::Datetime(vec![Some(19_727 * day), None, Some(0), Some(-day)])
    );
    let ColumnData::Float(f) = d("dec") else {
        panic!()
    };
    assert_eq!((f[0], f[2], f[3]), (123.45, -0.01, 0.1));
    assert!(f[1].is_nan());
    let ColumnData::Float(f) = d("nulls") else {
        panic!()
    };
    assert!(f.iter().all(|x| x.is_nan()));
}

#[test]
fn many_batches_and_row_groups() {
    let n = 200_000;
    let vals: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
    let cats: Vec<String> = (0..n).map(|i| format!("c{}", i % 7)).collect();
    let batch = RecordBatch::try_from_iter(vec![
        ("x", Arc::new(Float64Array::from(vals.clone())) as ArrayRef),
        ("c", Arc::new(StringArray::from(cats.clone())) as ArrayRef),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.pq");
    let file = std::fs::File::create(&p).unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(30_000))
        .build();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let t = read_table(&p, &ReadOptions::default()).unwrap();
    assert_eq!(t.column("x").unwrap().data, ColumnData::Float(vals));
    let ColumnData::Str(s) = &t.column("c").unwrap().data else {
        panic!()
    };
    assert_eq!(s.labels.len(), 7);
    assert!((0..n).all(|i| s.get(i) == Some(cats[i].as_str())));
}

#[test]
fn unsupported_type_and_u64_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("l.parquet");
    // A list of numbers is a vector column; a list of anything else is refused.
    let mut strings =
        arrow_array::builder::ListBuilder::new(arrow_array::builder::StringBuilder::new());
    strings.values().append_value("a");
    strings.append(true);
    let batch = RecordBatch::try_from_iter(vec![
        ("ok", Arc::new(Int32Array::from(vec![1])) as ArrayRef),
        ("c", Arc::new(strings.finish()) as ArrayRef),
    ])
    .unwrap();
    write_batch(&p, &batch);
    let e = read_table(&p, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!(
            "{}: column \"c\" has unsupported type List(",
            p.display()
        )),
        "{e}"
    );
    assert!(!e.contains('\n'));

    let p = dir.path().join("u.parquet");
    let mut b = UInt64Builder::new();
    b.append_value(u64::MAX);
    let schema = Arc::new(Schema::new(vec![Field::new("big", DataType::UInt64, true)]));
    let batch = RecordBatch::try_new(schema, vec![Arc::new(b.finish())]).unwrap();
    write_batch(&p, &batch);
    let e = read_table(&p, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("column \"big\"") && e.contains("exceeds"), "{e}");
    let _ = TimeUnit::Second;
}

/// Lists of numbers (List, LargeList, FixedSizeList; floats and integers) become the columns
/// `NAME.0 ..`; a null list is a missing row, a null inside a missing component; lists of
/// different lengths keep their column out with the first offending row named, and the rest
/// of the file still reads.
#[test]
fn list_columns_are_vectors() {
    use arrow_array::types::{Float32Type, Float64Type};
    use modelwatch_io::{read_table_with_vectors, VectorColumn};
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v.parquet");
    let list = ListArray::from_iter_primitive::<Float64Type, _, _>(vec![
        Some(vec![Some(1.0), Some(2.0), Some(3.0)]),
        None,
        Some(vec![Some(4.0), None, Some(6.0)]),
    ]);
    let large = LargeListArray::from_iter_primitive::<Int32Type, _, _>(vec![
        Some(vec![Some(1), Some(2)]),
        Some(vec![Some(3), Some(4)]),
        Some(vec![Some(5), Some(6)]),
    ]);
    let fixed = FixedSizeListArray::from_iter_primitive::<Float32Type, _, _>(
        vec![
            Some(vec![Some(0.5f32), Some(1.5)]),
            Some(vec![Some(2.5), Some(3.5)]),
            None,
        ],
        2,
    );
    let ragged = ListArray::from_iter_primitive::<Float64Type, _, _>(vec![
        Some(vec![Some(1.0), Some(2.0)]),
        Some(vec![Some(1.0), Some(2.0)]),
        Some(vec![Some(1.0)]),
    ]);
    let batch = RecordBatch::try_from_iter(vec![
        ("id", Arc::new(Int32Array::from(vec![1, 2, 3])) as ArrayRef),
        ("emb", Arc::new(list) as ArrayRef),
        ("big", Arc::new(large) as ArrayRef),
        ("fixed", Arc::new(fixed) as ArrayRef),
        ("bad", Arc::new(ragged) as ArrayRef),
    ])
    .unwrap();
    write_batch(&p, &batch);
    let read = read_table_with_vectors(&p, &ReadOptions::default()).unwrap();
    let names: Vec<&str> = read.table.column_names().collect();
    assert_eq!(
        names,
        ["id", "emb.0", "emb.1", "emb.2", "big.0", "big.1", "fixed.0", "fixed.1"]
    );
    let floats = |n: &str| match &read.table.column(n).unwrap().data {
        ColumnData::Float(v) => v
            .iter()
            .map(|x| if x.is_nan() { -99.0 } else { *x })
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(floats("emb.0"), [1.0, -99.0, 4.0]);
    assert_eq!(floats("emb.1"), [2.0, -99.0, -99.0]);
    assert_eq!(floats("big.1"), [2.0, 4.0, 6.0]);
    assert_eq!(floats("fixed.1"), [1.5, 3.5, -99.0]);
    let v = |name: &str, dimension: usize, error: Option<&str>| VectorColumn {
        name: name.into(),
        dimension,
        error: error.map(str::to_string),
    };
    assert_eq!(
        read.vectors,
        [
            v("emb", 3, None),
            v("big", 2, None),
            v("fixed", 2, None),
            v(
                "bad",
                0,
                Some("vectors of different lengths: row 3 has 1 components, row 1 has 2")
            ),
        ]
    );
    // The plain reader gives the same columns.
    let plain = read_table(&p, &ReadOptions::default()).unwrap();
    assert!(plain.column_names().eq(read.table.column_names()));
}

/// The footer's shape counts every element of a list column: 1,000 rows of a constant
/// 64-element list are a few kilobytes run-length encoded but 64,000 cells once read.
#[test]
fn the_shape_counts_each_list_element_as_a_value() {
    use arrow_array::types::Float64Type;
    let rows = 1_000;
    let list = ListArray::from_iter_primitive::<Float64Type, _, _>(
        (0..rows).map(|_| Some(vec![Some(0.5); 64])),
    );
    let batch = RecordBatch::try_from_iter(vec![
        ("x", Arc::new(Int32Array::from(vec![7; rows])) as ArrayRef),
        ("emb", Arc::new(list) as ArrayRef),
    ])
    .unwrap();
    let mut bytes = Vec::new();
    let mut w = ArrowWriter::try_new(&mut bytes, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    assert!(bytes.len() < 10_000, "{}", bytes.len());
    let shape = modelwatch_io::parquet_shape(&bytes, "ref.parquet").unwrap();
    assert_eq!(
        shape,
        modelwatch_io::ParquetShape {
            rows: 1_000,
            columns: 2,
            values: 1_000 + 64_000,
        }
    );
}
