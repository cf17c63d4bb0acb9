"""mlsvs.modeltest."""
