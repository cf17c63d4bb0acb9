"""``mlsvs server``: the assessment service.

Every ML system's level over time, run-to-run diffs, the auditor's workflow with four-eyes
sign-off and attestation export, on SQLite by default and PostgreSQL in production. Importing
this package is cheap; FastAPI, SQLAlchemy and Alembic are imported by the modules that need
them.
"""

from __future__ import annotations
