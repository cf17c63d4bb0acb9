"""Built-in checks: model_artifacts."""
