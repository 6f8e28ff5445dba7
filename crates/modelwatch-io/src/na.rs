//! pandas' default missing-value tokens.

/// pandas' default missing-value tokens (`pandas._libs.parsers.STR_NA_VALUES`, pandas 2.3).
/// A field equal to one of these (exactly, without trimming) is missing.
pub const NA_TOKENS: [&str; 19] = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// Whether `s` is one of pandas' default missing-value tokens ([`NA_TOKENS`]).
#[inline]
pub fn is_na(s: &[u8]) -> bool {
    match s.len() {
        0 => true,
        2 => s == b"NA",
        3 => matches!(s, b"#NA" | b"N/A" | b"NaN" | b"n/a" | b"nan"),
        4 => matches!(
            s,
            b"#N/A" | b"-NaN" | b"-nan" | b"<NA>" | b"NULL" | b"None" | b"null"
        ),
        6 => s == b"1.#IND",
        7 => matches!(s, b"-1.#IND" | b"1.#QNAN"),
        8 => matches!(s, b"#N/A N/A" | b"-1.#QNAN"),
        _ => false,
    }
}

/// No text is a missing value (JSON strings: only `null` is missing).
pub(crate) fn never_na(_: &[u8]) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn na_tokens_match_list() {
        for t in NA_TOKENS {
            assert!(is_na(t.as_bytes()), "{t}");
        }
        for t in ["NAN", "Nan", " NA", "na", "none", "N/A ", "0"] {
            assert!(!is_na(t.as_bytes()), "{t}");
        }
    }
}
