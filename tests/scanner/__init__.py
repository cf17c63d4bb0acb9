"""Tests of the model-file scanner (mlsvs scan)."""
