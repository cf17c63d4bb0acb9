"""Public Python API."""
