//! "Did you mean `species`?": the known names closest to a misspelt one, for every message
//! about an unknown column, metric, preset or method.
//!
//! Listing every valid name hides the one the user meant among dozens (a table of 80
//! metrics, a file of 500 columns); the closest names by edit distance are what a typo
//! needs. The distance is the optimal string alignment distance (Damerau–Levenshtein
//! without repeated edits of one substring: insertions, deletions, substitutions and
//! transpositions of adjacent characters), from the `strsim` crate, on lower-cased names.

/// At most this many names are suggested.
const MAX_SUGGESTIONS: usize = 3;

/// A list of valid names this short is shown whole when nothing is close.
const SHORT_LIST: usize = 8;

/// The candidates close to `name`, closest first (ties in the candidates' order), at most
/// three. A candidate is close when its edit distance to `name` is at most a quarter of
/// the longer name's length (at least 1, so `agee` finds `age`, when the longer has at
/// least 3 characters) and at most one more than
/// the closest candidate's (`sepal_lenght` finds `sepal_length`, not also `petal_length`),
/// or when one name contains the other and the shorter has at least 3 characters (`width`
/// finds `petal_width`). The comparison ignores case; `name` itself is never suggested.
pub fn closest<'a, I>(name: &str, candidates: I) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let wanted = name.trim().to_lowercase();
    let mut scored: Vec<(usize, usize, &'a str, bool)> = Vec::new();
    for (order, candidate) in candidates.into_iter().enumerate() {
        if candidate == name || scored.iter().any(|s| s.2 == candidate) {
            continue;
        }
        let lower = candidate.to_lowercase();
        let distance = strsim::osa_distance(&wanted, &lower);
        let longer = wanted.chars().count().max(lower.chars().count());
        let shorter = wanted.chars().count().min(lower.chars().count());
        let contains = shorter >= 3 && (lower.contains(&wanted) || wanted.contains(&lower));
        // One edit turns any name of one or two characters into another: too close to mean
        // anything.
        let allowed = if longer <= 2 { 0 } else { (longer / 4).max(1) };
        let near = distance <= allowed;
        if near || contains {
            scored.push((distance, order, candidate, contains));
        }
    }
    scored.sort_unstable();
    let best = scored.first().map_or(0, |s| s.0);
    scored
        .into_iter()
        .filter(|&(distance, _, _, contains)| contains || distance <= best + 1)
        .take(MAX_SUGGESTIONS)
        .map(|(_, _, c, _)| c)
        .collect()
}

/// What to say after "unknown X `name`": `did you mean `age`?` (or `a`, `b` or `c`) when
/// names are close; otherwise the valid names when there are at most eight, or where they
/// are listed (`listed_in`, e.g. `docs/tests.md`). Without `listed_in`, a long list is cut
/// to its first eight names.
pub fn hint(name: &str, candidates: &[&str], listed_in: Option<&str>) -> String {
    let close = closest(name, candidates.iter().copied());
    if !close.is_empty() {
        return format!("did you mean {}?", either(&close));
    }
    if candidates.is_empty() {
        return "there are none".into();
    }
    if candidates.len() <= SHORT_LIST {
        return format!("known: {}", candidates.join(", "));
    }
    match listed_in {
        Some(place) => format!("nothing close; see {place}"),
        None => format!(
            "nothing close among {} names: {}, ...",
            candidates.len(),
            candidates[..SHORT_LIST].join(", ")
        ),
    }
}

/// ` (did you mean `age`?)` after a message about the unknown name `name`, with the
/// candidates closest to it, or nothing when none is close: for columns, which are too
/// many to list and documented nowhere.
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    let close = closest(name, candidates);
    if close.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", either(&close))
    }
}

/// `` `a` ``, `` `a` or `b` ``, `` `a`, `b` or `c` ``.
fn either(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Rewrites serde's message about an unknown field or variant (`unknown field `less_than`,
/// expected one of `name`, `metric`, ...`) to name the closest expected ones instead of all
/// of them (`unknown field `less_than`: did you mean `lt`?`); other messages are returned
/// as they are. `listed_in` says where the valid names are documented, for when none is
/// close ([`hint`]).
pub fn rewrite_unknown_name(message: &str, listed_in: Option<&str>) -> String {
    for what in ["field", "variant"] {
        let head = format!("unknown {what} `");
        let Some(start) = message.find(&head) else {
            continue;
        };
        let rest = &message[start + head.len()..];
        let Some(end) = rest.find('`') else {
            continue;
        };
        let name = &rest[..end];
        let after = &rest[end + 1..];
        let Some(expected) = after
            .strip_prefix(", expected one of ")
            .or_else(|| after.strip_prefix(", expected "))
        else {
            continue;
        };
        // The expected names are quoted; what follows the last quote is not one of them.
        let Some(last_quote) = expected.rfind('`') else {
            continue;
        };
        let candidates: Vec<&str> = expected[..=last_quote]
            .split('`')
            .skip(1)
            .step_by(2)
            .collect();
        let tail = &expected[last_quote + 1..];
        return format!(
            "{}unknown {what} `{name}` ({}){tail}",
            &message[..start],
            hint(name, &candidates, listed_in)
        );
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_the_name_meant() {
        let columns = ["sepal_length", "sepal_width", "petal_width", "species"];
        assert_eq!(closest("specis", columns), ["species"]);
        assert_eq!(closest("Species", columns), ["species"]);
        assert_eq!(closest("sepal_lenght", columns), ["sepal_length"]);
        assert_eq!(
            closest("sepal_lenght", ["petal_length", "sepal_length"]),
            ["sepal_length"]
        );
        assert_eq!(closest("petal_widht", columns), ["petal_width"]);
        assert_eq!(closest("width", columns), ["sepal_width", "petal_width"]);
        assert_eq!(closest("agee", ["age", "page", "stage"]), ["age"]);
        assert!(closest("zzz", columns).is_empty());
        assert!(closest("species", columns).is_empty());
    }

    #[test]
    fn did_you_mean_is_empty_when_nothing_is_close() {
        let columns = ["sepal_length", "species"];
        assert_eq!(
            did_you_mean("specis", columns),
            " (did you mean `species`?)"
        );
        assert_eq!(did_you_mean("zzz", columns), "");
    }

    #[test]
    fn at_most_three_closest_first() {
        let names = ["abcx", "abd", "abc1", "abc2", "abc"];
        assert_eq!(closest("abc", names), ["abcx", "abd", "abc1"]);
        assert_eq!(closest("ab", ["abc", "b", "xyz"]), ["abc"]);
        assert!(closest("d", ["a", "b", "c"]).is_empty());
        assert_eq!(closest("kss", ["ks", "z", "psi"]), ["ks"]);
    }

    #[test]
    fn hints_suggest_list_or_point_to_the_docs() {
        let methods = ["ks", "chisquare", "z", "wasserstein", "psi"];
        assert_eq!(
            hint("wasserstien", &methods, None),
            "did you mean `wasserstein`?"
        );
        assert_eq!(
            hint("nothing", &methods, Some("docs/report.md")),
            "known: ks, chisquare, z, wasserstein, psi"
        );
        let many: Vec<String> = (0..20).map(|i| format!("metric_{i:02}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            hint("nothing", &many, Some("docs/tests.md")),
            "nothing close; see docs/tests.md"
        );
        assert_eq!(
            hint("nothing", &many, None),
            "nothing close among 20 names: metric_00, metric_01, metric_02, metric_03, \
             metric_04, metric_05, metric_06, metric_07, ..."
        );
        assert_eq!(
            hint("metric_1", &many, None),
            "did you mean `metric_01`, `metric_10` or `metric_11`?"
        );
        assert_eq!(hint("x", &[], None), "there are none");
    }

    #[test]
    fn serde_messages_name_the_closest_fields() {
        assert_eq!(
            rewrite_unknown_name(
                "unknown field `less_than`, expected one of `name`, `metric`, `lt`, `lte`, `gt`",
                None
            ),
            "unknown field `less_than` (known: name, metric, lt, lte, gt)"
        );
        assert_eq!(
            rewrite_unknown_name(
                "unknown field `drift_shares`, expected one of `method`, `num_method`, \
                 `drift_share`, `seed` at line 2",
                None
            ),
            "unknown field `drift_shares` (did you mean `drift_share`?) at line 2"
        );
        assert_eq!(
            rewrite_unknown_name("unknown variant `Kss`, expected `ks` or `z`", None),
            "unknown variant `Kss` (did you mean `ks`?)"
        );
        let many = "unknown field `x`, expected one of `a1`, `a2`, `a3`, `a4`, `a5`, `a6`, `a7`, \
                    `a8`, `a9`";
        assert_eq!(
            rewrite_unknown_name(many, Some("docs/tests.md")),
            "unknown field `x` (nothing close; see docs/tests.md)"
        );
        assert_eq!(
            rewrite_unknown_name("invalid type: string", None),
            "invalid type: string"
        );
    }
}
