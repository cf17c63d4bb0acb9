"""mlsvs.catalog."""
