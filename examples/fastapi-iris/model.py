"""The iris model of the example: nearest class centroid over the four measurements.

Deterministic and dependency-free, so the example and its tests need no training step;
the centroids are the class means of the Iris data (examples/iris/reference.csv).
"""

from __future__ import annotations

FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")

CENTROIDS = {
    "setosa": (5.006, 3.428, 1.462, 0.246),
    "versicolor": (5.936, 2.770, 4.260, 1.326),
    "virginica": (6.588, 2.974, 5.552, 2.026),
}


def predict(row: dict[str, float]) -> str:
    """The species whose centroid is nearest to the row (squared Euclidean distance)."""
    values = [float(row[name]) for name in FEATURES]

    def distance(species: str) -> float:
        return sum((v - c) ** 2 for v, c in zip(values, CENTROIDS[species]))

    return min(CENTROIDS, key=distance)
