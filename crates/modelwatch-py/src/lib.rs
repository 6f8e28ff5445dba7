//! `modelwatch._native`: the engine of the Python package. `report` and `test` take the
//! command line's arguments (built from keyword arguments by the Python side) and datasets
//! handed over as Arrow C streams, and run the same settings wiring as the `modelwatch`
//! command ([`modelwatch_cli::report_cmd::build_results_with`]), with the GIL released.
//! Errors arrive as the exceptions of `modelwatch.errors`; a panic never crosses into
//! Python.

#![warn(missing_docs)]

use std::ffi::OsString;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use arrow_array::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use clap::Parser;
use modelwatch_cli::report_cmd::{
    build_results_with, write_atomically, ArrowBatches, BuildOptions, Built, InMemory, InputArgs,
};
use modelwatch_cli::test_cmd::{checks_json, judge, Judged, TestArgs};
use modelwatch_core::results::Results;
use modelwatch_report::checks::to_junit;
use modelwatch_report::html::images::ImageGallery;
use modelwatch_report::html::{render_html_with, HtmlOptions};
use modelwatch_report::to_json;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// The arguments of `modelwatch report` without its output flags.
#[derive(Debug, Parser)]
#[command(
    name = "modelwatch.report",
    no_binary_name = true,
    disable_help_flag = true
)]
struct ReportCall {
    #[command(flatten)]
    input: InputArgs,
}

/// Which exception of `modelwatch.errors` an error becomes.
#[derive(Clone, Copy)]
enum ErrorKind {
    /// Bad settings or arguments.
    Input,
    /// Data that cannot be read or used.
    Data,
    /// A failure of the engine itself.
    Internal,
}

/// An error on its way to Python: the exception class and the CLI's one-line message.
struct Failure {
    kind: ErrorKind,
    message: String,
}

impl Failure {
    fn input(message: impl Into<String>) -> Self {
        Failure {
            kind: ErrorKind::Input,
            message: message.into(),
        }
    }

    /// The message the command prints after `error: `, and the class by what went wrong:
    /// a reader's error or a dataset that cannot be compared is about the data.
    fn from_anyhow(e: &anyhow::Error) -> Self {
        let message = modelwatch_cli::one_line(e);
        let data = e.chain().any(|c| {
            c.is::<modelwatch_io::ReadError>() || c.is::<modelwatch_cli::report_cmd::DatasetError>()
        });
        Failure {
            kind: if data {
                ErrorKind::Data
            } else {
                ErrorKind::Input
            },
            message,
        }
    }

    fn into_pyerr(self, py: Python<'_>) -> PyErr {
        let name = match self.kind {
            ErrorKind::Input => "InputError",
            ErrorKind::Data => "DataError",
            ErrorKind::Internal => "ModelwatchError",
        };
        let raised = py
            .import("modelwatch.errors")
            .and_then(|m| m.getattr(name))
            .and_then(|class| class.call1((self.message.clone(),)));
        match raised {
            Ok(exception) => PyErr::from_value(exception),
            Err(e) => e,
        }
    }
}

/// Runs `f`, turning a panic into an internal error: the interpreter never sees a panic.
fn guarded<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".into());
        Err(Failure {
            kind: ErrorKind::Internal,
            message: format!("internal error: {what}"),
        })
    })
}

/// Imports a dataset given as an object with `__arrow_c_stream__` (a pyarrow Table or
/// RecordBatchReader, a polars DataFrame, ...): the stream is moved out of its capsule, and
/// its batches are read later, without the GIL.
fn arrow_stream(data: Option<&Bound<'_, PyAny>>) -> PyResult<Option<ArrowBatches>> {
    let Some(data) = data else {
        return Ok(None);
    };
    let capsule = data.call_method0("__arrow_c_stream__")?;
    let capsule = capsule.cast::<PyCapsule>()?;
    let pointer = capsule.pointer_checked(Some(c"arrow_array_stream"))?;
    // SAFETY: a capsule named `arrow_array_stream` holds an `ArrowArrayStream` (the Arrow
    // PyCapsule interface). `from_raw` moves the stream out and leaves a released one, which
    // the capsule's destructor then leaves alone.
    let reader = unsafe {
        ArrowArrayStreamReader::from_raw(pointer.as_ptr().cast::<FFI_ArrowArrayStream>())
    }
    .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(Some(Box::new(reader)))
}

/// Parses the arguments with the command's parser: the same checks and messages.
fn parse<T: Parser>(args: Vec<String>) -> Result<T, Failure> {
    T::try_parse_from(args).map_err(|e| {
        let rendered = e.render().to_string();
        // clap's message starts with `error: ` and may add usage lines: the first line only.
        let first = rendered.lines().next().unwrap_or_default();
        Failure::input(first.trim_start_matches("error: ").to_string())
    })
}

/// A report computed in memory.
#[pyclass(module = "modelwatch._native", frozen)]
struct NativeResults {
    results: Results,
    galleries: Vec<ImageGallery>,
}

#[pymethods]
impl NativeResults {
    /// The results as the JSON `modelwatch report --json` writes.
    fn to_json(&self) -> String {
        to_json(&self.results)
    }

    /// The self-contained HTML page `modelwatch report --html` writes.
    fn to_html(&self, py: Python<'_>) -> String {
        py.detach(|| {
            let options = HtmlOptions {
                galleries: &self.galleries,
                ..HtmlOptions::default()
            };
            render_html_with(&self.results, &options)
        })
    }

    /// Writes the HTML page to `path` atomically (a temporary file renamed into place).
    fn save_html(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let html = self.to_html(py);
        py.detach(|| write_atomically(&path, html.as_bytes()))
            .map_err(|e| Failure::from_anyhow(&e).into_pyerr(py))
    }
}

/// The outcome of a test suite computed in memory, with the report it read.
#[pyclass(module = "modelwatch._native", frozen)]
struct NativeTestResults {
    judged: Judged,
}

#[pymethods]
impl NativeTestResults {
    /// The test outcomes as the JSON `modelwatch test --json` writes.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        checks_json(&self.judged.report).map_err(|e| Failure::from_anyhow(&e).into_pyerr(py))
    }

    /// The report the tests read, as the JSON `modelwatch report --json` writes.
    fn results_json(&self) -> String {
        to_json(&self.judged.built.results)
    }

    /// Whether no critical test failed (`modelwatch test` exits 0).
    fn passed(&self) -> bool {
        !self.judged.report.blocked()
    }

    /// The test outcomes as the JUnit XML `modelwatch test --junit` writes.
    fn to_junit(&self) -> String {
        to_junit(&self.judged.report, &self.judged.suite_name)
    }

    /// The HTML page `modelwatch test --html` writes: the tests on top, then the report.
    fn to_html(&self, py: Python<'_>) -> String {
        py.detach(|| {
            let options = HtmlOptions {
                checks: Some(&self.judged.report),
                galleries: &self.judged.built.galleries,
            };
            render_html_with(&self.judged.built.results, &options)
        })
    }

    /// Writes `text` to `path` atomically.
    #[staticmethod]
    fn write_file(py: Python<'_>, path: PathBuf, text: String) -> PyResult<()> {
        py.detach(|| write_atomically(&path, text.as_bytes()))
            .map_err(|e| Failure::from_anyhow(&e).into_pyerr(py))
    }
}

/// Computes a report: `args` are `modelwatch report`'s input flags (`--reference NAME
/// --current NAME ...`); `reference` / `current`, when given, are objects with
/// `__arrow_c_stream__` read in place of the files (NAME then only names them).
#[pyfunction]
#[pyo3(signature = (args, reference=None, current=None))]
fn report(
    py: Python<'_>,
    args: Vec<String>,
    reference: Option<Bound<'_, PyAny>>,
    current: Option<Bound<'_, PyAny>>,
) -> PyResult<NativeResults> {
    let memory = InMemory {
        reference: arrow_stream(reference.as_ref())?,
        current: arrow_stream(current.as_ref())?,
    };
    let built = py.detach(|| {
        guarded(|| {
            let call: ReportCall = parse(args)?;
            let options = BuildOptions {
                interactive: false,
                allow_empty_current: false,
                extra_presets: &[],
                galleries: true,
            };
            build_results_with(&call.input, options, memory).map_err(|e| Failure::from_anyhow(&e))
        })
    });
    let Built { results, galleries } = built.map_err(|f| f.into_pyerr(py))?;
    Ok(NativeResults { results, galleries })
}

/// Judges a test suite: `args` are `modelwatch test`'s flags (`--suite`, `--test-preset`
/// and the input flags); `reference` / `current` as for [`report`].
#[pyfunction]
#[pyo3(signature = (args, reference=None, current=None))]
fn test(
    py: Python<'_>,
    args: Vec<String>,
    reference: Option<Bound<'_, PyAny>>,
    current: Option<Bound<'_, PyAny>>,
) -> PyResult<NativeTestResults> {
    let memory = InMemory {
        reference: arrow_stream(reference.as_ref())?,
        current: arrow_stream(current.as_ref())?,
    };
    let judged = py.detach(|| {
        guarded(|| {
            let call: TestCall = parse(args)?;
            let mut test_args = call.test;
            // The HTML page is drawn on demand; its image examples are kept for it.
            test_args.html = Some(PathBuf::new());
            judge(&test_args, false, memory).map_err(|e| Failure::from_anyhow(&e))
        })
    });
    let judged = judged.map_err(|f| f.into_pyerr(py))?;
    Ok(NativeTestResults { judged })
}

/// The arguments of `modelwatch test`.
#[derive(Debug, Parser)]
#[command(
    name = "modelwatch.test",
    no_binary_name = true,
    disable_help_flag = true
)]
struct TestCall {
    #[command(flatten)]
    test: TestArgs,
}

/// Runs the `modelwatch` command with `argv` (the program name first), without the GIL;
/// returns its exit code.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<String>) -> u8 {
    let argv: Vec<OsString> = argv.into_iter().map(OsString::from).collect();
    py.detach(|| {
        catch_unwind(|| modelwatch_cli::run_cli(argv, false)).unwrap_or_else(|_| {
            eprintln!("error: internal error");
            2
        })
    })
}

/// The version of the engine (the workspace's version).
#[pyfunction]
fn version() -> &'static str {
    modelwatch_core::VERSION
}

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(report, m)?)?;
    m.add_function(wrap_pyfunction!(test, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_class::<NativeResults>()?;
    m.add_class::<NativeTestResults>()?;
    Ok(())
}
