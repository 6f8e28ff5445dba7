//! Hand-run embedding drift benchmark (not a test): reads two matrices of vectors from `.npy`
//! files (little-endian `f4` or `f8`, C order, two dimensions, as `numpy.save` writes them),
//! then times `embedding_drift` for each method with Evidently's defaults and prints one
//! JSON object: the seconds spent reading, and for every method its seconds, score,
//! threshold, verdict and the rows per side it ran on. `bench/embedding_drift.py` runs it
//! beside Evidently on the same files.
//!
//! `mmd` compares every pair of rows, so it runs on the first `--mmd-rows` rows of each side
//! (default 5,000).
//!
//! `cargo build --release -p modelwatch-core --example embedding_speed`, then
//! `target/release/examples/embedding_speed REF.npy CUR.npy [--mmd-rows N]
//! [--methods distance,ratio,mmd,model]`

use std::time::Instant;

use modelwatch_core::stats::embedding::{embedding_drift, EmbeddingMethod, Vectors};

/// A row-major matrix read from a `.npy` file, widened to f64.
struct Matrix {
    values: Vec<f64>,
    rows: usize,
    dim: usize,
}

/// Reads a two-dimensional little-endian f32 or f64 `.npy` file in C order.
fn read_npy(path: &str) -> Result<Matrix, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(format!("{path}: not a .npy file"));
    }
    // Version 1 has a 2-byte header length, versions 2 and 3 a 4-byte one.
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format!("{path}: unsupported .npy version {v}")),
    };
    let header = bytes
        .get(start..start + header_len)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| format!("{path}: bad header"))?;
    let width = if header.contains("'descr': '<f4'") {
        4
    } else if header.contains("'descr': '<f8'") {
        8
    } else {
        return Err(format!(
            "{path}: only little-endian f4 and f8 are read: {header}"
        ));
    };
    if header.contains("'fortran_order': True") {
        return Err(format!("{path}: Fortran order is not read"));
    }
    let shape: Vec<usize> = header
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .map(|s| {
            s.split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| p.trim().parse().unwrap_or(0))
                .collect()
        })
        .unwrap_or_default();
    let [rows, dim] = shape[..] else {
        return Err(format!("{path}: expected two dimensions: {header}"));
    };
    let data = &bytes[start + header_len..];
    if rows.checked_mul(dim).and_then(|n| n.checked_mul(width)) != Some(data.len()) {
        return Err(format!(
            "{path}: {} data bytes for {rows} x {dim}",
            data.len()
        ));
    }
    let values = if width == 4 {
        data.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
            .collect()
    } else {
        data.chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect()
    };
    Ok(Matrix { values, rows, dim })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut paths = Vec::new();
    let mut mmd_rows = 5_000usize;
    let mut methods = vec!["distance", "ratio", "mmd", "model"]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--mmd-rows" => {
                i += 1;
                mmd_rows = args.get(i).and_then(|s| s.parse().ok()).unwrap_or_else(|| {
                    eprintln!("--mmd-rows takes a number");
                    std::process::exit(2)
                });
            }
            "--methods" => {
                i += 1;
                methods = args
                    .get(i)
                    .map(|s| s.split(',').map(String::from).collect())
                    .unwrap_or_default();
            }
            path => paths.push(path.to_string()),
        }
        i += 1;
    }
    let [reference_path, current_path] = &paths[..] else {
        eprintln!("usage: embedding_speed REF.npy CUR.npy [--mmd-rows N] [--methods LIST]");
        std::process::exit(2)
    };

    let t = Instant::now();
    let (reference, current) = match (read_npy(reference_path), read_npy(current_path)) {
        (Ok(r), Ok(c)) => (r, c),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            std::process::exit(2)
        }
    };
    let read_seconds = t.elapsed().as_secs_f64();

    let mut results = Vec::new();
    for name in &methods {
        let Some(method) = EmbeddingMethod::with_defaults(name) else {
            eprintln!("unknown method {name}");
            std::process::exit(2)
        };
        let rows = |m: &Matrix| {
            if name == "mmd" {
                m.rows.min(mmd_rows)
            } else {
                m.rows
            }
        };
        let (ref_rows, cur_rows) = (rows(&reference), rows(&current));
        let t = Instant::now();
        let outcome = Vectors::new(&reference.values[..ref_rows * reference.dim], reference.dim)
            .and_then(|r| {
                let c = Vectors::new(&current.values[..cur_rows * current.dim], current.dim)?;
                embedding_drift(&r, &c, &method, None)
            });
        let seconds = t.elapsed().as_secs_f64();
        let entry = match outcome {
            Ok(d) => serde_json::json!({
                "method": name, "seconds": seconds, "score": d.score, "threshold": d.threshold,
                "drifted": d.drifted, "reference_rows": ref_rows, "current_rows": cur_rows,
            }),
            Err(e) => serde_json::json!({
                "method": name, "seconds": seconds, "error": e.to_string(),
                "reference_rows": ref_rows, "current_rows": cur_rows,
            }),
        };
        results.push(entry);
    }
    let out = serde_json::json!({
        "read_seconds": read_seconds,
        "threads": rayon::current_num_threads(),
        "dim": reference.dim,
        "methods": results,
    });
    println!("{out}");
}
