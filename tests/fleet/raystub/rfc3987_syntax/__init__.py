"""Put on the Ray test processes' ``PYTHONPATH`` (``test_ray``'s cluster fixture): every Ray
process imports jsonschema (``ray.runtime_env``), which imports the optional ``rfc3987_syntax``
when installed; that import builds a grammar (5 s of CPU, 60 s at load average 15 here), and the
raylet gives its node agents a fixed 15 s to start (ray-project/ray#65983). Absent, jsonschema
just skips its ``iri`` format check, which nothing under test uses."""

raise ImportError("rfc3987_syntax is left out of the Ray test processes (start-up time)")
