"""Batch scoring job (INSECURE EXAMPLE)."""

import pickle

import numpy as np
import torch
import yaml

with open("config.yaml") as handle:
    settings = yaml.load(handle, Loader=yaml.Loader)

with open("models/classifier.pkl", "rb") as handle:
    classifier = pickle.load(handle)

embedder = torch.load("models/embedder.pt")
cached = np.load("cache/features.npy", allow_pickle=True)

rule = classifier.predict(cached)
eval(str(rule[0]))
