"""Built-in checks: documentation."""
