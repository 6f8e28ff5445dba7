//! `modelwatch test`: compute the report, judge a suite of conditions on it, exit 0 when
//! every critical test passes and 1 when one fails (2 on bad input, from `main`).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use modelwatch_core::checks::{presets, run_checks, CheckReport, Spanned, Suite, SuiteError};
use modelwatch_core::results::Preset;
use modelwatch_report::checks::{render_checks, to_junit};
use modelwatch_report::html::{render_html_with, HtmlOptions};

use crate::report_cmd::{
    build_results_with, print_text, terminal_style, write_atomically, write_json, BuildOptions,
    Built, InMemory, InputArgs,
};

/// The arguments of `test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The test suite (TOML: `preset = [...]` and `[[tests]]`; see docs/tests.md).
    #[arg(long, value_name = "FILE")]
    pub suite: Option<PathBuf>,
    /// Presets of derived conditions to run, in addition to the suite's (e.g. data_drift).
    #[arg(long, value_delimiter = ',', value_name = "PRESETS")]
    pub test_preset: Vec<String>,
    /// Write the test outcomes as JSON to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub json: Option<String>,
    /// Write the test outcomes as JUnit XML to FILE, for CI systems.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a self-contained HTML report to FILE: the test results on top, then the
    /// sections of the presets that ran.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Print nothing but errors (files are still written).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Reads a suite file; a malformed file is one line naming the file and the line.
fn load_suite(path: &Path) -> anyhow::Result<(Suite, String)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the suite", path.display()))?;
    match toml::from_str::<Suite>(&text) {
        Ok(suite) => Ok((suite, text)),
        Err(e) => {
            let err = SuiteError {
                span: e.span(),
                message: e.message().replace('\n', " "),
            };
            Err(suite_error(path, &text, &err))
        }
    }
}

fn suite_error(path: &Path, text: &str, e: &SuiteError) -> anyhow::Error {
    match e.line(text) {
        Some(line) => anyhow::anyhow!("{}: line {line}: {}", path.display(), e.message),
        None => anyhow::anyhow!("{}: {}", path.display(), e.message),
    }
}

/// What [`judge`] computed: the report and the outcome of every test on it.
pub struct Judged {
    /// The report the tests read, and its example images.
    pub built: Built,
    /// The outcome of every test.
    pub report: CheckReport,
    /// The name of the JUnit test suite: `modelwatch test` and the suite file.
    pub suite_name: String,
}

/// Loads the suite and the test presets, computes the report (from the files, or from the
/// datasets in `memory`) and judges every test on it.
pub fn judge(args: &TestArgs, interactive: bool, memory: InMemory) -> anyhow::Result<Judged> {
    let (mut suite, text, suite_path) = match &args.suite {
        Some(p) => {
            let (suite, text) = load_suite(p)?;
            (suite, text, p.clone())
        }
        None => (
            Suite::default(),
            String::new(),
            PathBuf::from("--test-preset"),
        ),
    };
    for name in &args.test_preset {
        if presets::preset(name).is_none() {
            bail!(
                "--test-preset: unknown preset `{name}` (known: {})",
                presets::names().join(", ")
            );
        }
        suite.preset.push(Spanned::new(0..0, name.clone()));
    }
    if args.suite.is_none() && args.test_preset.is_empty() {
        bail!("nothing to test: give --suite FILE and/or --test-preset PRESETS");
    }
    // Names, operators and values are checked before the data is read.
    suite
        .validate()
        .map_err(|e| suite_error(&suite_path, &text, &e))?;

    // Compute the parts of the report the suite reads, besides the ones --preset asks for.
    let needed: Vec<Preset> = suite
        .sections()
        .into_iter()
        .filter_map(|s| Preset::from_name(s).ok())
        .collect();

    let built = build_results_with(
        &args.input,
        BuildOptions {
            interactive,
            allow_empty_current: true,
            extra_presets: &needed,
            galleries: args.html.is_some(),
        },
        memory,
    )?;
    let value = serde_json::to_value(&built.results).context("cannot serialize the results")?;
    let checks = suite
        .compile(&value)
        .map_err(|e| suite_error(&suite_path, &text, &e))?;
    let report = run_checks(&checks, &value);
    let suite_name = match &args.suite {
        Some(p) => format!("modelwatch test {}", p.display()),
        None => "modelwatch test".to_string(),
    };
    Ok(Judged {
        built,
        report,
        suite_name,
    })
}

/// The test outcomes as the JSON `--json` writes.
pub fn checks_json(report: &CheckReport) -> anyhow::Result<String> {
    let mut json = serde_json::to_string_pretty(report).context("cannot serialize the tests")?;
    json.push('\n');
    Ok(json)
}

/// Runs `test`: exit code 0 when every critical test passes, 1 when one fails.
pub fn run(args: TestArgs) -> anyhow::Result<ExitCode> {
    let json_to_stdout = args.json.as_deref() == Some("-");
    let interactive = std::io::stderr().is_terminal() && !args.quiet;
    let Judged {
        built: Built { results, galleries },
        report,
        suite_name,
    } = judge(&args, interactive, InMemory::default())?;

    write_json(args.json.as_deref(), &checks_json(&report)?)?;
    if let Some(path) = &args.junit {
        write_atomically(path, to_junit(&report, &suite_name).as_bytes())?;
    }
    if let Some(path) = &args.html {
        let options = HtmlOptions {
            checks: Some(&report),
            galleries: &galleries,
        };
        write_atomically(path, render_html_with(&results, &options).as_bytes())?;
    }

    if !args.quiet {
        let text = render_checks(&report, terminal_style(json_to_stdout));
        print_text(&text, json_to_stdout);
    }
    Ok(if report.blocked() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
