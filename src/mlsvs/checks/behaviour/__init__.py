"""Built-in checks: behaviour."""
