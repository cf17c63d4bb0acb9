"""Supply-chain evidence: ML-BOMs, signatures, hash manifests and dependency audits.

Submodules are imported by their callers; nothing heavy is imported here. Public entry points:

* ``mlsvs.supply.bom.build_bom`` - a CycloneDX 1.6 ML-BOM for a ``Project``;
* ``mlsvs.supply.signing.sign_model`` / ``verify_model`` - OpenSSF model-signing;
* ``mlsvs.supply.hashing`` - file digests and ``SHA256SUMS`` manifests;
* ``mlsvs.supply.manifests.parse_manifest`` - requirements, pyproject and lock files;
* ``mlsvs.supply.versions.installed_or_pinned_version`` - the version a project runs;
* ``mlsvs.supply.advisories.load_database`` - bundled ML advisories plus an OSV snapshot.
"""
