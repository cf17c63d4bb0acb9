"""Hash coverage: every model and dataset is hashed somewhere, and checksum files hold (M4.3.1)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.supply_chain._paths import relative
from mlsvs.plugin import (
    DatasetArtifact,
    Document,
    DocumentKind,
    ModelArtifact,
    Project,
    Severity,
    SignatureFile,
    abstained,
    check,
    errored,
    failed,
    passed,
)
from mlsvs.supply.errors import HashManifestError, SignatureError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome


def _default_algorithm(name: str) -> str | None:
    lowered = name.lower()
    for token in ("sha512", "sha384", "sha256", "blake3"):
        if token in lowered:
            return token
    return None


def signed_paths(project: Project) -> set[str]:
    """Project-relative paths that a readable model-signing bundle lists (unverified claim)."""
    from mlsvs.supply.signing import read_bundle, signed_path

    covered: set[str] = set()
    for sig in project.of_type(SignatureFile):
        try:
            info = read_bundle(sig.absolute)
            target = signed_path(sig.absolute, info)
        except SignatureError:
            continue  # MLC411 reports unreadable signatures
        if not target.is_relative_to(project.root):
            continue
        rel = PurePosixPath(target.relative_to(project.root).as_posix())
        if info.single_file:
            covered.add(rel.as_posix())
        else:
            covered.add(rel.as_posix())
            covered.update((rel / name).as_posix() for name in info.resources)
    return covered


@check(
    id="MLC403",
    title="Every model and dataset file is hashed, and checksum files match",
    requirements=["M4.3.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    remediation="List every model and dataset with a hash in the ML-BOM (mlsvs bom), a "
    "SHA256SUMS file or a model-signing signature, and re-create stale checksum files.",
)
def models_and_datasets_are_hashed(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Verify SHA256SUMS / *.sha256 files, then fail files no BOM, checksum or signature hashes."""
    from mlsvs.checks.supply_chain.bom import covered as is_covered
    from mlsvs.checks.supply_chain.bom import load_boms
    from mlsvs.supply.hashing import HashAlgorithm, parse_sums, verify_sums

    covered: set[str] = set()
    for doc in project.of_type(Document):
        if doc.document is not DocumentKind.CHECKSUMS:
            continue
        default = _default_algorithm(PurePosixPath(doc.path).name)
        try:
            text = doc.absolute.read_text(encoding="utf-8")
            entries = parse_sums(
                text, source=doc.path, default=HashAlgorithm.parse(default) if default else None
            )
            base = doc.absolute.parent
            result = verify_sums(base, entries)
        except (OSError, UnicodeDecodeError, ValueError, RuntimeError, HashManifestError) as exc:
            message = (
                exc.diagnostics() if isinstance(exc, HashManifestError) else f"{doc.path}: {exc}"
            )
            yield errored(
                relative(message, project.root), key=doc.path, facts=(("manifest", doc.path),)
            )
            continue
        folder = PurePosixPath(doc.path).parent
        covered.update((folder / name.removeprefix("./")).as_posix() for name in result.matched)
        facts = (("manifest", doc.path), ("matched", str(len(result.matched))))
        bad = [
            *(f"{n} (modified)" for n in result.mismatched),
            *(f"{n} (missing)" for n in result.missing),
            *(f"{n} (unsafe path or weak algorithm)" for n in result.unsafe),
        ]
        if bad:
            yield failed(
                f"{doc.path}: {len(bad)} entr(ies) do not verify: {', '.join(bad[:10])}",
                key=doc.path,
                facts=facts,
            )
        else:
            yield passed(
                f"{doc.path}: all {len(result.matched)} entries match", key=doc.path, facts=facts
            )
    boms, _ = load_boms(project)  # unreadable BOMs are reported by MLC401/MLC402
    covered.update(c.path for b in boms for c in b.components if c.path and c.hashes)
    covered.update(signed_paths(project))
    targets = [a.path for a in (*project.of_type(ModelArtifact), *project.of_type(DatasetArtifact))]
    unhashed = sorted(p for p in targets if not is_covered(p, covered))
    if unhashed:
        shown = ", ".join(unhashed[:10]) + (
            f" and {len(unhashed) - 10} more" if len(unhashed) > 10 else ""
        )
        yield failed(
            f"{len(unhashed)} model/dataset file(s) are not hashed by any BOM, checksum file "
            f"or signature: {shown}",
            key="coverage",
            facts=(("unhashed", ",".join(unhashed)),),
        )
    elif targets:
        yield passed(f"all {len(targets)} model/dataset file(s) are hashed", key="coverage")
    else:
        # Discovery's gaps (an unreadable file that may be a model) still keep M4.3.1 open.
        yield abstained("no model or dataset files to hash", key="coverage")
