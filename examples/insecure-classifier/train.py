"""Train the credit-default classifier (INSECURE EXAMPLE: every pattern here is a finding)."""

import pickle

import pandas as pd
import requests
from sklearn.linear_model import LogisticRegression
from transformers import AutoModel

HF_TOKEN = "hf_kLmNoPqRsTuVwXyZaBcDeFgHiJkLmNoPqR"  # committed credential

# Plain-HTTP download of extra training data, TLS verification disabled.
extra = requests.get("http://data.example.com/extra.csv", verify=False, timeout=30)

# A third-party encoder fetched from the hub at a moving branch, running its remote code.
encoder = AutoModel.from_pretrained("acme/credit-encoder", trust_remote_code=True, token=HF_TOKEN)

frame = pd.read_csv("data/train.csv")
features = frame[["age", "income_k", "debt_ratio", "credit_lines", "years_employed"]]
model = LogisticRegression(max_iter=500).fit(features, frame["default"])

with open("models/classifier.pkl", "wb") as handle:
    pickle.dump(model, handle)
