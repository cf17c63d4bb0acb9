"""Checks on pipeline code and credentials (MLSVS M3.3, M4.2, M5.1): MLC301-MLC349."""
