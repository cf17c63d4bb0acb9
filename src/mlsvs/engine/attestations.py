"""Load attestation files and recompute their validity on every run.

One YAML file per requirement (any name, ``*.yaml``/``*.yml`` under the configured attestation
paths). Validity is never taken from the file: expiry is compared with the injected ``today``,
and each evidence file is re-hashed and compared with the digest recorded when it was attested.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.model.assessment import Problem, ProblemKind
from mlsvs.model.attestation import Attestation, Claim, EvidenceRef, Person, Validity
from mlsvs.util.hashing import sha256_file

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from mlsvs.model.catalog import Standard

_KEYS = frozenset(
    {
        "requirement",
        "claim",
        "statement",
        "justification",
        "evidence",
        "attested_by",
        "date",
        "expires",
    }
)
_EVIDENCE_KEYS = frozenset({"path", "url", "sha256", "description"})
_PERSON_KEYS = frozenset({"name", "role", "email"})


class _InvalidError(ValueError):
    """A structural problem with an attestation file."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Loaded:
    """Every attestation found (valid or not) and the files that could not be read at all."""

    attestations: tuple[Attestation, ...]
    problems: tuple[Problem, ...]


def attestation_files(root: Path, paths: Iterable[str]) -> list[Path]:
    """The YAML files under the configured attestation paths (files or directories)."""
    files: set[Path] = set()
    for entry in paths:
        path = (root / entry).resolve()
        if not path.is_relative_to(root):
            continue
        if path.is_file():
            files.add(path)
        elif path.is_dir():
            files.update(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"})
    return sorted(files)


def load_attestations(
    root: Path, paths: Iterable[str], standard: Standard, *, today: dt.date
) -> Loaded:
    """Read, validate and date-check every attestation file."""
    root = root.resolve()
    attestations: list[Attestation] = []
    problems: list[Problem] = []
    for file in attestation_files(root, paths):
        rel = file.relative_to(root).as_posix()
        attestation = load_one(root, file, standard, today=today)
        attestations.append(attestation)
        if attestation.validity is not Validity.VALID:
            problems.append(
                Problem(
                    kind=ProblemKind.ATTESTATION,
                    path=rel,
                    message=f"{attestation.validity}: " + "; ".join(attestation.problems),
                )
            )
    seen: dict[str, str] = {}
    for attestation in attestations:
        if attestation.validity is Validity.VALID and attestation.requirement in seen:
            problems.append(
                Problem(
                    kind=ProblemKind.ATTESTATION,
                    path=attestation.source,
                    message=f"second valid attestation for "
                    f"{attestation.requirement} (also {seen[attestation.requirement]}"
                    "); the newest one is used",
                )
            )
        seen.setdefault(attestation.requirement, attestation.source)
    return Loaded(attestations=tuple(attestations), problems=tuple(problems))


def load_one(root: Path, file: Path, standard: Standard, *, today: dt.date) -> Attestation:
    """One attestation with its recomputed validity; malformed files are INVALID, not errors."""
    import yaml

    rel = file.relative_to(root).as_posix()
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        return _build(root, rel, data, standard, today)
    except (OSError, UnicodeDecodeError) as exc:
        return _broken(rel, f"cannot read: {exc}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return _broken(rel, f"invalid YAML{where}: {getattr(exc, 'problem', exc)}")
    except _InvalidError as exc:
        return _broken(rel, str(exc))


def _broken(rel: str, problem: str) -> Attestation:
    return Attestation(
        source=rel,
        requirement="",
        claim=Claim.FAIL,
        statement="",
        validity=Validity.INVALID,
        problems=(problem,),
    )


def _build(root: Path, rel: str, data: object, standard: Standard, today: dt.date) -> Attestation:
    if not isinstance(data, dict):
        raise _InvalidError("an attestation must be a YAML mapping")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise _InvalidError(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    requirement = _text(data, "requirement", required=True)
    try:
        claim = Claim(_text(data, "claim", required=True))
    except ValueError:
        raise _InvalidError("claim must be pass, fail or not_applicable") from None
    statement = _text(data, "statement", required=True)
    justification = _text(data, "justification")
    if claim is Claim.NOT_APPLICABLE and not justification:
        raise _InvalidError("a not_applicable claim needs a justification")
    attested_by = _person(data.get("attested_by"))
    date = _date(data, "date")
    expires = _date(data, "expires")
    evidence = tuple(_evidence(root, item) for item in _list(data, "evidence"))
    problems: list[str] = []
    validity = Validity.VALID
    if requirement not in standard.requirements:
        validity = Validity.UNKNOWN_REQUIREMENT
        problems.append(_unknown_requirement(requirement, standard))
    elif expires < today:
        validity = Validity.EXPIRED
        problems.append(f"expired on {expires.isoformat()}")
    elif date > today:
        validity = Validity.INVALID
        problems.append(f"dated in the future ({date.isoformat()})")
    else:
        validity, problems = _evidence_validity(evidence)
    return Attestation(
        source=rel,
        requirement=requirement,
        claim=claim,
        statement=statement,
        justification=justification,
        evidence=evidence,
        attested_by=attested_by,
        date=date,
        expires=expires,
        validity=validity,
        problems=tuple(problems),
    )


def _evidence_validity(evidence: tuple[EvidenceRef, ...]) -> tuple[Validity, list[str]]:
    problems: list[str] = []
    validity = Validity.VALID
    for ref in evidence:
        if ref.path is None:
            continue
        if ref.actual_sha256 is None:
            validity = Validity.EVIDENCE_MISSING
            problems.append(f"evidence {ref.path} is missing")
        elif ref.sha256 != ref.actual_sha256:
            if validity is Validity.VALID:
                validity = Validity.EVIDENCE_CHANGED
            problems.append(f"evidence {ref.path} changed since it was attested")
    return validity, problems


def _evidence(root: Path, item: object) -> EvidenceRef:
    if not isinstance(item, dict):
        raise _InvalidError("each evidence entry must be a mapping with 'path' or 'url'")
    unknown = sorted(set(item) - _EVIDENCE_KEYS)
    if unknown:
        raise _InvalidError(f"evidence: unknown key {unknown[0]!r}")
    path, url = item.get("path"), item.get("url")
    description = str(item.get("description", ""))
    if url is not None and path is None:
        return EvidenceRef(url=str(url), description=description)
    if not isinstance(path, str) or not path:
        raise _InvalidError("evidence entry needs 'path' (a project file) or 'url'")
    expected = item.get("sha256")
    if not isinstance(expected, str) or len(expected) != 64:
        raise _InvalidError(f"evidence {path}: 'sha256' (64 hex digits) is mandatory for files")
    target = (root / path).resolve()
    if not target.is_relative_to(root):
        raise _InvalidError(f"evidence {path} lies outside the project")
    actual = sha256_file(target) if target.is_file() else None
    return EvidenceRef(
        path=path, sha256=expected.lower(), actual_sha256=actual, description=description
    )


def _person(value: object) -> Person:
    if not isinstance(value, dict) or not value.get("name"):
        raise _InvalidError("attested_by must be a mapping with at least 'name'")
    unknown = sorted(set(value) - _PERSON_KEYS)
    if unknown:
        raise _InvalidError(f"attested_by: unknown key {unknown[0]!r}")
    return Person(
        name=str(value["name"]), role=str(value.get("role", "")), email=str(value.get("email", ""))
    )


def _text(data: Mapping[str, object], key: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise _InvalidError(f"{key!r} is mandatory")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _InvalidError(f"{key!r} must be a non-empty string")
    return value.strip()


def _date(data: Mapping[str, object], key: str) -> dt.date:
    value = data.get(key)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _InvalidError(f"{key!r} must be a date (YYYY-MM-DD)")


def _list(data: Mapping[str, object], key: str) -> list[object]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise _InvalidError(f"{key!r} must be a list")
    return value


def template(
    requirement_id: str,
    standard: Standard,
    *,
    evidence: Iterable[Path] = (),
    root: Path | None = None,
    today: dt.date,
) -> str:
    """A commented attestation skeleton for one requirement (YAML text)."""
    req = standard.requirement(requirement_id)
    lines = [
        f"# Attestation for {req.cite(standard.version)}: {req.title}",
        f"# Requirement: {' '.join(req.text.split())}",
        f"# Pass criteria: {' '.join(req.pass_criteria.split())}",
        f"# Fail condition: {' '.join(req.fail_condition.split())}",
        f"# Evidence expected: {', '.join(req.evidence) or '-'}",
        f"requirement: {req.id}",
        "claim: pass            # pass | fail | not_applicable (needs a justification)",
        "statement: >-",
        "  Describe what is in place and how it meets the pass criteria.",
        "justification: null",
        "evidence:",
    ]
    base = root.resolve() if root is not None else Path.cwd().resolve()
    for path in evidence:
        resolved = path.resolve()
        rel = resolved.relative_to(base).as_posix() if resolved.is_relative_to(base) else str(path)
        lines += [f"  - path: {rel}", f"    sha256: {sha256_file(resolved)}"]
    if not evidence:
        lines += [
            "  - path: docs/REPLACE-ME.md   # re-run with --evidence FILE to fill the hash",
            "    sha256: " + "0" * 64,
        ]
    expires = (
        today.replace(year=today.year + 1)
        if not (today.month == 2 and today.day == 29)
        else today + dt.timedelta(days=365)
    )
    lines += [
        "attested_by:",
        "  name: REPLACE ME",
        "  role: REPLACE ME",
        f"date: {today.isoformat()}",
        f"expires: {expires.isoformat()}",
        "",
    ]
    return "\n".join(lines)


def _unknown_requirement(requirement: str, standard: Standard) -> str:
    """Why an attested ID does not count, naming the successor of a withdrawn one."""
    tomb = next((t for t in standard.withdrawn if t.id == requirement), None)
    if tomb is None:
        return f"{requirement} is not a requirement of {standard.key} {standard.version}"
    successors = ", ".join(tomb.replaced_by) or "no successor"
    return (
        f"{requirement} was withdrawn in {standard.key} {tomb.version} ({tomb.change.value} into "
        f"{successors}); attest the successor instead"
    )
