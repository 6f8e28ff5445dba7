"""`modelwatch.test`: per-test outcomes, pass/fail, JUnit and JSON as the command's."""

from __future__ import annotations

import json
import re

import modelwatch
from conftest import run_command


def write_suite(tmp_path, body):
    suite = tmp_path / "suite.toml"
    suite.write_text(body)
    return suite


def test_preset_passes_on_similar_data(reference_df):
    same = reference_df.sample(frac=1.0, random_state=0)
    outcome = modelwatch.test(reference_df, same, presets=["data_drift"])
    assert outcome.passed and bool(outcome)
    assert outcome.summary["failed"] == 0
    assert all(t["status"] in ("SUCCESS", "WARNING") for t in outcome.tests)
    assert "passed" in repr(outcome)


def test_a_failing_suite_fails_and_names_the_test(tmp_path, reference_df, current_df):
    suite = write_suite(
        tmp_path,
        '[[tests]]\nmetric = "column.drift_score"\ncolumn = "x"\ngt = 0.05\n',
    )
    outcome = modelwatch.test(reference_df, current_df, suite=suite)
    assert not outcome.passed
    assert [t["status"] for t in outcome.tests] == ["FAIL"]
    assert outcome.failed_tests[0]["column"] == "x"
    junit = outcome.to_junit()
    assert "<failure" in junit and 'failures="1"' in junit
    path = tmp_path / "junit.xml"
    outcome.save_junit(path)
    assert path.read_text() == junit
    assert outcome.results.columns["x"]["drifted"] is True


def test_same_json_and_junit_as_the_command(tmp_path, reference_df, current_df):
    ref, cur = tmp_path / "r.parquet", tmp_path / "c.parquet"
    reference_df.to_parquet(ref, index=False)
    current_df.to_parquet(cur, index=False)
    out, junit = tmp_path / "t.json", tmp_path / "t.xml"
    done = run_command(
        [
            "test",
            "--reference",
            str(ref),
            "--current",
            str(cur),
            "--test-preset",
            "data_drift",
            "--json",
            str(out),
            "--junit",
            str(junit),
            "-q",
        ]
    )
    outcome = modelwatch.test(reference_df, current_df, presets=["data_drift"])
    assert done.returncode == (0 if outcome.passed else 1)
    assert outcome.to_dict() == json.loads(out.read_text())
    timeless = lambda s: re.sub(r'time="[^"]*"', "", s)
    assert timeless(outcome.to_junit()) == timeless(junit.read_text())


def test_nothing_to_test_is_an_input_error(reference_df):
    try:
        modelwatch.test(reference_df, reference_df)
    except modelwatch.InputError as e:
        assert "nothing to test" in str(e)
    else:  # pragma: no cover
        raise AssertionError("expected an InputError")


def test_html_of_the_tests(tmp_path, reference_df, current_df):
    outcome = modelwatch.test(reference_df, current_df, presets=["data_drift"])
    page = tmp_path / "t.html"
    outcome.save_html(page)
    assert page.read_text() == outcome.to_html()
    assert outcome._repr_html_().startswith("<iframe")
