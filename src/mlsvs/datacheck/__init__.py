"""mlsvs.datacheck."""
