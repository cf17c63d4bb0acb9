"""Built-in checks: code."""
