"""Errors arrive as `ModelwatchError`s with the command line's messages."""

from __future__ import annotations

import modelwatch
import pandas as pd
import pyarrow as pa
import pytest
from conftest import run_command
from modelwatch import DataError, InputError, ModelwatchError


def command_error(tmp_path, reference, current, *flags):
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    reference.to_parquet(ref, index=False)
    current.to_parquet(cur, index=False)
    done = run_command(
        ["report", "--reference", str(ref), "--current", str(cur), "-q", *flags]
    )
    assert done.returncode == 2
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("error: ")
    return line[len("error: ") :]


@pytest.mark.parametrize(
    "kwargs, flags, fragment",
    [
        ({"target": "species"}, ["--target", "species"], "`species`"),
        (
            {"column_method": {"x": "nope"}},
            ["--column-method", "x=nope"],
            "unknown drift method",
        ),
        ({"method": "ks2"}, ["--method", "ks2"], "--method"),
        ({"presets": ["drift", "nope"]}, ["--preset", "drift,nope"], "nope"),
        ({"drift_share": 1.5}, ["--drift-share", "1.5"], "--drift-share"),
        (
            {"column_threshold": {"x": "abc"}},
            ["--column-threshold", "x=abc"],
            "not a number",
        ),
    ],
)
def test_bad_settings_are_input_errors_with_the_commands_message(
    tmp_path, reference_df, current_df, kwargs, flags, fragment
):
    with pytest.raises(InputError) as raised:
        modelwatch.report(reference_df, current_df, **kwargs)
    assert fragment in str(raised.value)
    assert not isinstance(raised.value, DataError)
    assert str(raised.value) == command_error(
        tmp_path, reference_df, current_df, *flags
    )


def test_an_empty_frame_is_a_data_error(reference_df, current_df):
    with pytest.raises(DataError, match=r"^current: no data rows"):
        modelwatch.report(reference_df, current_df.iloc[:0])
    with pytest.raises(DataError, match=r"^reference: no data rows"):
        modelwatch.report(reference_df.iloc[:0], current_df)


def test_frames_without_a_common_column(reference_df):
    other = pd.DataFrame({"q": [1.0, 2.0, 3.0]})
    with pytest.raises(
        DataError, match="reference and current have no column in common"
    ):
        modelwatch.report(reference_df, other)


def test_a_column_of_an_unsupported_type_is_named():
    reference = pa.table({"x": [1.0, 2.0], "s": pa.array([{"a": 1}, {"a": 2}])})
    with pytest.raises(DataError, match=r'^reference: column "s" has unsupported type'):
        modelwatch.report(reference, reference)


def test_mismatched_types_are_reported_per_column(reference_df, current_df):
    # A numerical column whose current values are text is not tested: the column says why,
    # the rest of the report still runs (as on the command line).
    current = current_df.assign(x=current_df["x"].map(lambda v: f"{v:.2f}!"))
    results = modelwatch.report(reference_df, current)
    x = results.columns["x"]
    assert x["error"] is not None
    assert results.columns["y"]["error"] is None


def test_a_missing_file_names_it(tmp_path, current_df):
    missing = tmp_path / "nothing.csv"
    with pytest.raises(DataError, match="nothing.csv: cannot read"):
        modelwatch.report(missing, current_df)


def test_wrong_argument_types_are_type_errors(reference_df):
    with pytest.raises(TypeError, match="reference: expected a DataFrame"):
        modelwatch.report(42, reference_df)
    with pytest.raises(TypeError, match="column_method: expected a dict"):
        modelwatch.report(reference_df, reference_df, column_method=["x=ks"])
    with pytest.raises(TypeError):
        modelwatch.report(reference_df, reference_df, not_a_setting=1)  # type: ignore[call-arg]


def test_the_hierarchy():
    assert issubclass(InputError, ModelwatchError)
    assert issubclass(InputError, ValueError)
    assert issubclass(DataError, InputError)
    assert modelwatch.ModelwatchError is ModelwatchError
