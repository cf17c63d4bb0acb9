"""mlsvs.engine."""
