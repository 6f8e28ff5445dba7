//! Hand-run CSV read benchmark (not a test): generates a 1,000,000 x 20 float CSV in the temp
//! directory (once; reused afterwards) and reports read throughput.
//!
//! `cargo run --release -p modelwatch-io --example read_speed [rows] [path]`

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use modelwatch_io::{read_table, ReadOptions};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let path = args.get(2).map(PathBuf::from).unwrap_or_else(|| {
        std::env::temp_dir().join(format!("modelwatch_read_speed_{rows}x20.csv"))
    });
    if !path.exists() {
        eprintln!("generating {} ...", path.display());
        let tmp = path.with_extension("csv.tmp");
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp).unwrap());
        let header: Vec<String> = (0..20).map(|j| format!("f{j}")).collect();
        writeln!(w, "{}", header.join(",")).unwrap();
        // xorshift64*: deterministic values with full 17-significant-digit text, like pandas'
        // to_csv of np.random.normal output.
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut line = String::new();
        for _ in 0..rows {
            line.clear();
            for j in 0..20 {
                s ^= s >> 12;
                s ^= s << 25;
                s ^= s >> 27;
                let u = (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
                let x = (u - 0.5) * 6.0;
                if j > 0 {
                    line.push(',');
                }
                line.push_str(&format!("{x:?}"));
            }
            line.push('\n');
            w.write_all(line.as_bytes()).unwrap();
        }
        w.flush().unwrap();
        drop(w);
        std::fs::rename(&tmp, &path).unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
    // one warm-up read so the file is in the page cache, then timed reads
    let _ = read_table(&path, &ReadOptions::default()).unwrap();
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        let table = read_table(&path, &ReadOptions::default()).unwrap();
        let secs = t.elapsed().as_secs_f64();
        best = best.min(secs);
        assert_eq!(table.rows(), rows);
        drop(table);
    }
    println!(
        "{}: {size:.0} MB, {rows} rows x 20 columns, best of 3: {best:.3} s = {:.0} MB/s on {} threads",
        path.display(),
        size / best,
        rayon::current_num_threads()
    );
}
