"""``python -m mlsvs``."""

from __future__ import annotations

import sys

from mlsvs.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
