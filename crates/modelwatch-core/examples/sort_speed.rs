//! Hand-run sort benchmark (not a test): `modelwatch_core::sort::sort` against the standard
//! library's `sort_unstable_by(f64::total_cmp)` on the same columns, best of 7; then the
//! pass that turns a column into keys (`kept_keys`, as the reports call it) against a plain
//! copy of the column.
//!
//! `cargo run --release -p modelwatch-core --example sort_speed [rows]`

use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let columns = 4;
    let mut g = modelwatch_core::synth::Synth::new(12345);
    let mut column = |f: &dyn Fn(f64) -> f64| -> Vec<Vec<f64>> {
        (0..columns)
            .map(|_| (0..n).map(|_| f(g.normal())).collect())
            .collect()
    };
    let sets = [
        (
            "normal, 6 decimals",
            column(&|z| ((z * 3.0 + 50.0) * 1e6).round() / 1e6),
        ),
        ("log-normal", column(&|z| (z * 2.0).exp())),
        (
            "27 distinct values",
            column(&|z| (z * 3.0).round() / 1e6 + 10.0),
        ),
    ];
    println!("{n} values per column, ms per column sort (best of 7):");
    for (name, data) in &sets {
        let (mut ours, mut std_sort) = (f64::MAX, f64::MAX);
        for _ in 0..7 {
            let mut a = data.clone();
            let t = Instant::now();
            for v in &mut a {
                modelwatch_core::sort::sort(v);
            }
            ours = ours.min(t.elapsed().as_secs_f64());
            let mut b = data.clone();
            let t = Instant::now();
            for v in &mut b {
                v.sort_unstable_by(f64::total_cmp);
            }
            std_sort = std_sort.min(t.elapsed().as_secs_f64());
            assert!(a == b, "the two sorts disagree");
        }
        let per = |s: f64| s * 1e3 / columns as f64;
        println!(
            "  {name:20} modelwatch {:7.2}  std {:7.2}  ratio {:.2}",
            per(ours),
            per(std_sort),
            ours / std_sort
        );
    }
    println!("{n} values per column, ms per column to keys (best of 7):");
    for (name, data) in &sets {
        let (mut keys, mut copy) = (f64::MAX, f64::MAX);
        for _ in 0..7 {
            for v in data {
                let t = Instant::now();
                let (k, _) = modelwatch_core::sort::kept_keys(v, |x: f64| (x, !x.is_nan()));
                keys = keys.min(t.elapsed().as_secs_f64());
                let t = Instant::now();
                let c = v.clone();
                copy = copy.min(t.elapsed().as_secs_f64());
                assert_eq!(k.len(), c.len());
            }
        }
        println!(
            "  {name:20} kept_keys  {:7.2}  copy {:7.2}  ratio {:.2}",
            keys * 1e3,
            copy * 1e3,
            keys / copy
        );
    }
}
