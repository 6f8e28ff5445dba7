//! JSON Lines reading.

use modelwatch_core::table::ColumnData;
use modelwatch_io::{read_table, ReadOptions};

fn read(content: &str) -> modelwatch_core::table::Table {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.ndjson");
    std::fs::write(&p, content).unwrap();
    read_table(&p, &ReadOptions::default()).unwrap()
}

fn strs(d: &ColumnData) -> Vec<Option<String>> {
    let ColumnData::Str(s) = d else {
        panic!("{}", d.physical_name())
    };
    (0..s.len()).map(|i| s.get(i).map(str::to_owned)).collect()
}

#[test]
fn typing_and_key_order() {
    let t = read(concat!(
        "{\"z\": 1, \"f\": 1, \"b\": true, \"s\": \"x\", \"d\": \"2024-01-05\"}\n",
        "\n",
        "{\"f\": 2.5, \"z\": null, \"b\": null, \"s\": \"NA\", \"new\": \"1\", \"d\": null}\n",
        "{\"z\": -3, \"f\": 3, \"b\": false, \"s\": \"\", \"new\": \"2\"}\n",
    ));
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        vec!["z", "f", "b", "s", "d", "new"]
    );
    let d = |n: &str| t.column(n).unwrap().data.clone();
    assert_eq!(d("z"), ColumnData::Int(vec![Some(1), None, Some(-3)]));
    assert_eq!(d("f"), ColumnData::Float(vec![1.0, 2.5, 3.0]));
    assert_eq!(
        d("b"),
        ColumnData::Bool(vec![Some(true), None, Some(false)])
    );
    // "NA" and "" are real strings in JSON
    assert_eq!(
        strs(&d("s")),
        vec![Some("x".into()), Some("NA".into()), Some("".into())]
    );
    assert_eq!(
        d("d"),
        ColumnData::Datetime(vec![Some(19_727 * 86_400_000_000), None, None])
    );
    // numeric strings become numbers, as pandas.read_json does; absent key = missing
    assert_eq!(d("new"), ColumnData::Int(vec![None, Some(1), Some(2)]));
}

#[test]
fn mixed_kinds_become_text_and_all_null_is_float() {
    let t = read("{\"m\": 1, \"n\": null}\n{\"m\": \"a\"}\n{\"m\": true}\n{\"m\": 2.5}\n");
    assert_eq!(
        strs(&t.column("m").unwrap().data),
        vec![
            Some("1".into()),
            Some("a".into()),
            Some("True".into()),
            Some("2.5".into())
        ]
    );
    let ColumnData::Float(v) = &t.column("n").unwrap().data else {
        panic!()
    };
    assert!(v.len() == 4 && v.iter().all(|x| x.is_nan()));
}

#[test]
fn big_unsigned_and_crlf() {
    let t = read("{\"a\": 18446744073709551615}\r\n{\"a\": 1}\r\n");
    assert_eq!(
        t.column("a").unwrap().data,
        ColumnData::Float(vec![18446744073709551615.0, 1.0])
    );
}

/// Arrays of numbers become the columns `KEY.0 ..`; bad arrays keep only their key out.
#[test]
fn arrays_of_numbers_are_vectors() {
    use modelwatch_io::{read_table_bytes_with_vectors, Format, VectorColumn};
    let data = b"{\"id\":1,\"emb\":[1,2.5],\"odd\":[1,2],\"words\":[1]}\n\
{\"id\":2,\"emb\":null,\"odd\":[1,2,3],\"words\":[\"x\"]}\n\
{\"id\":3,\"emb\":[null,4],\"odd\":[1],\"words\":[2]}\n\
{\"id\":4,\"odd\":5}\n";
    let read = read_table_bytes_with_vectors(data, Format::JsonLines, "v.jsonl", None).unwrap();
    let names: Vec<&str> = read.table.column_names().collect();
    assert_eq!(names, ["id", "emb.0", "emb.1"]);
    let ColumnData::Float(e0) = &read.table.column("emb.0").unwrap().data else {
        panic!()
    };
    assert_eq!(e0[0], 1.0);
    assert!(e0[1].is_nan() && e0[2].is_nan() && e0[3].is_nan());
    let ColumnData::Float(e1) = &read.table.column("emb.1").unwrap().data else {
        panic!()
    };
    assert_eq!(e1[..1], [2.5]);
    assert_eq!(e1[2], 4.0);
    let v = |name: &str, dimension: usize, error: Option<&str>| VectorColumn {
        name: name.into(),
        dimension,
        error: error.map(str::to_string),
    };
    assert_eq!(
        read.vectors,
        [
            v("emb", 2, None),
            v(
                "odd",
                0,
                Some("vectors of different lengths: row 2 has 3 components, row 1 has 2")
            ),
            v(
                "words",
                0,
                Some("row 2 holds an array with a value that is not a number; a vector column holds arrays of numbers")
            ),
        ]
    );
}

/// The shape counts a key of arrays as wide as its longest array, in every line (a line
/// without it still fills its component columns).
#[test]
fn the_read_shape_counts_array_elements_as_columns() {
    use modelwatch_io::jsonl_read_shape;
    let body = "{\"a\": 1, \"emb\": [1, 2, 3]}\n\n{\"a\": 2, \"emb\": null}\n{\"b\": \"x\"}\n";
    assert_eq!(jsonl_read_shape(body.as_bytes(), 10), (3, 1 + 3 + 1));
    // Past max_keys + 1 keys, no more are gathered.
    assert_eq!(jsonl_read_shape(body.as_bytes(), 1), (3, 1 + 3));
    assert_eq!(jsonl_read_shape(b"", 10), (0, 0));
    // An array counts at most one element past the most a vector may have.
    let wide = format!("{{\"v\": [{}]}}\n", vec!["0"; 100_005].join(","));
    assert_eq!(jsonl_read_shape(wide.as_bytes(), 10), (1, 100_001));
    // The table read has that shape.
    let t = read(body);
    assert_eq!((t.rows(), t.columns().len()), (3, 5));
}
