"""mlsvs.probes."""
