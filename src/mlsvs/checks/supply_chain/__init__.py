"""Built-in checks: supply chain (MLC401-MLC449).

ML-BOM presence and coverage (MLC401), BOM hashes (MLC402), hash coverage and checksum
manifests (MLC403), BOM descriptions (MLC404), model signatures (MLC410, MLC411) and
dependencies: pinning (MLC420), hashes (MLC421), known vulnerabilities (MLC422) and external
scanner reports (MLC423).
"""
