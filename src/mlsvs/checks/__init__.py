"""mlsvs.checks."""
