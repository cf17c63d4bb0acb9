"""Fleet scanning: every model in a registry, bucket, hub or tree, on this machine or on Ray.

``fleet_scan`` lists the sources (local trees, ``s3://``, ``hf://``, ``mlflow://``), skips what
the content-addressed cache already knows, packs the rest into tasks sized by the bytes they
will read, runs them on an engine (``LocalEngine`` or ``RayEngine``) and returns one row per
object; ``results`` writes the Parquet dataset and the summaries. See docs/fleet.md.
"""

from __future__ import annotations
