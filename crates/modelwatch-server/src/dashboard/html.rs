//! HTML building blocks of the dashboard: escaping, URL encoding, number and time
//! formatting, and the page frame (styles for light and dark mode, the small script for
//! auto-refresh, range picking and the column picker).

use std::fmt::Write;

/// Escapes text for HTML element content and quoted attribute values, with the report's
/// escape ([`modelwatch_report::html::esc`]).
pub fn esc(text: &str) -> String {
    modelwatch_report::html::esc(text).to_string()
}

/// Percent-encodes a URL path segment or query value: everything but the unreserved
/// characters of RFC 3986.
pub fn pct(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space); invalid escapes
/// stay as they are.
pub fn pct_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The fields of a urlencoded form body or query string.
pub fn form_fields(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (pct_decode(k), pct_decode(v)),
            None => (pct_decode(p), String::new()),
        })
        .collect()
}

/// A number for a table cell or a tooltip: a few significant digits, `–` when absent.
pub fn num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => {
            let a = v.abs();
            if a == 0.0 {
                "0".into()
            } else if a >= 1000.0 {
                format!("{v:.0}")
            } else if a >= 10.0 {
                format!("{v:.1}")
            } else if a >= 0.001 {
                trim_zeros(format!("{v:.3}"))
            } else {
                format!("{v:.1e}")
            }
        }
        _ => "–".into(),
    }
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A share as a percentage (`37.5%`), `–` when absent.
pub fn percent(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => trim_zeros(format!("{:.1}", v * 100.0)) + "%",
        _ => "–".into(),
    }
}

/// RFC 3339 in UTC with microseconds; times outside 1970 to 9999 are clamped to those
/// years (the formatter accepts no others).
pub fn rfc3339(us: i64) -> String {
    modelwatch_core::time::format_us(
        us.clamp(0, 253_402_300_799_999_999),
        modelwatch_core::time::TimeShape::Micros,
    )
}

/// A UTC time as `2024-05-01 08:02:27`.
pub fn time(us: i64) -> String {
    let s = rfc3339(us);
    // 2024-05-01T08:02:27.000000Z
    s.get(..19).map_or(s.clone(), |t| t.replace('T', " "))
}

/// A UTC time as `08:02` (or `05-01 08:02` when `with_date`), for chart axes.
pub fn short_time(us: i64, with_date: bool, with_seconds: bool) -> String {
    let s = rfc3339(us);
    let (date, clock) = (s.get(5..10).unwrap_or(""), s.get(11..19).unwrap_or(""));
    let clock = if with_seconds {
        clock
    } else {
        clock.get(..5).unwrap_or(clock)
    };
    if with_date {
        format!("{date} {clock}")
    } else {
        clock.to_string()
    }
}

/// An age such as `12s`, `5m`, `3h`, `2d`.
pub fn age(seconds: f64) -> String {
    let s = seconds.max(0.0);
    if s < 90.0 {
        format!("{s:.0}s")
    } else if s < 90.0 * 60.0 {
        format!("{:.0}m", s / 60.0)
    } else if s < 36.0 * 3600.0 {
        format!("{:.0}h", s / 3600.0)
    } else {
        format!("{:.0}d", s / 86400.0)
    }
}

/// A whole page: `title` (already plain text, escaped here), the `body` HTML, and the
/// auto-refresh period in seconds (0: none).
pub fn page(base: &str, title: &str, refresh_seconds: u64, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"color-scheme\" content=\"light dark\">\
<title>{title} · modelwatch</title><style>{STYLE}{gallery}</style></head>\
<body data-refresh=\"{refresh_seconds}\">\
<header class=\"top\"><a class=\"brand\" href=\"{home}\">modelwatch</a>{toggle}</header>\
<main>{body}</main><script>{SCRIPT}</script></body></html>\n",
        title = esc(title),
        gallery = modelwatch_report::html::images::GALLERY_CSS,
        home = esc(&super::home(base)),
        toggle = if refresh_seconds > 0 {
            format!(
                "<label class=\"refresh\"><input type=\"checkbox\" id=\"auto-refresh\" checked> \
                 refresh every {refresh_seconds}s</label>"
            )
        } else {
            String::new()
        },
    )
}

const STYLE: &str = r#"
:root{--bg:#fff;--fg:#1d2330;--muted:#5d6675;--line:#dde1e8;--card:#f6f7f9;--accent:#2357c6;
--bad:#c62828;--warn:#a86200;--good:#2e7d32;--grid:#e6e9ee;
--s0:#2357c6;--s1:#d9480f;--s2:#2b8a3e;--s3:#9c36b5;--s4:#0b7285;--s5:#c2255c;--s6:#5c940d;--s7:#e67700;--s8:#495057;--s9:#1864ab}
@media (prefers-color-scheme: dark){:root{--bg:#14171c;--fg:#e3e6eb;--muted:#9aa3b2;--line:#2d333d;
--card:#1c2027;--accent:#7aa2ff;--bad:#ff6b6b;--warn:#ffb84d;--good:#69db7c;--grid:#262b33;
--s0:#7aa2ff;--s1:#ff8c5a;--s2:#69db7c;--s3:#da77f2;--s4:#3bc9db;--s5:#f783ac;--s6:#a9e34b;--s7:#ffc078;--s8:#ced4da;--s9:#74c0fc}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent)}
header.top{display:flex;align-items:center;gap:1rem;padding:.6rem 1.2rem;border-bottom:1px solid var(--line)}
.brand{font-weight:700;text-decoration:none;color:var(--fg)}
.refresh{margin-left:auto;color:var(--muted);font-size:.9em}
main{padding:1rem 1.2rem;max-width:1200px;margin:0 auto}
h1{font-size:1.4rem;margin:.2rem 0 .8rem;overflow-wrap:anywhere}
h2{font-size:1.05rem;margin:0 0 .4rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:.9em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.name{overflow-wrap:anywhere;max-width:28rem}
.badge{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.85em;font-weight:600;border:1px solid currentColor}
.bad{color:var(--bad)}.warn{color:var(--warn)}.good{color:var(--good)}.muted{color:var(--muted)}
#multivariate td.yes{color:var(--bad);font-weight:600}#multivariate td.no{color:var(--good)}#multivariate td.err{color:var(--muted)}#multivariate h3{font-size:1.05rem;margin:0 0 .4rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.7rem .8rem}
.wide{grid-column:1/-1}
.toolbar{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.3rem 0 1rem}
.toolbar a.on{font-weight:700;text-decoration:none;color:var(--fg)}
.button{display:inline-block;padding:.25rem .7rem;border:1px solid var(--accent);border-radius:.35rem;text-decoration:none;background:transparent;color:var(--accent);font:inherit;cursor:pointer}
input,select{font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--line);border-radius:.3rem;padding:.15rem .3rem}
svg.chart{width:100%;height:auto;display:block}
svg.chart text{fill:var(--muted);font-size:11px}
svg.chart .grid{stroke:var(--grid);stroke-width:1}
svg.chart .axis{stroke:var(--line)}
svg.chart .threshold{stroke:var(--bad);stroke-dasharray:5 4;stroke-width:1.5}
svg.chart .threshold-label{fill:var(--bad)}
svg.chart polyline{fill:none;stroke-width:2}
svg.chart .off{display:none}
.empty-chart{color:var(--muted);padding:2rem 0;text-align:center}
.legend{display:flex;flex-wrap:wrap;gap:.2rem .9rem;font-size:.9em;margin-top:.3rem}
.legend label{overflow-wrap:anywhere}
.sw{display:inline-block;width:.8em;height:.8em;border-radius:.2em;margin-right:.3em;vertical-align:-.05em}
.meta{color:var(--muted);margin:.2rem 0 .8rem}
form.login{max-width:24rem;display:grid;gap:.6rem}
"#;

const SCRIPT: &str = r#"
(function(){
  var body=document.body, period=+body.getAttribute('data-refresh')||0, box=document.getElementById('auto-refresh'), timer=null;
  function arm(){ if(timer){clearTimeout(timer);timer=null;} if(period>0&&box&&box.checked){ timer=setTimeout(function(){location.reload();},period*1000);} }
  if(box){ try{ if(sessionStorage.getItem('mw-refresh')==='off'){box.checked=false;} }catch(e){}
    box.addEventListener('change',function(){ try{sessionStorage.setItem('mw-refresh',box.checked?'on':'off');}catch(e){} arm(); }); }
  arm();
  // Column picker: the picked columns live in the URL's #cols= so refreshes keep them.
  var picks=document.querySelectorAll('input.pick');
  function applyPicks(){ var on=[];
    for(var i=0;i<picks.length;i++){ var k=picks[i].getAttribute('data-key');
      var lines=document.querySelectorAll('g.series[data-key="'+k+'"]');
      for(var j=0;j<lines.length;j++){ lines[j].classList.toggle('off',!picks[i].checked); }
      if(picks[i].checked){on.push(k.slice(1));} }
    return on; }
  if(picks.length){
    var m=/cols=([0-9,]*)/.exec(location.hash);
    if(m){ var want=','+m[1]+','; for(var i=0;i<picks.length;i++){ picks[i].checked=want.indexOf(','+picks[i].getAttribute('data-key').slice(1)+',')>=0; } }
    applyPicks();
    for(var i=0;i<picks.length;i++){ picks[i].addEventListener('change',function(){ var on=applyPicks(); history.replaceState(null,'','#cols='+on.join(',')); }); }
  }
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(esc("模型 ü"), "模型 ü");
    }

    #[test]
    fn percent_encoding_round_trips() {
        let name = "fraud \"v2\" </script>/ü\\模型 a+b%";
        let enc = pct(name);
        assert!(enc
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
        assert_eq!(pct_decode(&enc), name);
        assert_eq!(pct_decode("a+b%2"), "a b%2");
        assert_eq!(
            form_fields("token=ab%26c&next=%2Fx"),
            vec![
                ("token".into(), "ab&c".into()),
                ("next".into(), "/x".into())
            ]
        );
    }

    #[test]
    fn numbers_and_times() {
        assert_eq!(num(Some(0.12345)), "0.123");
        assert_eq!(num(Some(f64::NAN)), "–");
        assert_eq!(num(None), "–");
        assert_eq!(num(Some(1234.5)), "1234");
        assert_eq!(percent(Some(0.375)), "37.5%");
        assert_eq!(time(0), "1970-01-01 00:00:00");
        assert_eq!(short_time(90_000_000, false, false), "00:01");
        assert_eq!(age(30.0), "30s");
        assert_eq!(age(600.0), "10m");
        assert_eq!(age(7200.0), "2h");
    }
}
