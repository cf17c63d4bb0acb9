"""mlsvs.codescan."""
