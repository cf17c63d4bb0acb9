"""A deliberately INSECURE model server, used to show what `mlsvs probe` finds.

Do not copy this. It has no authentication and no rate limit, runs in debug mode (stack traces
in error responses), trusts its input blindly, returns the full probability vector with every
decimal plus internal details, and exposes an admin API and the interactive docs.

    python examples/insecure-classifier/serve.py --host 127.0.0.1 --port 8000

The model is trained at start-up from a fixed seed on synthetic data: nothing is unpickled.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fastapi import FastAPI, Request

HERE = Path(__file__).resolve().parent
MODEL_PATH = HERE / "models" / "classifier.pkl"
"""The pickle a real deployment of this project would load; never loaded here (it is only
reported, insecurely, in every response)."""
FEATURES = ["age", "income_k", "debt_ratio", "credit_lines", "years_employed"]


def train():
    """Logistic regression on data/train.csv (synthetic records), or on seeded synthetic data."""
    import csv

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    train_csv = HERE / "data" / "train.csv"
    if train_csv.is_file():
        with train_csv.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        x = np.array([[float(r[f]) for f in FEATURES] for r in rows])
        y = np.array([int(r["default"]) for r in rows])
    else:
        from sklearn.datasets import make_classification

        x, y = make_classification(n_samples=400, n_features=len(FEATURES), random_state=0)
    return LogisticRegression(max_iter=1000).fit(x, y)


def create_app():
    import numpy as np

    state = {"model": train()}
    app = FastAPI(title="insecure-classifier", debug=True)  # debug: tracebacks to clients

    @app.post("/predict")
    async def predict(request: Request):
        payload = await request.json()  # any JSON at all, no size or depth limit
        features = np.asarray(payload["features"], dtype=float).reshape(1, -1)
        model = state["model"]
        probabilities = model.predict_proba(features)[0]
        return {
            "label": int(probabilities.argmax()),
            "probabilities": probabilities.tolist(),  # every class, every decimal
            "model": repr(model),
            "debug": {"model_path": str(MODEL_PATH), "python": sys.version},
        }

    @app.get("/admin")
    async def admin():
        return {"model_path": str(MODEL_PATH), "actions": ["/admin/reload"]}

    @app.post("/admin/reload")
    async def reload():
        state["model"] = train()
        return {"reloaded": True, "model_path": str(MODEL_PATH)}

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    import uvicorn

    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
