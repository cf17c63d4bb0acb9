"""Checks over CI/CD definitions, ML metadata (MLflow, DVC, provenance) and serving code."""
