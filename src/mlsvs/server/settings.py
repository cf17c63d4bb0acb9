"""Server settings (from the command line; no project configuration can set them)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_UPLOAD = 32 * 1024 * 1024
DEFAULT_MAX_EVIDENCE = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Where the data lives and the bounds the server enforces."""

    database: str
    """SQLite file path / ``sqlite:///…`` or ``postgresql://…``."""
    data_dir: Path
    """Evidence blobs (content-addressed) and the session secret."""
    secret_key: str
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    max_evidence_bytes: int = DEFAULT_MAX_EVIDENCE
    secure_cookies: bool = False
    """Mark the session cookie ``Secure`` (set it behind HTTPS)."""
    login_attempts: int = 5
    login_window_s: float = 300.0

    @property
    def blob_dir(self) -> Path:
        """Evidence files, stored as ``blobs/ab/abcdef…`` by SHA-256."""
        return self.data_dir / "blobs"


def load_secret(data_dir: Path) -> str:
    """``MLSVS_SERVER_SECRET``, else ``DATA_DIR/secret.key`` (created 0600 on first use)."""
    env = os.environ.get("MLSVS_SERVER_SECRET")
    if env:
        return env
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


def default_settings(
    database: str | None = None, data_dir: Path | None = None, **extra: object
) -> Settings:
    """Settings with the defaults: ``./mlsvs-server/`` holding ``mlsvs.db`` and the blobs."""
    base = (data_dir or Path("mlsvs-server")).resolve()
    base.mkdir(parents=True, exist_ok=True)
    return Settings(
        database=database or str(base / "mlsvs.db"),
        data_dir=base,
        secret_key=load_secret(base),
        **extra,  # type: ignore[arg-type]
    )
