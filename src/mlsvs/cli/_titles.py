"""Requirement titles for renderers (see :mod:`mlsvs.catalog.titles`)."""

from __future__ import annotations

from mlsvs.catalog.titles import requirement_titles

__all__ = ["requirement_titles"]
