"""Create the `iris` project on a modelwatch server from the training data.

python create_project.py http://127.0.0.1:8080
"""

from __future__ import annotations

import sys
from pathlib import Path

import modelwatch.client
import pandas as pd
from model import predict

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
train = pd.read_csv(Path(__file__).parent.parent / "iris" / "reference.csv")
train["prediction"] = [predict(row) for row in train.to_dict("records")]

client = modelwatch.client.Client(url)
client.create_project(
    "iris", reference=train, target="species", prediction="prediction"
)
print(f"project iris created: {url}/projects/iris")
