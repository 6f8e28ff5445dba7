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

use crate::ingest::RESERVED_KEYS;

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
/// `null`, or a number the general way reads (finite as a double). An object or array
/// inside a row is left to the general way.
fn copyable(raw: &RawValue) -> bool {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'"' | b't' | b'f' | b'n') => true,
        Some(b'-' | b'0'..=b'9') => {
            // Short integers and plain decimals are always in range.
            let plain = text.len() <= 18 && !text.bytes().any(|b| b == b'e' || b == b'E');
            plain || text.parse::<f64>().is_ok_and(f64::is_finite)
        }
        _ => false,
    }
}

fn reserved(name: &str) -> bool {
    RESERVED_KEYS.contains(&name)
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
        for (i, (name, value)) in inputs.0.iter().enumerate() {
            if i > 0 {
                line.push(b',');
            }
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
                // The configured name may need escapes.
                serde_json::to_writer(&mut line, prediction).ok()?;
                line.push(b':');
                line.extend_from_slice(value.get().as_bytes());
            }
            Prediction::Object(outputs) => {
                if !usable(&outputs.0) || outputs.0.iter().any(|(n, _)| used(n)) {
                    return None;
                }
                for (name, value) in &outputs.0 {
                    if line.len() > 1 {
                        line.push(b',');
                    }
                    member(&mut line, name, value.get());
                }
            }
        }
        rows.push(line);
    }
    Some(rows)
}

/// A member whose name needs no escape (it had none in the body, where JSON forbids
/// unescaped quotes and control characters).
fn member(line: &mut Vec<u8>, name: &str, value: &str) {
    line.push(b'"');
    line.extend_from_slice(name.as_bytes());
    line.extend_from_slice(b"\":");
    line.extend_from_slice(value.as_bytes());
}
