use super::categories::{int_counts, ordered_counts};
use super::dataset::{compare_columns, mismatch_budget};
use super::numeric::sorted_repeats;
use super::*;
use crate::drift::DriftSettings;
use crate::prepare::RunSettings;
use crate::stats::special::quantile_linear_sorted;

fn summarise(reference: Option<&Table>, current: &Table) -> DataSummary {
    let (schema, drift) = (SchemaOverrides::default(), DriftSettings::default());
    let run = PreparedRun::new(reference, current, RunSettings::new(&schema, &drift)).unwrap();
    compute_summary(&run)
}
use crate::table::StrColumn;

#[test]
fn mismatch_budget_is_the_largest_allowed() {
    for rows in (1..3000).chain([19_999, 20_000, 20_001, 1_000_000, 1_000_019]) {
        let b = mismatch_budget(rows);
        let within = |b: usize| (rows - b) as f64 / rows as f64 >= 0.95;
        assert!(within(b), "rows {rows}: {b} is over the budget");
        assert!(
            b == rows || !within(b + 1),
            "rows {rows}: {b} is not the largest"
        );
    }
    assert_eq!(mismatch_budget(0), 0);
    assert_eq!(mismatch_budget(100), 5);
    assert_eq!(mismatch_budget(1_000_000), 50_000);
}

/// The array path of `int_counts` and its hashed fallback give the hashed counts, in
/// order of first appearance, for narrow and wide ranges, extremes and missing values.
#[test]
fn int_counts_match_hashed_counts() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut cases: Vec<Vec<Option<i64>>> = vec![
        vec![],
        vec![None, None],
        vec![Some(5)],
        vec![
            Some(3),
            None,
            Some(-2),
            Some(3),
            Some(-2),
            Some(-2),
            None,
            Some(0),
        ],
        vec![Some(i64::MIN), Some(i64::MAX), Some(i64::MIN), Some(0)],
        vec![Some(i64::MAX), Some(i64::MAX - 1), Some(i64::MAX)],
        vec![Some(i64::MIN), Some(i64::MIN + 4095), Some(i64::MIN + 7)],
    ];
    for (len, range) in [
        (100, 10),
        (5000, 4095),
        (5000, 4096),
        (3000, 1 << 20),
        (2000, 3000),
    ] {
        cases.push(
            (0..len)
                .map(|_| {
                    rng.random_bool(0.9)
                        .then(|| rng.random_range(-7..range - 7))
                })
                .collect(),
        );
    }
    for v in &cases {
        let hashed = ordered_counts(v.iter().flatten().copied());
        assert_eq!(int_counts(v), hashed, "{:?}", &v[..v.len().min(8)]);
    }
}

fn table(cols: Vec<(&str, ColumnData)>) -> Table {
    Table::new(cols.into_iter().map(|(n, d)| Column::new(n, d)).collect()).unwrap()
}

fn num(s: &DataSummary, col: &str) -> NumericStats {
    s.columns
        .iter()
        .find(|c| c.column == col)
        .unwrap()
        .current
        .as_ref()
        .unwrap()
        .numeric
        .clone()
        .unwrap()
}

#[test]
fn numeric_basics_match_pandas() {
    let t = table(vec![(
        "a",
        ColumnData::Float(vec![1.0, 2.0, f64::NAN, 4.0, 2.0]),
    )]);
    let s = summarise(None, &t);
    let n = num(&s, "a");
    assert_eq!(n.min, Some(1.0));
    assert_eq!(n.max, Some(4.0));
    assert_eq!(n.mean, Some(2.25));
    // pandas: Series([1,2,4,2]).std() = 1.2583057392117916
    assert!((n.std.unwrap() - 1.2583057392117916).abs() < 1e-15);
    assert_eq!(n.q25, Some(1.75));
    assert_eq!(n.q50, Some(2.0));
    assert_eq!(n.q75, Some(2.5));
    let c = s.columns[0].current.as_ref().unwrap();
    assert_eq!((c.count, c.missing, c.distinct), (4, 1, 3));
    assert_eq!(c.most_common, Some(Value::Number(2.0)));
    assert_eq!(c.most_common_share, Some(0.4));
}

#[test]
fn empty_table() {
    let t = table(vec![("a", ColumnData::Float(vec![]))]);
    let s = summarise(Some(&t), &t);
    assert_eq!(s.current.rows, 0);
    assert_eq!(s.current.missing_values_share, None);
    assert_eq!(s.current.duplicated_rows, 0);
    assert_eq!(s.current.almost_constant_columns, 0);
    let n = num(&s, "a");
    assert_eq!((n.min, n.mean, n.std, n.q50), (None, None, None, None));
    serde_json::to_string(&s).unwrap();
}

#[test]
fn all_missing_column() {
    let t = table(vec![
        ("a", ColumnData::Float(vec![f64::NAN; 3])),
        ("b", ColumnData::Int(vec![Some(1), Some(2), Some(3)])),
    ]);
    let s = summarise(None, &t);
    assert_eq!(s.current.empty_columns, 1);
    assert_eq!(s.current.constant_columns, 1);
    assert_eq!(s.current.almost_constant_columns, 0);
    assert_eq!(s.current.missing_values, 3);
    assert_eq!(s.current.missing_values_share, Some(0.5));
    assert_eq!(num(&s, "a").mean, None);
    let json = serde_json::to_string(&s).unwrap();
    assert!(!json.contains("NaN"));
}

#[test]
fn single_row() {
    let t = table(vec![("a", ColumnData::Float(vec![3.5]))]);
    let s = summarise(None, &t);
    let n = num(&s, "a");
    assert_eq!(
        (n.min, n.q25, n.q75, n.std),
        (Some(3.5), Some(3.5), Some(3.5), None)
    );
    assert_eq!(s.current.constant_columns, 1);
    assert_eq!(s.current.almost_constant_columns, 1);
}

/// Runs counted chunk by chunk agree with a plain count, on columns sorted in one piece,
/// in two levels (many chunks), with few distinct values, and with runs at the ends.
#[test]
fn runs_match_a_plain_count() {
    let mut g = crate::synth::Synth::new(31);
    let n = (1 << 18) + 5_000;
    let m = 100_000;
    let f = |values: Vec<f64>| values.iter().map(|x| x.sort_key()).collect::<Vec<u64>>();
    let mut columns: Vec<Vec<u64>> = vec![
        vec![],
        f(vec![7.0]),
        f(vec![2.0, 2.0]),
        f((0..1000).map(|_| (g.normal() * 100.0).round()).collect()),
        f((0..n).map(|_| (g.normal() * 3e4).round() / 8.0).collect()),
        f((0..n).map(|_| g.normal()).collect()),
        f((0..m).map(|_| g.normal()).collect()),
        f((0..m).map(|_| (g.normal() * 1e6).round() / 1e3).collect()),
        f((0..n).map(|_| (g.normal() * 2.0).round()).collect()),
        f((0..n)
            .map(|i| if i % 3 == 0 { 5.0 } else { g.normal() })
            .collect()),
        // integers stored as floats (keys differ only in their high bits), with three
        // values tied for most common
        f((0..m)
            .map(|i| match i % 1000 {
                1..=3 => 17.0,
                4..=6 => 40_000.0,
                7..=9 => -3.0,
                _ => (g.uniform() * 1e7).round(),
            })
            .collect()),
    ];
    // i64 keys, where key 0 (i64::MIN) is a value like any other: once, and most common
    for zeros in [1, 5] {
        let mut v: Vec<u64> = (0..m)
            .map(|_| (g.normal() * 1e12) as i64)
            .map(|x| x.sort_key())
            .collect();
        for z in 0..zeros {
            v[z * 997] = i64::MIN.sort_key();
        }
        v[3] = i64::MAX.sort_key();
        columns.push(v);
    }
    for keys in columns {
        let mut counts: HashMap<u64, usize> = HashMap::new();
        for &k in &keys {
            *counts.entry(k).or_default() += 1;
        }
        let best = counts.values().copied().max().unwrap_or(0);
        let mut tied: Vec<u64> = if best >= 2 {
            counts
                .iter()
                .filter(|e| *e.1 == best)
                .map(|e| *e.0)
                .collect()
        } else {
            vec![]
        };
        tied.sort_unstable();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        let len = keys.len();
        let bounds = crate::sort::key_bounds(&keys);
        // sorted whole, chunk by chunk
        let mut whole = Runs::default();
        let mut k = keys.clone();
        let mut distinct = 0;
        crate::sort::sort_keys(&mut k, bounds.0, bounds.1, |c| {
            distinct += sorted_repeats(c, |key, len| whole.run(key, len));
        });
        whole.finish(distinct, len);
        // grouped, with no ranks and with the quantile ranks and both ends
        let ranks = [0, len / 4, len / 2, len / 2 + 1, len.saturating_sub(1)];
        for ranks in [&[][..], &ranks[..]] {
            let mut k = keys.clone();
            let ranks: Vec<usize> = ranks.iter().copied().filter(|&r| r < len).collect();
            let grouped = Runs::grouped(&mut k, bounds, &ranks);
            for runs in [&whole, &grouped] {
                assert_eq!(runs.distinct, counts.len(), "{len} keys");
                assert_eq!(runs.best, best, "{len} keys");
                assert_eq!(runs.tied, tied, "{len} keys");
            }
            for &r in &ranks {
                assert_eq!(k[r], sorted[r], "rank {r} of {len}");
            }
        }
    }
}

#[test]
fn ties_go_to_first_appearance() {
    let t = table(vec![
        ("a", ColumnData::Float(vec![3.0, 1.0, 1.0, 3.0, 2.0, 2.0])),
        (
            "b",
            ColumnData::Str(StrColumn::from_options(
                ["y", "x", "x", "y", "z", "z"].map(Some),
            )),
        ),
    ]);
    let s = summarise(None, &t);
    let a = s.columns[0].current.as_ref().unwrap();
    assert_eq!(a.most_common, Some(Value::Number(3.0)));
    let b = s.columns[1].current.as_ref().unwrap();
    assert_eq!(b.most_common, Some(Value::Label("y".into())));
}

/// Datetime columns share the numeric columns' run counting: distinct count, most
/// common (ties to the first in data order), min and max, missing cells left out.
#[test]
fn datetime_runs_and_ties() {
    let t = table(vec![(
        "d",
        ColumnData::Datetime(vec![Some(30), None, Some(-5), Some(-5), Some(30), Some(7)]),
    )]);
    let s = summarise(None, &t);
    let d = s.columns[0].current.as_ref().unwrap();
    assert_eq!(d.distinct, 3);
    assert_eq!(d.most_common_count, 2);
    assert_eq!(d.most_common, Some(Value::Datetime(30)));
    let range = d.datetime.as_ref().unwrap();
    assert_eq!((range.min, range.max), (Some(-5), Some(30)));
    assert_eq!(s.current.constant_columns, 0);
}

#[test]
fn infinities() {
    let t = table(vec![(
        "a",
        ColumnData::Float(vec![1.0, f64::INFINITY, f64::NAN]),
    )]);
    let s = summarise(None, &t);
    let n = num(&s, "a");
    assert_eq!(n.infinite, 1);
    assert_eq!(n.max, Some(f64::INFINITY));
    assert_eq!(n.mean, Some(f64::INFINITY));
    assert_eq!(n.std, None);
    assert_eq!(n.q50, Some(f64::INFINITY));
    let json = serde_json::to_string(&s).unwrap();
    assert!(json.contains("\"max\":\"inf\""), "{json}");
}

#[test]
fn dataset_level_counts() {
    let nan = f64::NAN;
    let t = table(vec![
        ("a", ColumnData::Float(vec![1.0, 1.0, nan, 2.0])),
        ("b", ColumnData::Float(vec![1.0, 1.0, nan, 2.0])),
        ("c", ColumnData::Int(vec![Some(5), Some(5), None, Some(6)])),
    ]);
    let s = summarise(None, &t);
    assert_eq!(s.current.duplicated_rows, 1);
    assert_eq!(s.current.empty_rows, 1);
    assert_eq!(s.current.duplicated_columns, 1);
    // eq: 3 of 4 rows (NaN != NaN) < 0.95.
    assert_eq!(s.current.almost_duplicated_columns, 0);
    assert_eq!(s.current.missing_values, 3);
}

/// Row hashes are built block by block (4096 rows): duplicates across blocks, every
/// physical type, missing cells and 0.0 / -0.0 are all counted as pandas does.
#[test]
fn duplicated_rows_across_blocks_and_types() {
    // short enough to sort the row hashes whole, and long enough to group them
    for n in [10_000, 40_000] {
        duplicated_rows_of_length(n);
    }
}

fn duplicated_rows_of_length(n: usize) {
    let half = n / 2;
    // rows r and r + half are equal; within the first half every row is distinct
    let base = |r: usize| r % half;
    let t = table(vec![
        (
            "f",
            ColumnData::Float(
                (0..n)
                    .map(|r| match base(r) {
                        0 => f64::NAN,
                        1 if r >= half => -0.0,
                        1 => 0.0,
                        b => b as f64 * 0.5,
                    })
                    .collect(),
            ),
        ),
        (
            "i",
            ColumnData::Int((0..n).map(|r| (base(r) != 2).then_some(7)).collect()),
        ),
        (
            "b",
            ColumnData::Bool((0..n).map(|r| (base(r) != 3).then_some(true)).collect()),
        ),
        (
            "s",
            ColumnData::Str(StrColumn::from_options(
                (0..n).map(|r| (base(r) != 4).then_some("x")),
            )),
        ),
    ]);
    let s = summarise(None, &t);
    assert_eq!(s.current.duplicated_rows, half);
    // one differing cell breaks the pair
    let mut f: Vec<f64> = (0..n).map(|r| base(r) as f64).collect();
    f[n - 1] = -1.0;
    let t = table(vec![("f", ColumnData::Float(f))]);
    let s = summarise(None, &t);
    assert_eq!(s.current.duplicated_rows, half - 1);
}

/// Identical and almost duplicated columns over many counting blocks: missing cells equal
/// each other for "identical" but count as different for the 95% share, a difference in
/// the last block still breaks "identical", and the 95% boundary is exact.
#[test]
fn column_pairs_over_many_blocks() {
    let n = 20_000;
    let base: Vec<f64> = (0..n)
        .map(|r| if r % 7 == 0 { f64::NAN } else { r as f64 })
        .collect();
    let with = |changes: &[usize]| {
        let mut v = base.clone();
        for &r in changes {
            v[r] = -1.0;
        }
        ColumnData::Float(v)
    };
    let a = ColumnData::Float(base.clone());
    // identical, missing cells included; only 6/7 of the rows count as equal
    assert_eq!(compare_columns(n, &a, &with(&[])), (true, false));
    let dense: Vec<f64> = (0..n).map(|r| r as f64).collect();
    let d = ColumnData::Float(dense.clone());
    let budget = mismatch_budget(n);
    let last: Vec<usize> = (n - budget..n).collect();
    let mut v = dense.clone();
    for &r in &last {
        v[r] = -1.0;
    }
    // exactly at the budget: almost duplicated, not identical
    assert_eq!(
        compare_columns(n, &d, &ColumnData::Float(v.clone())),
        (false, true)
    );
    v[0] = -1.0;
    // one more difference, in the first block: neither
    assert_eq!(
        compare_columns(n, &d, &ColumnData::Float(v)),
        (false, false)
    );
    let mut v = dense;
    v[n - 1] = 0.5;
    assert_eq!(compare_columns(n, &d, &ColumnData::Float(v)), (false, true));
    let ints = |last: i64| {
        ColumnData::Int(
            (0..n)
                .map(|r| (r % 5 != 0).then_some(if r == n - 1 { last } else { r as i64 }))
                .collect(),
        )
    };
    assert_eq!(compare_columns(n, &ints(1), &ints(1)), (true, false));
    assert_eq!(compare_columns(n, &ints(1), &ints(2)), (false, false));
}

#[test]
fn new_and_unused_labels() {
    let r = table(vec![(
        "c",
        ColumnData::Str(StrColumn::from_options(["a", "b", "a", "a"].map(Some))),
    )]);
    let c = table(vec![(
        "c",
        ColumnData::Str(StrColumn::from_options([
            Some("a"),
            Some("z"),
            None,
            Some("a"),
        ])),
    )]);
    // The current side alone (2 distinct of 3 values) would be text: the type is forced.
    let schema = SchemaOverrides {
        categorical: vec!["c".into()],
        ..Default::default()
    };
    let drift = DriftSettings::default();
    let run = PreparedRun::new(Some(&r), &c, RunSettings::new(&schema, &drift)).unwrap();
    let s = compute_summary(&run);
    let cat = s.columns[0].categories.as_ref().unwrap();
    assert_eq!(cat.new_labels, vec!["z"]);
    assert_eq!(cat.unused_labels, vec!["b"]);
    let a = &cat.labels[0];
    assert_eq!((a.reference_count, a.current_count), (Some(3), 2));
    assert_eq!(a.current_share, Some(0.5));
}

#[test]
fn quantile_matches_numpy_linear() {
    let v = [1.0, 2.0, 3.0, 4.0, 10.0];
    assert_eq!(quantile_linear_sorted(&v, 0.25), Some(2.0));
    assert_eq!(quantile_linear_sorted(&v, 0.75), Some(4.0));
    let v = [0.1, 0.7];
    // numpy.quantile([0.1, 0.7], 0.75) = 0.5499999999999999
    assert_eq!(
        quantile_linear_sorted(&v, 0.75),
        Some(0.7 - (0.7 - 0.1) * 0.25)
    );
}

#[test]
fn a_column_read_lossily_is_summarised_with_its_read_problem() {
    use crate::table::{ColumnReadProblem, StrColumn};
    let labels = |v: &[&str]| ColumnData::Str(StrColumn::from_options(v.iter().map(|s| Some(*s))));
    let reference = table(vec![
        ("x", ColumnData::Float(vec![1.0, 2.0, 3.0])),
        ("t", labels(&["a", "b", "caf\u{FFFD}"])),
    ])
    .with_read_problems(vec![ColumnReadProblem::invalid_utf8("t", 1, 4)]);
    let current = table(vec![
        ("x", ColumnData::Float(vec![1.0, 2.0, 4.0])),
        ("t", labels(&["a", "b", "c"])),
    ]);
    let s = summarise(Some(&reference), &current);
    let t = s.columns.iter().find(|c| c.column == "t").unwrap();
    let problem = t.reference_read_problem.as_ref().unwrap();
    assert_eq!((problem.invalid_utf8_cells, problem.first_line), (1, 4));
    assert_eq!(t.current_read_problem, None);
    // The statistics are of the values as read: three distinct labels on each side.
    assert_eq!(t.reference.as_ref().unwrap().distinct, 3);
    assert!(t.error.is_none());
    let x = s.columns.iter().find(|c| c.column == "x").unwrap();
    assert_eq!(
        (&x.reference_read_problem, &x.current_read_problem),
        (&None, &None)
    );
}
