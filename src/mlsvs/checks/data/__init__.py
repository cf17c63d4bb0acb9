"""Checks on datasets (MLSVS M2): integrity, splits, personal data, poisoning: MLC201-MLC249."""
