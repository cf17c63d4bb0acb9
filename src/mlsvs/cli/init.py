"""``mlsvs init``: write a commented starter ``mlsvs.toml``. Asks nothing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

TEMPLATE = """\
# mlsvs configuration: what the system is, what level it targets, what checks may do.
# Reference: https://github.com/ (see docs/configuration.md in the mlsvs repository)

name = "{name}"
# Target level: L1 (baseline), L2 (exposed models, personal data), L3 (high assurance).
level = "L1"

# Applicability traits: declare every one that is true; requirements tagged with a trait
# you do not declare are reported as not applicable (and the report echoes your claim).
#   uses_third_party_model  trains_in_house  personal_data  exposes_inference_api
#   returns_scores  online_learning  federated  edge_deployment  physical_inputs
#   genai  hosted_model_api
traits = []

# Paths (globs, relative to this file) to leave out of discovery.
exclude = []

# Where signed-off attestations live (mlsvs attest template REQ-ID writes one).
attestations = ["attestations"]

# Capabilities the checks of this project need: "network" (probe the declared endpoints),
# "model-exec" (load the model under test in a separate process). Recorded here as a request
# only: whoever runs mlsvs grants them with --allow (a file never grants them by itself).
allow = []

# [[endpoints]]                       # inference endpoints to probe (needs --allow network)
# name = "predict"
# url = "http://127.0.0.1:8000/predict"
# auth_env = "MODEL_API_KEY"          # the NAME of the variable holding the key, never the key
# request_template = '{{"features": [0.1, 0.2, 0.3, 0.4]}}'

# [[waivers]]                         # accepted failures: reason and expiry are mandatory
# check = "MLC101"
# paths = ["models/legacy.pkl"]
# reason = "legacy model, replaced in Q3"
# expires = 2027-06-30
# approved_by = "security@example.com"

# [checks.MLC101]                     # per-check options
# [model_tests]                       # runtime robustness/privacy tests (docs/model-testing.md)
# [datasets]                          # dataset checks (docs/dataset-checks.md)
"""


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``mlsvs init``."""
    parser.add_argument("path", nargs="?", default=".", help="project root (default: .)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing mlsvs.toml")


def run(args: argparse.Namespace) -> int:
    """Write the starter file."""
    from mlsvs.errors import UsageError

    root = Path(args.path)
    if not root.is_dir():
        raise UsageError(f"{root} is not a directory")
    target = root / "mlsvs.toml"
    if target.exists() and not args.force:
        raise UsageError(f"{target} already exists (use --force to overwrite)")
    name = root.resolve().name.replace('"', "")
    target.write_text(TEMPLATE.format(name=name), encoding="utf-8")
    print(f"mlsvs: wrote {target}", file=sys.stderr)
    return 0
