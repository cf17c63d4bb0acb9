"""mlsvs.render."""
