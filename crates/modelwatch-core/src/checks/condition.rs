//! Conditions: an operator and what the value is compared with (a literal, a range, a list,
//! or the same metric on the reference with a tolerance), and their judgement.

use serde::Serialize;
use serde_json::Value;

use super::metrics::ValueKind;

/// A comparison operator of a suite file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// `eq`: equal (numbers to 1e-9 relative, or within the tolerance of the reference).
    Eq,
    /// `not_eq`: not equal, the negation of `eq`.
    NotEq,
    /// `gt`: strictly greater (numbers only).
    Gt,
    /// `gte`: greater or equal (numbers only).
    Gte,
    /// `lt`: strictly less (numbers only).
    Lt,
    /// `lte`: less or equal (numbers only).
    Lte,
    /// `between`: within `[low, high]`, both ends included (numbers only).
    Between,
    /// `is_in`: equal to one of a non-empty list.
    IsIn,
    /// `not_in`: equal to none of a non-empty list.
    NotIn,
}

impl Operator {
    /// Every operator, in the order error messages list them.
    pub(crate) const ALL: [Operator; 9] = [
        Operator::Eq,
        Operator::NotEq,
        Operator::Gt,
        Operator::Gte,
        Operator::Lt,
        Operator::Lte,
        Operator::Between,
        Operator::IsIn,
        Operator::NotIn,
    ];

    /// The key used in suite files.
    pub fn name(self) -> &'static str {
        match self {
            Operator::Eq => "eq",
            Operator::NotEq => "not_eq",
            Operator::Gt => "gt",
            Operator::Gte => "gte",
            Operator::Lt => "lt",
            Operator::Lte => "lte",
            Operator::Between => "between",
            Operator::IsIn => "is_in",
            Operator::NotIn => "not_in",
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Operator::Eq => "=",
            Operator::NotEq => "!=",
            Operator::Gt => ">",
            Operator::Gte => ">=",
            Operator::Lt => "<",
            Operator::Lte => "<=",
            Operator::Between => "between",
            Operator::IsIn => "in",
            Operator::NotIn => "not in",
        }
    }
}

/// A number, a boolean or a string.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A finite number, compared to 1e-9 relative.
    Number(f64),
    /// `true` or `false`, for boolean metrics such as a column's drift verdict.
    Bool(bool),
    /// A string, compared exactly (e.g. a drift method name).
    Text(String),
}

impl Literal {
    fn from_json(v: &Value) -> Option<Literal> {
        match v {
            Value::Number(n) => n.as_f64().map(Literal::Number),
            Value::Bool(b) => Some(Literal::Bool(*b)),
            Value::String(s) => Some(Literal::Text(s.clone())),
            _ => None,
        }
    }

    fn kind(&self) -> ValueKind {
        match self {
            Literal::Number(_) => ValueKind::Number,
            Literal::Bool(_) => ValueKind::Bool,
            Literal::Text(_) => ValueKind::Text,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Literal::Number(n) => number_json(*n),
            Literal::Bool(b) => Value::Bool(*b),
            Literal::Text(s) => Value::String(s.clone()),
        }
    }

    fn matches(&self, actual: &Value) -> bool {
        match (self, actual) {
            (Literal::Number(n), a) => as_number(a).is_some_and(|a| close(a, *n)),
            (Literal::Bool(b), Value::Bool(a)) => a == b,
            (Literal::Text(s), Value::String(a)) => a == s,
            _ => false,
        }
    }
}

impl std::fmt::Display for Literal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Literal::Number(n) => f.write_str(&format_rounded(*n)),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// A number of the results JSON; the summary writes infinities as `"inf"` / `"-inf"`.
pub(crate) fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s == "inf" => Some(f64::INFINITY),
        Value::String(s) if s == "-inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// Two numbers are equal when they agree to 1e-9 relative (so that a share computed as
/// 1/3 equals the literal 0.333333333).
fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// A JSON number, written as an integer when it is one.
pub(crate) fn number_json(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// A number for people: integers as such, small values in scientific notation, the rest
/// with at most four decimals.
pub fn format_rounded(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        format!("{}", n as i64)
    } else if n != 0.0 && n.abs() < 1e-3 {
        format!("{n:.3e}")
    } else {
        let s = format!("{n:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Formats an actual value from the results.
pub fn format_value(v: &Value) -> String {
    match v {
        Value::Number(n) => n
            .as_f64()
            .map(format_rounded)
            .unwrap_or_else(|| n.to_string()),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A tolerance around the reference's value: `max(|reference| * relative, absolute)`, with
/// Evidently's `approx` defaults (relative 1e-6, absolute 1e-12) for the one not given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Fraction of `|reference|`, e.g. 0.1 for ±10% (suite key `relative`).
    pub relative: Option<f64>,
    /// Absolute width, in the metric's unit (suite key `absolute`).
    pub absolute: Option<f64>,
}

impl Tolerance {
    /// Neither given: Evidently's `approx` defaults only (relative 1e-6, absolute 1e-12).
    pub(crate) const EXACT: Tolerance = Tolerance {
        relative: None,
        absolute: None,
    };

    /// A relative tolerance `r` (a fraction of `|reference|`), absolute left to its default.
    pub(crate) fn relative(r: f64) -> Tolerance {
        Tolerance {
            relative: Some(r),
            absolute: None,
        }
    }

    /// The half-width of the band around `reference`, in the metric's unit.
    pub(crate) fn of(&self, reference: f64) -> f64 {
        (reference.abs() * self.relative.unwrap_or(1e-6)).max(self.absolute.unwrap_or(1e-12))
    }

    fn describe(&self, reference: f64) -> String {
        match (self.relative, self.absolute) {
            (None, None) => String::new(),
            (Some(r), None) => format!(" ± {}%", format_rounded(r * 100.0)),
            _ => format!(" ± {}", format_rounded(self.of(reference))),
        }
    }
}

/// What the value is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A literal, for `eq`, `not_eq`, `gt`, `gte`, `lt` and `lte`.
    Literal(Literal),
    /// `[low, high]` with `low <= high`, both finite, for `between`.
    Range(f64, f64),
    /// A non-empty list of literals of the metric's kind, for `is_in` and `not_in`.
    List(Vec<Literal>),
    /// The same metric on the reference, widened by the tolerance in the lenient direction.
    Reference(Tolerance),
}

/// An operator with its operand.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// How the value is compared.
    pub operator: Operator,
    /// What it is compared with; a suite file gets an operand that fits the operator.
    pub operand: Operand,
}

/// A condition as judged: what the value was compared with, for reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedCondition {
    /// The operator, serialized by its suite key (`lte`, `is_in`, ...).
    pub operator: Operator,
    /// The literal, `[low, high]`, the list, or the bound derived from the reference.
    pub value: Value,
    /// The condition for people, e.g. `<= 0.055 (reference 0.05 ± 10%)`.
    pub text: String,
}

impl Condition {
    /// A condition from its parts, unchecked (the caller pairs operator and operand).
    pub(crate) fn new(operator: Operator, operand: Operand) -> Condition {
        Condition { operator, operand }
    }

    /// A condition comparing with a literal, e.g. `lt 0.3`.
    pub(crate) fn literal(operator: Operator, value: Literal) -> Condition {
        Condition::new(operator, Operand::Literal(value))
    }

    /// Reads the operand of `operator` from a suite file value, for a metric of `kind`.
    /// `has_reference` says whether the metric has a reference-side value.
    pub(crate) fn parse(
        operator: Operator,
        value: &Value,
        kind: ValueKind,
        has_reference: bool,
        metric: &str,
    ) -> Result<Condition, String> {
        let op = operator.name();
        if let Value::Object(map) = value {
            for key in map.keys() {
                if !["reference", "relative", "absolute"].contains(&key.as_str()) {
                    return Err(format!(
                        "{op}: unknown key `{key}` (a reference condition has reference = true and optionally relative or absolute)"
                    ));
                }
            }
            if map.get("reference") != Some(&Value::Bool(true)) {
                return Err(format!(
                    "{op}: a table here must be a reference condition with reference = true"
                ));
            }
            if matches!(operator, Operator::IsIn | Operator::NotIn) {
                return Err(format!("{op}: takes a list of values, not the reference"));
            }
            if !has_reference {
                return Err(format!(
                    "{op}: metric `{metric}` has no reference value to compare with"
                ));
            }
            let mut tol = Tolerance::EXACT;
            for (key, slot) in [
                ("relative", &mut tol.relative),
                ("absolute", &mut tol.absolute),
            ] {
                if let Some(v) = map.get(key) {
                    match v.as_f64() {
                        Some(x) if x >= 0.0 && x.is_finite() => *slot = Some(x),
                        _ => {
                            return Err(format!(
                                "{op}: `{key}` must be a non-negative number, got {v}"
                            ))
                        }
                    }
                }
            }
            if kind != ValueKind::Number
                && (!matches!(operator, Operator::Eq | Operator::NotEq)
                    || tol.relative.is_some()
                    || tol.absolute.is_some())
            {
                return Err(format!(
                    "{op}: metric `{metric}` is {}, so it can only equal the reference (eq or not_eq, without tolerance)",
                    kind.as_str()
                ));
            }
            return Ok(Condition::new(operator, Operand::Reference(tol)));
        }
        let literal_of_kind = |v: &Value| -> Result<Literal, String> {
            let lit = Literal::from_json(v)
                .ok_or_else(|| format!("{op}: expected {}, got {v}", kind.as_str()))?;
            if lit.kind() != kind {
                return Err(format!(
                    "{op}: metric `{metric}` is {}, got {v}",
                    kind.as_str()
                ));
            }
            if let Literal::Number(n) = lit {
                if !n.is_finite() {
                    return Err(format!("{op}: expected a finite number, got {v}"));
                }
            }
            Ok(lit)
        };
        match operator {
            Operator::Eq | Operator::NotEq => {
                Ok(Condition::literal(operator, literal_of_kind(value)?))
            }
            Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => {
                if kind != ValueKind::Number {
                    return Err(format!(
                        "{op}: metric `{metric}` is {}, which has no order (use eq, not_eq, is_in or not_in)",
                        kind.as_str()
                    ));
                }
                Ok(Condition::literal(operator, literal_of_kind(value)?))
            }
            Operator::Between => {
                if kind != ValueKind::Number {
                    return Err(format!(
                        "{op}: metric `{metric}` is {}, which has no order",
                        kind.as_str()
                    ));
                }
                let bounds = value
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .ok_or_else(|| format!("{op}: expected [low, high], got {value}"))?;
                let lo = literal_of_kind(&bounds[0])?;
                let hi = literal_of_kind(&bounds[1])?;
                let (Literal::Number(lo), Literal::Number(hi)) = (lo, hi) else {
                    unreachable!("checked to be numbers")
                };
                if lo > hi {
                    return Err(format!("{op}: low bound {lo} is above high bound {hi}"));
                }
                Ok(Condition::new(operator, Operand::Range(lo, hi)))
            }
            Operator::IsIn | Operator::NotIn => {
                let items = value
                    .as_array()
                    .filter(|a| !a.is_empty())
                    .ok_or_else(|| format!("{op}: expected a non-empty list, got {value}"))?;
                let list = items
                    .iter()
                    .map(literal_of_kind)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Condition::new(operator, Operand::List(list)))
            }
        }
    }

    /// Whether the condition needs the reference's value.
    pub(crate) fn needs_reference(&self) -> bool {
        matches!(self.operand, Operand::Reference(_))
    }

    /// Judges `actual`; `reference` is the metric's reference value (required when
    /// [`needs_reference`](Self::needs_reference)). Returns whether it holds and the
    /// condition as judged.
    pub(crate) fn judge(
        &self,
        actual: &Value,
        reference: Option<&Value>,
    ) -> (bool, ResolvedCondition) {
        let sym = self.operator.symbol();
        let op = self.operator;
        match &self.operand {
            Operand::Literal(lit) => {
                let passed = match (op, lit, as_number(actual)) {
                    (Operator::Eq, lit, _) => lit.matches(actual),
                    (Operator::NotEq, lit, _) => !lit.matches(actual),
                    (Operator::Gt, Literal::Number(b), Some(a)) => a > *b,
                    (Operator::Gte, Literal::Number(b), Some(a)) => a >= *b,
                    (Operator::Lt, Literal::Number(b), Some(a)) => a < *b,
                    (Operator::Lte, Literal::Number(b), Some(a)) => a <= *b,
                    _ => false,
                };
                let text = format!("{sym} {lit}");
                (
                    passed,
                    ResolvedCondition {
                        operator: op,
                        value: lit.to_json(),
                        text,
                    },
                )
            }
            Operand::Range(lo, hi) => {
                let passed = as_number(actual).is_some_and(|a| *lo <= a && a <= *hi);
                (
                    passed,
                    ResolvedCondition {
                        operator: op,
                        value: Value::Array(vec![number_json(*lo), number_json(*hi)]),
                        text: format!(
                            "between {} and {}",
                            format_rounded(*lo),
                            format_rounded(*hi)
                        ),
                    },
                )
            }
            Operand::List(items) => {
                let found = items.iter().any(|l| l.matches(actual));
                let listed = items
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    if op == Operator::IsIn { found } else { !found },
                    ResolvedCondition {
                        operator: op,
                        value: Value::Array(items.iter().map(Literal::to_json).collect()),
                        text: format!("{sym} [{listed}]"),
                    },
                )
            }
            Operand::Reference(tol) => {
                let reference = reference.cloned().unwrap_or(Value::Null);
                match as_number(&reference) {
                    Some(r) => self.judge_against_reference(actual, r, tol),
                    None => {
                        // A bool or string metric: exact equality with the reference.
                        let same = reference == *actual;
                        let passed = if op == Operator::Eq { same } else { !same };
                        (
                            passed,
                            ResolvedCondition {
                                operator: op,
                                value: reference.clone(),
                                text: format!("{sym} {} (reference)", format_value(&reference)),
                            },
                        )
                    }
                }
            }
        }
    }

    fn judge_against_reference(
        &self,
        actual: &Value,
        r: f64,
        tol: &Tolerance,
    ) -> (bool, ResolvedCondition) {
        let op = self.operator;
        let t = tol.of(r);
        let a = as_number(actual);
        let note = format!("(reference {}{})", format_rounded(r), tol.describe(r));
        let (lo, hi) = (r - t, r + t);
        // Without a tolerance (Evidently's 1e-6 default) the bound reads as the reference.
        let negligible = tol.relative.is_none() && tol.absolute.is_none();
        let (passed, value, mut text) = match op {
            Operator::Eq | Operator::NotEq | Operator::Between => {
                let inside = a.is_some_and(|a| lo <= a && a <= hi);
                let text = if op == Operator::NotEq {
                    format!(
                        "outside {} .. {} {note}",
                        format_rounded(lo),
                        format_rounded(hi)
                    )
                } else {
                    format!(
                        "between {} and {} {note}",
                        format_rounded(lo),
                        format_rounded(hi)
                    )
                };
                (
                    if op == Operator::NotEq {
                        !inside
                    } else {
                        inside
                    },
                    Value::Array(vec![number_json(lo), number_json(hi)]),
                    text,
                )
            }
            Operator::Lt | Operator::Lte => {
                let passed = a.is_some_and(|a| if op == Operator::Lt { a < hi } else { a <= hi });
                (
                    passed,
                    number_json(hi),
                    format!("{} {} {note}", op.symbol(), format_rounded(hi)),
                )
            }
            Operator::Gt | Operator::Gte => {
                let passed = a.is_some_and(|a| if op == Operator::Gt { a > lo } else { a >= lo });
                (
                    passed,
                    number_json(lo),
                    format!("{} {} {note}", op.symbol(), format_rounded(lo)),
                )
            }
            Operator::IsIn | Operator::NotIn => (false, Value::Null, "invalid".into()),
        };
        if negligible {
            let sym = match op {
                Operator::Between => "=",
                other => other.symbol(),
            };
            text = format!("{sym} {} (reference)", format_rounded(r));
        }
        (
            passed,
            ResolvedCondition {
                operator: op,
                value,
                text,
            },
        )
    }

    /// The condition before judgement, for default test names (e.g. `< 0.3`,
    /// `<= reference ± 10%`).
    pub(crate) fn describe(&self) -> String {
        let sym = self.operator.symbol();
        match &self.operand {
            Operand::Literal(l) => format!("{sym} {l}"),
            Operand::Range(lo, hi) => {
                format!(
                    "between {} and {}",
                    format_rounded(*lo),
                    format_rounded(*hi)
                )
            }
            Operand::List(items) => format!(
                "{sym} [{}]",
                items
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Operand::Reference(tol) => {
                let spread = match (tol.relative, tol.absolute) {
                    (None, None) => String::new(),
                    (Some(r), None) => format!(" ± {}%", format_rounded(r * 100.0)),
                    (None, Some(a)) => format!(" ± {}", format_rounded(a)),
                    (Some(r), Some(a)) => format!(
                        " ± max({}%, {})",
                        format_rounded(r * 100.0),
                        format_rounded(a)
                    ),
                };
                match self.operator {
                    Operator::Between => format!("within reference{spread}"),
                    _ => format!("{sym} reference{spread}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(op: Operator, v: Value, kind: ValueKind) -> Result<Condition, String> {
        Condition::parse(op, &v, kind, true, "m")
    }

    #[test]
    fn literals_compare() {
        let c = parse(Operator::Lt, json!(0.3), ValueKind::Number).unwrap();
        assert!(c.judge(&json!(0.25), None).0);
        assert!(!c.judge(&json!(0.3), None).0);
        let c = parse(Operator::Eq, json!(0), ValueKind::Number).unwrap();
        assert!(c.judge(&json!(0), None).0);
        assert!(!c.judge(&json!(1), None).0);
        let c = parse(Operator::Eq, json!(false), ValueKind::Bool).unwrap();
        assert!(c.judge(&json!(false), None).0);
        let c = parse(Operator::Between, json!([100, 10000]), ValueKind::Number).unwrap();
        assert!(c.judge(&json!(150), None).0);
        assert!(!c.judge(&json!(99), None).0);
        let c = parse(Operator::NotIn, json!(["a", "b"]), ValueKind::Text).unwrap();
        assert!(c.judge(&json!("c"), None).0);
        assert!(!c.judge(&json!("a"), None).0);
        let c = parse(Operator::Eq, json!(0.333333333333), ValueKind::Number).unwrap();
        assert!(c.judge(&json!(1.0 / 3.0), None).0);
    }

    #[test]
    fn reference_tolerance_widens_the_bound() {
        let c = parse(
            Operator::Lte,
            json!({"reference": true, "relative": 0.1}),
            ValueKind::Number,
        )
        .unwrap();
        let (ok, resolved) = c.judge(&json!(0.054), Some(&json!(0.05)));
        assert!(ok);
        assert_eq!(resolved.value, json!(0.05500000000000001));
        assert_eq!(resolved.text, "<= 0.055 (reference 0.05 ± 10%)");
        assert!(!c.judge(&json!(0.056), Some(&json!(0.05))).0);

        let c = parse(
            Operator::Eq,
            json!({"reference": true, "relative": 0.1}),
            ValueKind::Number,
        )
        .unwrap();
        assert!(c.judge(&json!(165), Some(&json!(150))).0);
        assert!(c.judge(&json!(135), Some(&json!(150))).0);
        assert!(!c.judge(&json!(166), Some(&json!(150))).0);

        let c = parse(
            Operator::Gte,
            json!({"reference": true, "absolute": 0.05}),
            ValueKind::Number,
        )
        .unwrap();
        assert!(c.judge(&json!(0.86), Some(&json!(0.9))).0);
        assert!(!c.judge(&json!(0.84), Some(&json!(0.9))).0);
        // No tolerance: Evidently's approx defaults, effectively the reference itself.
        let c = parse(Operator::Lte, json!({"reference": true}), ValueKind::Number).unwrap();
        assert!(c.judge(&json!(2), Some(&json!(2))).0);
        assert!(!c.judge(&json!(3), Some(&json!(2))).0);
    }

    #[test]
    fn bad_operands_are_explained() {
        let e = parse(Operator::Lt, json!("x"), ValueKind::Number).unwrap_err();
        assert!(e.contains("is a number"), "{e}");
        let e = parse(Operator::Gt, json!(true), ValueKind::Bool).unwrap_err();
        assert!(e.contains("no order"), "{e}");
        let e = parse(Operator::Between, json!([3, 1]), ValueKind::Number).unwrap_err();
        assert!(e.contains("above"), "{e}");
        let e = parse(
            Operator::Lte,
            json!({"reference": false}),
            ValueKind::Number,
        )
        .unwrap_err();
        assert!(e.contains("reference = true"), "{e}");
        let e = parse(
            Operator::Lte,
            json!({"reference": true, "relativ": 1}),
            ValueKind::Number,
        )
        .unwrap_err();
        assert!(e.contains("unknown key `relativ`"), "{e}");
        let e = Condition::parse(
            Operator::Lte,
            &json!({"reference": true}),
            ValueKind::Number,
            false,
            "drifted_share",
        )
        .unwrap_err();
        assert!(e.contains("no reference value"), "{e}");
        let e = parse(Operator::IsIn, json!([]), ValueKind::Number).unwrap_err();
        assert!(e.contains("non-empty"), "{e}");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(format_rounded(150.0), "150");
        assert_eq!(format_rounded(0.3), "0.3");
        assert_eq!(format_rounded(1.0 / 3.0), "0.3333");
        assert_eq!(format_rounded(2.5e-5), "2.500e-5");
    }
}
