"""SOURCE arguments -> items: ``s3://``, ``hf://``, ``mlflow://`` or a local path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.fleet.items import Item, ListingError


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoints:
    """Where the remote sources are (empty: the clients' own environment variables)."""

    s3: str = ""
    hf: str = ""
    mlflow: str = ""


def list_source(source: str, endpoints: Endpoints) -> Iterator[Item | ListingError]:
    """Items of one SOURCE, in a stable order (plus what could not be listed)."""
    if source.startswith("s3://"):
        from mlsvs.fleet.s3 import list_s3

        return list_s3(source, endpoints.s3)
    if source.startswith("hf://"):
        from mlsvs.fleet.hub import list_hub

        return list_hub(source, endpoints.hf)
    if source.startswith("mlflow://"):
        from mlsvs.fleet.mlflow import list_mlflow

        return list_mlflow(source, endpoints.mlflow, endpoints.s3)
    from mlsvs.fleet.local import list_local

    return list_local(source)
