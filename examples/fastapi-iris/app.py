"""The iris model served with FastAPI, monitored by modelwatch.

    MODELWATCH_URL=http://127.0.0.1:8080 uvicorn app:app --port 8000

`MODELWATCH_URL` unset (or empty) serves the model without monitoring;
`MODELWATCH_PROJECT` names the project (default `iris`, made by create_project.py);
`MODELWATCH_QUEUE_SIZE` bounds the events waiting to be sent. `GET /monitoring` shows
the logging's counters (how many events were sent, dropped, are queued).
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from model import predict
from pydantic import BaseModel

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
    import dataclasses

    import modelwatch.client
    import modelwatch.fastapi

    client = modelwatch.client.Client(os.environ["MODELWATCH_URL"])
    project = client.project(
        os.environ.get("MODELWATCH_PROJECT", "iris"),
        queue_size=int(os.environ.get("MODELWATCH_QUEUE_SIZE", "10000")),
    )
    modelwatch.fastapi.instrument(app, project, paths="/predict", prediction="species")

    @app.get("/monitoring")
    def monitoring() -> dict[str, object]:
        """The logging's counters: queued, sent, dropped, rejected, ..."""
        return dataclasses.asdict(project.stats())
