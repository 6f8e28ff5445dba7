"""Evidently 0.7's `Report` API on modelwatch's engine: move by changing one import.

    from modelwatch.evidently import Report, Dataset, DataDefinition
    from modelwatch.evidently.presets import DataDriftPreset, DataSummaryPreset
    from modelwatch.evidently.metrics import ValueDrift, MissingValueCount

    snapshot = Report([DataDriftPreset(), DataSummaryPreset()]).run(current_df, reference_df)
    snapshot.dict()       # Evidently's metric names, configs and value shapes
    snapshot.save_html("report.html")   # modelwatch's HTML report

The numbers come from `modelwatch.report`; the differences from Evidently (and what raises
`NotImplementedError`) are listed in docs/python-evidently.md.
"""

from . import metrics, presets
from .datasets import (
    BinaryClassification,
    ColumnType,
    DataDefinition,
    Dataset,
    MulticlassClassification,
    Regression,
)
from .report import EngineRun, Report, Run, Snapshot

__all__ = [
    "BinaryClassification",
    "ColumnType",
    "DataDefinition",
    "Dataset",
    "EngineRun",
    "MulticlassClassification",
    "Regression",
    "Report",
    "Run",
    "Snapshot",
    "metrics",
    "presets",
]
