"""The iris model served with FastAPI, monitored by modelwatch.

    MODELWATCH_URL=http://127.0.0.1:8080 uvicorn app:app --port 8000

`MODELWATCH_URL` unset (or empty) serves the model without monitoring;
`MODELWATCH_PROJECT` names the project (default `iris`, made by create_project.py).
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from pydantic import BaseModel

from model import predict

app = FastAPI(title="iris")


class Flower(BaseModel):
    """The four measurements of one flower, in cm."""

    sepal_length: float
    sepal_width: float
    petal_length: float
    petal_width: float


@app.post("/predict")
def predict_species(flower: Flower) -> dict[str, str]:
    """The predicted species of one flower."""
    return {"species": predict(flower.model_dump())}


@app.get("/health")
def health() -> dict[str, str]:
    """Liveness."""
    return {"status": "ok"}


if os.environ.get("MODELWATCH_URL"):
    import modelwatch.client
    import modelwatch.fastapi

    client = modelwatch.client.Client(os.environ["MODELWATCH_URL"])
    project = client.project(os.environ.get("MODELWATCH_PROJECT", "iris"))
    modelwatch.fastapi.instrument(app, project, paths="/predict", prediction="species")
