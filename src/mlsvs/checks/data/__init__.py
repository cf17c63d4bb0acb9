"""Built-in checks: data."""
