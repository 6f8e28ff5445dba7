//! Dictionary encoding of text columns: a fast hasher for borrowed strings, the builder, and
//! the step that turns missing-value labels into missing codes.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use modelwatch_core::table::{StrColumn, MISSING_CODE};

/// A small, fast, non-cryptographic hasher (FNV-1a over 8-byte words) for string dictionaries.
#[derive(Default)]
pub(crate) struct WordHasher(u64);

impl Hasher for WordHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0 ^ 0xcbf2_9ce4_8422_2325;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().unwrap());
            h = (h ^ w).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
        }
        for &b in chunks.remainder() {
            h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }

    #[inline]
    fn finish(&self) -> u64 {
        // final avalanche (splitmix64)
        let mut z = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Dictionary-encodes strings (first-appearance order, like `StrColumnBuilder`, but hashing
/// borrowed slices with a fast hasher and allocating each distinct label once). Kept apart
/// from `StrColumnBuilder` because its index borrows from the CSV buffer, which an owning
/// builder cannot do without a second allocation per distinct label on the hot path.
pub(crate) struct StrDictBuilder<'a> {
    index: HashMap<&'a str, u32, BuildHasherDefault<WordHasher>>,
    column: StrColumn,
    /// The rows expected in all.
    rows: usize,
}

impl<'a> StrDictBuilder<'a> {
    pub fn with_capacity(rows: usize) -> Self {
        let mut column = StrColumn::default();
        column.codes.reserve(rows);
        Self {
            index: HashMap::default(),
            column,
            rows,
        }
    }

    #[inline]
    pub fn push(&mut self, value: Option<&'a str>) {
        let code = match value {
            None => MISSING_CODE,
            Some(s) => match self.index.get(s) {
                Some(&c) => c,
                None => {
                    let c = self.column.labels.len() as u32;
                    // A column where most values are new (free text, ids) would otherwise
                    // grow its index a doubling at a time, hashing every label again each
                    // time: when the index is full and over half the values so far were
                    // new, it makes room for eight times as many labels (at most the rows
                    // still to come), so that a column whose first values only happened to
                    // be new reserves little it will not use.
                    let (held, seen) = (self.index.len(), self.column.codes.len());
                    if held == self.index.capacity() && 2 * held > seen {
                        self.index
                            .reserve((8 * held).min(self.rows.saturating_sub(seen)));
                    }
                    self.column.labels.push(s.to_owned());
                    self.index.insert(s, c);
                    c
                }
            },
        };
        self.column.codes.push(code);
    }

    pub fn finish(self) -> StrColumn {
        self.column
    }
}

/// Turns the labels of `column` that `na` calls missing into missing values: their codes
/// become [`MISSING_CODE`] and the other labels keep their order (of first appearance).
pub(crate) fn drop_missing_labels(column: &mut StrColumn, na: fn(&[u8]) -> bool) {
    let missing: Vec<bool> = column.labels.iter().map(|l| na(l.as_bytes())).collect();
    if !missing.contains(&true) {
        return;
    }
    let mut kept = 0u32;
    let new_code: Vec<u32> = missing
        .iter()
        .map(|&m| {
            if m {
                MISSING_CODE
            } else {
                kept += 1;
                kept - 1
            }
        })
        .collect();
    let mut is_missing = missing.iter();
    column
        .labels
        .retain(|_| !is_missing.next().expect("one flag per label"));
    for c in column.codes.iter_mut() {
        if *c != MISSING_CODE {
            *c = new_code[*c as usize];
        }
    }
}
