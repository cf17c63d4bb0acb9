"""Dataset checks: integrity manifests, split leakage, personal data, label noise, poisoning.

Stdlib-only at import time; NumPy / scikit-learn / pyarrow are imported inside the functions
that need them. Public entry points (import from the submodules)::

    table.source_for(path, display) -> TableSource         # csv/tsv/jsonl/parquet/arrow
    manifest.build_manifest(base, roots, records=, now=)   # + dump_manifest / load_manifest
    verify.verify_evidence(path, root) -> EvidenceResult   # manifest, *.dvc, dvc.lock, SHA256SUMS
    overlap.find_overlap(earlier, later, OverlapParams())  # exact + near duplicates
    leakage.entity_leakage(...) / leakage.time_leakage(...)
    pii_scan.scan_pii(source) -> PiiReport                 # masked samples only
    quality.read_training_table(...) + quality.quality_stats(...)
    poison.canary_test(train, test, fit, ...)
    settings.parse_settings(mapping) -> DataSettings       # the [datasets] section

Errors are ``mlsvs.datacheck.errors.DataError`` subclasses naming the file (exit code 2).
"""
