"""Built-in checks: endpoints."""
