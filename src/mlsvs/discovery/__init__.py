"""mlsvs.discovery."""
