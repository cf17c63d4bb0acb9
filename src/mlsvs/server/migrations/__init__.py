"""Alembic migrations of the server database (run by ``mlsvs server migrate`` and at start)."""
