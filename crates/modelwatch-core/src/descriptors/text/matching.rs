//! The match descriptors, as Evidently 0.7 defines them; each is a boolean per row:
//!
//! * `Contains` / `DoesNotContain`: whether any (mode `any`) or all (mode `all`) of the items
//!   are substrings of the text, and the negation of that; when not case-sensitive, text and
//!   items are lower-cased first (Python's `str.lower`). Evidently 0.7 computes these with
//!   its `TextMatch` descriptor, which reads a missing text as the empty text (so `Contains`
//!   is false and `DoesNotContain` true on it);
//! * `BeginsWith` / `EndsWith`: `str.startswith` / `str.endswith`, both sides case-folded
//!   (`str.casefold`, see [`python::casefold`]) when case-insensitive; missing for a missing
//!   text, as in Evidently;
//! * `RegExp`: whether the pattern matches anywhere in the text (`re.search`, as Evidently
//!   0.7's `TextMatch` does; its older feature used `fullmatch`), a missing text read as the
//!   empty text. The syntax is the `regex` crate's: no look-around or back-references (such
//!   a pattern is a setting error), `\d`, `\w`, `\s` and `\b` Unicode-aware as in Python;
//!   docs/text.md lists the differences;
//! * `ExactMatch`: whether two text columns are equal in a row; a missing value equals
//!   nothing, not even another missing value, as in pandas;
//! * `IsValidJSON`: whether `json.loads` accepts the text: Python's JSON, which also takes
//!   `NaN`, `Infinity` and `-Infinity`, lone surrogate escapes and numbers of any size, and
//!   has no nesting limit here (Python stops at its recursion limit). Missing for a missing
//!   text, on which Evidently raises.

use super::python;

/// Whether any or all of `items` are substrings of `text`.
pub fn contains(text: &str, items: &[String], mode: super::MatchMode) -> bool {
    match mode {
        super::MatchMode::Any => items.iter().any(|i| text.contains(i.as_str())),
        super::MatchMode::All => items.iter().all(|i| text.contains(i.as_str())),
    }
}

/// `str.startswith` with optional case folding.
pub fn begins_with(text: &str, prefix: &str, case_sensitive: bool) -> bool {
    if case_sensitive {
        text.starts_with(prefix)
    } else {
        python::casefold(text).starts_with(&python::casefold(prefix))
    }
}

/// `str.endswith` with optional case folding.
pub fn ends_with(text: &str, suffix: &str, case_sensitive: bool) -> bool {
    if case_sensitive {
        text.ends_with(suffix)
    } else {
        python::casefold(text).ends_with(&python::casefold(suffix))
    }
}

/// Whether Python's `json.loads` accepts `text`.
pub fn is_valid_json(text: &str) -> bool {
    JsonScanner {
        s: text.as_bytes(),
        i: 0,
    }
    .document()
}

/// A validating JSON scanner over bytes, with an explicit stack so that deep nesting cannot
/// overflow the thread's stack.
struct JsonScanner<'a> {
    s: &'a [u8],
    i: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Open {
    Array,
    Object,
}

impl JsonScanner<'_> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &[u8]) -> bool {
        if self.s[self.i..].starts_with(lit) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn document(mut self) -> bool {
        self.skip_ws();
        if !self.value() {
            return false;
        }
        self.skip_ws();
        self.i == self.s.len()
    }

    /// One value; arrays and objects are walked with a stack of what is open.
    fn value(&mut self) -> bool {
        let mut stack: Vec<Open> = Vec::new();
        loop {
            self.skip_ws();
            // A value starts here.
            match self.s.get(self.i) {
                Some(b'[') => {
                    self.i += 1;
                    self.skip_ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                    } else {
                        stack.push(Open::Array);
                        continue;
                    }
                }
                Some(b'{') => {
                    self.i += 1;
                    self.skip_ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                    } else {
                        if !self.key() {
                            return false;
                        }
                        stack.push(Open::Object);
                        continue;
                    }
                }
                Some(b'"') => {
                    if !self.string() {
                        return false;
                    }
                }
                Some(_) => {
                    if !self.scalar() {
                        return false;
                    }
                }
                None => return false,
            }
            // A value ended: close what it ends, or expect the next member.
            loop {
                let Some(&open) = stack.last() else {
                    return true;
                };
                self.skip_ws();
                match (open, self.s.get(self.i)) {
                    (_, Some(b',')) => {
                        self.i += 1;
                        self.skip_ws();
                        if open == Open::Object && !self.key() {
                            return false;
                        }
                        break;
                    }
                    (Open::Array, Some(b']')) | (Open::Object, Some(b'}')) => {
                        self.i += 1;
                        stack.pop();
                    }
                    _ => return false,
                }
            }
        }
    }

    /// An object key and its colon.
    fn key(&mut self) -> bool {
        if self.s.get(self.i) != Some(&b'"') || !self.string() {
            return false;
        }
        self.skip_ws();
        self.eat(b":")
    }

    fn string(&mut self) -> bool {
        self.i += 1;
        while let Some(&b) = self.s.get(self.i) {
            match b {
                b'"' => {
                    self.i += 1;
                    return true;
                }
                b'\\' => {
                    self.i += 1;
                    match self.s.get(self.i) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            let hex = self.s.get(self.i + 1..self.i + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return false;
                            }
                            self.i += 5;
                        }
                        _ => return false,
                    }
                }
                // Python's strict mode refuses control characters inside strings.
                0x00..=0x1f => return false,
                _ => self.i += 1,
            }
        }
        false
    }

    fn scalar(&mut self) -> bool {
        for lit in [
            &b"true"[..],
            b"false",
            b"null",
            b"NaN",
            b"Infinity",
            b"-Infinity",
        ] {
            if self.eat(lit) {
                return true;
            }
        }
        self.number()
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`, as Python's scanner reads it: what
    /// follows a valid prefix (`01`, `1.`) is left for the caller, which then fails on it.
    fn number(&mut self) -> bool {
        let digits = |s: &Self, from: usize| {
            s.s[from..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let start = self.i;
        if self.s.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.s.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.i += digits(self, self.i),
            _ => {
                self.i = start;
                return false;
            }
        }
        if self.s.get(self.i) == Some(&b'.') {
            let n = digits(self, self.i + 1);
            if n > 0 {
                self.i += 1 + n;
            }
        }
        if let Some(b'e' | b'E') = self.s.get(self.i) {
            let mut j = self.i + 1;
            if let Some(b'+' | b'-') = self.s.get(j) {
                j += 1;
            }
            let n = digits(self, j);
            if n > 0 {
                self.i = j + n;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_as_python_reads_it() {
        for ok in [
            "1",
            " [1, 2.5e10, -0] ",
            "{\"a\": {\"b\": []}}",
            "NaN",
            "-Infinity",
            "\"\\ud800\"",
            "1e400",
        ] {
            assert!(is_valid_json(ok), "{ok}");
        }
        for bad in [
            "",
            "01",
            "1.",
            "{'a': 1}",
            "[1,]",
            "{\"a\" 1}",
            "[",
            "\"\t\"",
            "tru",
        ] {
            assert!(!is_valid_json(bad), "{bad}");
        }
        let deep = "[".repeat(1_000_000) + &"]".repeat(1_000_000);
        assert!(is_valid_json(&deep));
    }
}
