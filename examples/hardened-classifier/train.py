"""Train and export the classifier: ONNX only, digests recorded (see examples/build.py)."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from skl2onnx import to_onnx
from sklearn.linear_model import LogisticRegression

FEATURES = ["age", "income_k", "debt_ratio", "credit_lines", "years_employed"]

frame = pd.read_csv("data/train.csv")
model = LogisticRegression(C=0.5, max_iter=500).fit(frame[FEATURES], frame["default"])
onnx_model = to_onnx(
    model,
    frame[FEATURES].to_numpy(np.float32)[:1],
    options={id(model): {"zipmap": False}},
    target_opset=17,
)
out = Path("models/classifier.onnx")
out.write_bytes(onnx_model.SerializeToString())
print(out, hashlib.sha256(out.read_bytes()).hexdigest())
