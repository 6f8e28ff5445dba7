//! The page frame: head with inline CSS, the header with datasets and verdict, the footer
//! with the inline script. Nothing is fetched: the Content-Security-Policy forbids it.

use std::fmt::Write;

use modelwatch_core::results::Results;
use modelwatch_core::schema::ColumnRole;
use modelwatch_core::summary::{ColumnStats, DataSummary};
use modelwatch_core::time::{format_us, TimeShape};

use super::svg::value;
use super::{esc, trim_pct, HtmlOptions};

/// Inline style sheet: light and dark colours, print rules, charts styled by class so each
/// SVG element stays short.
const CSS: &str = r#"
:root{--bg:#fff;--fg:#1d232a;--muted:#5b6570;--line:#d8dde3;--soft:#f3f5f7;--ref:#4c78a8;--cur:#e8731a;--bad:#c62828;--good:#2e7d32;--warn:#a86b00;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#15191d;--fg:#e4e8ec;--muted:#9aa4ae;--line:#38414a;--soft:#1f252b;--ref:#78a6dc;--cur:#f59a4f;--bad:#ef6b6b;--good:#64c36a;--warn:#e0a53c}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1100px;padding:24px 20px 48px;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
h1{font-size:22px;margin:0 0 12px}h2{font-size:18px;margin:32px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0 0 14px}.meta dt{color:var(--muted)}.meta dd{margin:0;overflow-wrap:anywhere}
.verdict{font-size:17px;font-weight:600;padding:10px 14px;border-radius:6px;border-left:6px solid;margin:8px 0}
.verdict.bad{color:var(--bad);border-color:var(--bad);background:color-mix(in srgb,var(--bad) 9%,transparent)}
.verdict.good{color:var(--good);border-color:var(--good);background:color-mix(in srgb,var(--good) 9%,transparent)}
.verdict.warn{color:var(--warn);border-color:var(--warn)}
.foot{color:var(--muted);font-size:12px;margin-top:32px}
.controls{display:flex;gap:16px;align-items:center;margin:8px 0}.controls button{font:inherit;padding:2px 10px}
table{border-collapse:collapse;width:100%}th,td{padding:5px 8px;text-align:left;vertical-align:middle}
thead th{border-bottom:2px solid var(--line);white-space:nowrap}
th button{all:unset;cursor:pointer;font-weight:600}th button::after{content:" \2195";color:var(--muted);font-weight:400}
th[aria-sort=ascending] button::after{content:" \2191"}th[aria-sort=descending] button::after{content:" \2193"}
tbody.col{border-bottom:1px solid var(--line)}tbody.col:hover{background:var(--soft)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.more td{padding:0 8px 4px}
tr.main td:first-child{font-weight:600;overflow-wrap:anywhere}
.js tr.main{cursor:pointer}
.yes{color:var(--bad);font-weight:700}.no{color:var(--good)}.err{color:var(--warn);font-weight:600}
summary{color:var(--muted);font-size:12px;cursor:pointer}
.detail{padding:6px 0 12px}.detail p{margin:4px 0;max-width:75ch}
.key{display:inline-block;margin-right:14px;font-size:12px}.key::before{content:"";display:inline-block;width:10px;height:10px;margin-right:5px;vertical-align:-1px}
.key.ref::before{background:var(--ref)}.key.cur::before{background:var(--cur)}
svg{display:block}svg.chart{width:100%;max-width:640px;height:auto;margin-top:4px}
svg text{fill:var(--muted);font-size:11px}svg .lab{font-size:12px;fill:var(--fg)}
svg .ax{stroke:var(--muted);stroke-width:1;fill:none}svg .grid{stroke:var(--line);stroke-width:1;fill:none}
svg .r{fill:var(--ref);fill-opacity:.55}svg .c{fill:var(--cur);fill-opacity:.55}
svg.spark .r{fill-opacity:.45}svg.spark .c{fill:none;stroke:var(--cur);stroke-width:1.3}
svg g:hover rect{fill-opacity:.9}
ul.notes{color:var(--muted);padding-left:18px}
h3{font-size:15px;margin:20px 0 6px}
nav.toc{font-size:13px;margin:4px 0 0}nav.toc a{color:inherit;margin-right:12px}
table.stats{margin:6px 0 10px;font-size:13px}table.stats thead th{white-space:normal}table.stats td,table.stats th{border-bottom:1px solid var(--line)}table.stats th[scope=row],table.stats tbody th{font-weight:600;overflow-wrap:anywhere}
table.stats small{color:var(--muted);font-weight:400}
tbody.cs{border-bottom:2px solid var(--line)}
td.chg{color:var(--warn);font-weight:600;background:color-mix(in srgb,var(--warn) 10%,transparent)}
td.notes-cell{color:var(--warn);font-size:12px;max-width:28ch}
.hint{color:var(--muted);font-size:12px}
.charts{display:flex;flex-wrap:wrap;gap:8px 24px}.charts figure{margin:0;flex:1 1 300px;max-width:460px}figcaption{font-weight:600;color:var(--muted)}
svg.sq{max-width:460px}
svg .hm{fill:var(--ref)}svg .hm.d{fill:var(--good)}svg .hmt{fill:var(--fg);font-size:11px}svg .hmt.hi{fill:var(--bg)}
svg .ln{fill:none;stroke-width:2}svg path.ln.r{stroke:var(--ref)}svg path.ln.c{stroke:var(--cur)}
svg .l0{stroke:#4c78a8}svg .l1{stroke:#e8731a}svg .l2{stroke:#54a24b}svg .l3{stroke:#b279a2}svg .l4{stroke:#9d755d}svg .l5{stroke:#e45756}svg .l6{stroke:#72b7b2}svg .l7{stroke:#eeca3b}
svg .diag{stroke:var(--muted);stroke-dasharray:4 4;fill:none}
svg path.r:not(.ln),svg path.c:not(.ln){stroke:none}
ul.counts{display:flex;gap:10px;list-style:none;padding:0;margin:6px 0}ul.counts li{padding:3px 10px;border-radius:4px;border:1px solid var(--line)}
.st-fail .badge,li.st-fail b{color:var(--bad)}.st-err .badge,li.st-err b{color:var(--warn)}.st-warn .badge,li.st-warn b{color:var(--warn)}.st-pass .badge,li.st-pass b{color:var(--good)}
.badge{font-weight:700;font-size:12px}tr.st-fail{background:color-mix(in srgb,var(--bad) 7%,transparent)}
@media print{body{max-width:none;padding:0;font-size:11px}nav.toc,.controls,summary{display:none}section{break-before:auto}figure,table.stats tbody,svg{break-inside:avoid}details::details-content{content-visibility:visible;display:block}tbody.col{break-inside:avoid}.verdict{background:none}}
"#;

/// Inline script: sorting, filtering to drifted columns, expanding rows. The page reads the
/// same without it (controls stay hidden, rows expand through `<details>`).
const JS: &str = r#"
(function(){
var d=document;d.documentElement.className+=' js';
[].forEach.call(d.querySelectorAll('table.coltable'),function(tb){tb.addEventListener('click',function(e){var tr=e.target.closest('tr.main');if(!tr||e.target.closest('a,button,summary'))return;
var x=tr.parentNode.querySelector('details');if(x)x.open=!x.open})});
var h=location.hash&&d.getElementById(location.hash.slice(1));if(h){var x=h.querySelector('details');if(x)x.open=true}
window.addEventListener('beforeprint',function(){[].forEach.call(d.querySelectorAll('details'),function(x){x.open=true})});
var t=d.getElementById('drift-table');if(!t)return;
var c=d.getElementById('drift-controls');if(c)c.hidden=false;
var bodies=function(){return [].slice.call(t.tBodies)};
[].forEach.call(t.querySelectorAll('th button'),function(b){b.addEventListener('click',function(){
var th=b.parentNode,k=b.getAttribute('data-key'),num=b.hasAttribute('data-num'),dir=th.getAttribute('aria-sort')==='ascending'?-1:1;
[].forEach.call(t.querySelectorAll('th'),function(x){x.removeAttribute('aria-sort')});
th.setAttribute('aria-sort',dir>0?'ascending':'descending');
bodies().sort(function(p,q){var x=p.getAttribute('data-'+k),y=q.getAttribute('data-'+k);
if(num){x=x===''?Infinity:+x;y=y===''?Infinity:+y;return x===y?0:(x<y?-dir:dir)}return x.localeCompare(y)*dir})
.forEach(function(b){t.appendChild(b)})})});
var only=d.getElementById('only-drifted');
if(only)only.addEventListener('change',function(){bodies().forEach(function(b){b.hidden=only.checked&&b.getAttribute('data-drifted')!=='yes'})});
var all=function(open){return function(){bodies().forEach(function(b){var e=b.querySelector('details');if(e)e.open=open})}};
var ex=d.getElementById('expand-all');if(ex)ex.addEventListener('click',all(true));
var co=d.getElementById('collapse-all');if(co)co.addEventListener('click',all(false));
})();
"#;

/// Writes everything up to and including the page header.
pub(super) fn open(out: &mut String, results: &Results, options: &HtmlOptions<'_>) {
    let m = &results.meta;
    let title = if options.checks.is_some() {
        "Test report"
    } else if results.drift.is_some() {
        "Data drift report"
    } else {
        "modelwatch report"
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
<link rel=\"icon\" href=\"data:,\">\
<title>{title}: {} → {}</title><style>{CSS}{}</style></head><body>\n<header><h1>{title}</h1>\n<dl class=\"meta\">",
        esc(file_name(&m.reference)),
        esc(file_name(&m.current)),
        super::images::GALLERY_CSS,
    );
    let (ref_cols, cur_cols) = match (&results.drift, &results.summary) {
        (Some(d), _) => {
            let shared = d.columns.len() + d.skipped_columns.len();
            (
                Some(shared + d.reference_only_columns.len()),
                Some(shared + d.current_only_columns.len()),
            )
        }
        (None, Some(s)) => (
            s.reference.as_ref().map(|r| r.columns),
            Some(s.current.columns),
        ),
        (None, None) => (None, None),
    };
    let (ref_range, cur_range) = match &m.time_range {
        Some(t) => {
            let side =
                |s: &Option<(String, String)>| s.clone().map(|(a, b)| (t.column.as_str(), a, b));
            (side(&t.reference), side(&t.current))
        }
        None => time_ranges(results.summary.as_ref()),
    };
    for (label, path, rows, cols, range) in [
        (
            "Reference",
            &m.reference,
            m.reference_rows,
            ref_cols,
            ref_range,
        ),
        ("Current", &m.current, m.current_rows, cur_cols, cur_range),
    ] {
        let _ = write!(
            out,
            "<dt>{label}</dt><dd><span class=\"mono\">{}</span> — {} rows",
            esc(path),
            group_digits(rows as u64)
        );
        if let Some(c) = cols {
            let _ = write!(out, ", {c} columns");
        }
        if let Some((column, lo, hi)) = range {
            let _ = write!(
                out,
                "; <span class=\"range\">{} from {} to {}</span>",
                esc(column),
                esc(&lo),
                esc(&hi)
            );
        }
        out.push_str("</dd>");
    }
    let _ = writeln!(
        out,
        "<dt>Generated</dt><dd>{} by modelwatch {}</dd></dl>",
        esc(&m.generated_at),
        esc(&m.version)
    );
    if let Some(d) = &results.drift {
        let (class, text) = if d.column_count == 0 {
            ("warn", "No column could be tested for drift".to_string())
        } else {
            let noun = if d.column_count == 1 {
                "column"
            } else {
                "columns"
            };
            let share = trim_pct(d.drifted_share * 100.0);
            let limit = trim_pct(d.drift_share * 100.0);
            if d.dataset_drift {
                (
                    "bad",
                    format!(
                        "Dataset drift: {} of {} {noun} drifted, {share}% ≥ {limit}%",
                        d.drifted_count, d.column_count
                    ),
                )
            } else {
                (
                    "good",
                    format!(
                        "No dataset drift: {} of {} {noun} drifted, {share}% < {limit}%",
                        d.drifted_count, d.column_count
                    ),
                )
            }
        };
        // "No drift" holds only for the columns tested: name the others, and do not show
        // the verdict as good.
        let (class, text) = match crate::terminal::untested_clause(d) {
            Some(untested) => (
                if class == "good" { "warn" } else { class },
                format!("{text}; {untested}"),
            ),
            None => (class, text),
        };
        let _ = writeln!(out, "<p class=\"verdict {class}\">{}</p>", esc(&text));
    }
    let sections: Vec<(&str, &str)> = [
        (options.checks.is_some(), "tests", "Test results"),
        (results.drift.is_some(), "drift", "Data drift"),
        (!options.galleries.is_empty(), "images", "Images"),
        (results.summary.is_some(), "summary", "Data quality"),
        (
            results.target.is_some(),
            "target",
            "Target and prediction drift",
        ),
        (
            results.classification.is_some(),
            "classification",
            "Classification quality",
        ),
        (
            results.regression.is_some(),
            "regression",
            "Regression quality",
        ),
    ]
    .into_iter()
    .filter(|(on, _, _)| *on)
    .map(|(_, id, name)| (id, name))
    .collect();
    if sections.len() > 1 {
        out.push_str("<nav class=\"toc\">");
        for (id, name) in sections {
            let _ = write!(out, "<a href=\"#{id}\">{name}</a>");
        }
        out.push_str("</nav>\n");
    }
    out.push_str("</header>\n<main>\n");
}

/// The time range of each dataset, read from the data summary: the first column with the
/// timestamp role that has a range on that side, as (column, first, last).
type TimeRange<'a> = Option<(&'a str, String, String)>;

pub(super) fn time_ranges(summary: Option<&DataSummary>) -> (TimeRange<'_>, TimeRange<'_>) {
    let Some(s) = summary else {
        return (None, None);
    };
    let range = |st: &ColumnStats| -> Option<(String, String)> {
        if let Some(d) = &st.datetime {
            return Some((
                format_us(d.min?, TimeShape::Naive),
                format_us(d.max?, TimeShape::Naive),
            ));
        }
        let n = st.numeric.as_ref()?;
        Some((value(n.min?), value(n.max?)))
    };
    let pick = |side: fn(&modelwatch_core::summary::ColumnSummary) -> Option<&ColumnStats>| {
        s.columns
            .iter()
            .filter(|c| c.role == ColumnRole::Timestamp)
            .find_map(|c| {
                side(c)
                    .and_then(range)
                    .map(|(a, b)| (c.column.as_str(), a, b))
            })
    };
    (pick(|c| c.reference.as_ref()), pick(|c| c.current.as_ref()))
}

/// Writes the footer, the script and the closing tags.
pub(super) fn close(out: &mut String, results: &Results) {
    let _ = writeln!(
        out,
        "</main>\n<p class=\"foot\">Made by modelwatch {} on {}; seed {}. Charts show counts computed by modelwatch; no data rows are embedded in this page.</p>\n<script>{JS}</script>\n</body></html>",
        esc(&results.meta.version),
        esc(&results.meta.generated_at),
        results.meta.seed
    );
}

/// The last component of a path, for the page title.
fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// `1234567` → `1,234,567`.
pub(super) fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
