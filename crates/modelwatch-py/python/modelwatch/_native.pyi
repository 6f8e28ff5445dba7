"""Type stubs of the extension module ``modelwatch._native`` (the Rust engine)."""

from typing import Any, List, Optional

class NativeResults:
    """A report computed in memory."""

    def to_json(self) -> str:
        """The results as the JSON ``modelwatch report --json`` writes."""
    def to_html(self) -> str:
        """The self-contained HTML page ``modelwatch report --html`` writes."""
    def save_html(self, path: str) -> None:
        """Writes the HTML page to ``path`` atomically."""

class NativeTestResults:
    """The outcome of a test suite computed in memory, with the report it read."""

    def to_json(self) -> str:
        """The test outcomes as the JSON ``modelwatch test --json`` writes."""
    def results_json(self) -> str:
        """The report the tests read, as the JSON ``modelwatch report --json`` writes."""
    def passed(self) -> bool:
        """Whether no critical test failed (``modelwatch test`` exits 0)."""
    def to_junit(self) -> str:
        """The test outcomes as the JUnit XML ``modelwatch test --junit`` writes."""
    def to_html(self) -> str:
        """The HTML page ``modelwatch test --html`` writes."""
    @staticmethod
    def write_file(path: str, text: str) -> None:
        """Writes ``text`` to ``path`` atomically."""

def report(
    args: List[str], reference: Optional[Any] = None, current: Optional[Any] = None
) -> NativeResults:
    """Computes a report from ``modelwatch report``'s input flags; ``reference`` /
    ``current`` are objects with ``__arrow_c_stream__`` read in place of the files."""

def test(
    args: List[str], reference: Optional[Any] = None, current: Optional[Any] = None
) -> NativeTestResults:
    """Judges a test suite from ``modelwatch test``'s flags."""

def run_cli(argv: List[str]) -> int:
    """Runs the ``modelwatch`` command (program name first); returns its exit code."""

def version() -> str:
    """The engine's version."""
