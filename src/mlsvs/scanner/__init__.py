"""mlsvs.scanner."""
