//! The commonest captured exchange written as event lines straight from the bodies' text:
//! a KServe v1 request whose instances are flat JSON objects, answered by predictions that
//! are single values or flat objects, one prediction per instance. Each value is copied as
//! the body spelt it, after the JSON parser has checked it, instead of being built into a
//! tree of `Value`s, joined map by map and printed again: in the proxy's process that round
//! trip was most of the CPU capture added per request (docs/performance.md, "`modelwatch
//! proxy` against direct calls and nginx").
//!
//! Anything else returns `None` and goes the general way ([`super::payload`] and
//! [`super::capture`]), which then gives the same events: another shape, a member beside
//! `instances` or `predictions`, a JSON pointer on the route, a name written with escapes,
//! a name given twice, a reserved name (which the general way moves under `input.` /
//! `output.`), a name both sides use, counts that do not pair, a value that is an object
//! or an array, a `\u` escape anywhere (the general way refuses a lone surrogate), a
//! number the general way refuses as out of range. The server reads either spelling of a
//! value as the same value; a test holds the two ways equal.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::ingest::is_reserved as reserved;

/// The members of a JSON object, in order, names as written (no escapes), values unparsed.
struct Members<'a>(Vec<(&'a str, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(member) = map.next_entry::<&'de str, &'de RawValue>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(V)
    }
}

/// The value of a body that is an object of the one member `key`, read as `T`; `None`
/// when the body is anything else (other members are left to the general way, which
/// checks every value they hold).
fn sole<'de, T: Deserialize<'de>>(body: &'de str, key: &'static str) -> Option<T> {
    struct V<T>(&'static str, std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "an object of `{}` alone", self.0)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            match map.next_key::<&'de str>()? {
                Some(name) if name == self.0 => {}
                _ => return Err(de::Error::custom("another member")),
            }
            let value = map.next_value::<T>()?;
            match map.next_key::<IgnoredAny>()? {
                None => Ok(value),
                Some(_) => Err(de::Error::custom("another member")),
            }
        }
    }
    let mut d = serde_json::Deserializer::from_str(body);
    let value = d
        .deserialize_map(V::<T>(key, std::marker::PhantomData))
        .ok()?;
    d.end().ok()?;
    Some(value)
}

/// Whether a value's text can be copied into a line as it is: a string, `true`, `false`,
/// `null`, or a number serde_json reads exactly (see [`exact_number`]). An object or array
/// inside a row is left to the general way.
fn copyable(raw: &RawValue) -> bool {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'"' | b't' | b'f' | b'n') => true,
        Some(b'-' | b'0'..=b'9') => exact_number(text),
        _ => false,
    }
}

/// Whether serde_json (as built here, without `float_roundtrip`) reads the number `text`
/// exactly, so that the server reads the same double from the copied text as from the
/// general way's text printed after a first reading: an integer within `i64` / `u64`, or a
/// decimal of at most 15 significant digits whose power of ten is within ±22. Such a
/// decimal is read as one multiplication or division of two doubles that hold their values
/// exactly (the significand below 2^53, 10^k up to 10^22), correctly rounded; so is the
/// shortest text the general way prints for it. Any other number (longer, beyond the
/// exact powers, out of range) may come out one unit in the last place apart between a
/// reading of its text and a reading of a printed reading: the general way takes it.
fn exact_number(text: &str) -> bool {
    if !text.contains(['.', 'e', 'E']) {
        // An integer: read as i64 / u64 when it fits, else as a double.
        return text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok();
    }
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => match unsigned[at + 1..].parse::<i32>() {
            Ok(e) => (&unsigned[..at], e),
            Err(_) => return false,
        },
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = whole.bytes().chain(fraction.bytes());
    let significant = digits.skip_while(|&b| b == b'0').count();
    let Ok(fraction_len) = i32::try_from(fraction.len()) else {
        return false;
    };
    let power = exponent.saturating_sub(fraction_len);
    significant <= 15 && (-22..=22).contains(&power)
}

/// A row's members when every name is usable as it is: not reserved, not given twice, its
/// value copyable.
fn usable(members: &[(&str, &RawValue)]) -> bool {
    members.iter().enumerate().all(|(i, (name, value))| {
        !reserved(name)
            && copyable(value)
            && !members[..i].iter().any(|(earlier, _)| earlier == name)
    })
}

/// One prediction: a single value under the prediction column, or an object's members.
enum Prediction<'a> {
    Value(&'a RawValue),
    Object(Members<'a>),
}

fn prediction_of(raw: &RawValue) -> Option<Prediction<'_>> {
    match raw.get().as_bytes().first()? {
        b'{' => serde_json::from_str::<Members>(raw.get())
            .ok()
            .map(Prediction::Object),
        // An array is spread over `<prediction>_<i>` columns: the general way.
        b'[' => None,
        _ => Some(Prediction::Value(raw)),
    }
}

/// The rows of a flat KServe v1 exchange as JSON objects left open (no closing brace), one
/// per instance, each holding the instance's members then its prediction's; `None` when
/// the exchange is not of that shape (see the module's text).
pub(super) fn open_rows(request: &[u8], response: &[u8], prediction: &str) -> Option<Vec<Vec<u8>>> {
    let request = std::str::from_utf8(request).ok()?;
    let response = std::str::from_utf8(response).ok()?;
    if request.contains("\\u") || response.contains("\\u") {
        return None;
    }
    let instances: Vec<Members> = sole(request, "instances")?;
    let predictions: Vec<&RawValue> = sole(response, "predictions")?;
    if instances.is_empty() || instances.len() != predictions.len() || reserved(prediction) {
        return None;
    }
    let mut rows = Vec::with_capacity(instances.len());
    for (inputs, answer) in instances.iter().zip(&predictions) {
        if !usable(&inputs.0) {
            return None;
        }
        // Room for the reserved keys the line gets after the model's columns.
        let mut line = Vec::with_capacity(
            request.len() / instances.len() + response.len() / predictions.len() + 160,
        );
        line.push(b'{');
        for (name, value) in &inputs.0 {
            member(&mut line, name, value.get());
        }
        let used = |name: &str| inputs.0.iter().any(|(n, _)| *n == name);
        match prediction_of(answer)? {
            Prediction::Value(value) => {
                if !copyable(value) || used(prediction) {
                    return None;
                }
                if line.len() > 1 {
                    line.push(b',');
                }
                // The configured name may need escapes: not `member`.
                serde_json::to_writer(&mut line, prediction).ok()?;
                line.push(b':');
                line.extend_from_slice(value.get().as_bytes());
            }
            Prediction::Object(outputs) => {
                if !usable(&outputs.0) || outputs.0.iter().any(|(n, _)| used(n)) {
                    return None;
                }
                for (name, value) in &outputs.0 {
                    member(&mut line, name, value.get());
                }
            }
        }
        rows.push(line);
    }
    Some(rows)
}

/// Appends a member to an object left open (after a comma unless it is the first): its
/// name, which needs no escape (a name read without escapes from a body, where JSON forbids
/// unescaped quotes and control characters, or a reserved key), and its value's JSON text.
pub(super) fn member(line: &mut Vec<u8>, name: &str, value: &str) {
    member_name(line, name);
    line.extend_from_slice(value.as_bytes());
}

/// Appends `,"name":` (no comma for the first member) to an object left open; `name` as
/// for [`member`].
pub(super) fn member_name(line: &mut Vec<u8>, name: &str) {
    if line.len() > 1 {
        line.push(b',');
    }
    line.push(b'"');
    line.extend_from_slice(name.as_bytes());
    line.extend_from_slice(b"\":");
}

#[cfg(test)]
mod tests {
    use super::exact_number;

    #[test]
    fn numbers_are_copied_only_when_serde_json_reads_them_exactly() {
        for n in [
            "0",
            "-0",
            "5.1",
            "5.10",
            "1e-05",
            "-2.5E3",
            "1e22",
            "0.000001234",
            "123456789012345e-22",
            "9007199254740993",
            "-9223372036854775808",
            "18446744073709551615",
            "1e0",
        ] {
            assert!(exact_number(n), "{n}");
        }
        for n in [
            "1e23",
            "1e-23",
            "1.7976931348623157e308",
            "1234567.8901234567",
            "0.30000000000000004",
            "1234567890123456.0",
            "18446744073709551616",
            "-9223372036854775809",
            "1e99999999999",
        ] {
            assert!(!exact_number(n), "{n}");
        }
    }
}
