"""Ask the OSV API (``/v1/querybatch``, then ``/v1/vulns/ID``) about exact package versions.

The API's answer is complete for each ``name==version`` it answered: those pairs are covered;
a query that failed leaves its package uncovered (never passed). Full records are fetched for
the IDs reported so findings carry summaries and aliases, and each record is validated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.supply.advisories import AdvisoryDatabase
from mlsvs.supply.errors import AdvisoryError
from mlsvs.supply.osv import parse_record
from mlsvs.supply.osvschema import record_problems
from mlsvs.supply.requirements import canonical

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from mlsvs.supply.osv import Advisory

DEFAULT_API = "https://api.osv.dev"
_BATCH = 1000
"""``/v1/querybatch`` accepts at most 1000 queries per request."""
_MAX_PAGES = 50


class ReportedIndex:
    """Advisories the API reported per ``(name, version)``: no local range matching."""

    __slots__ = ("_count", "_reported")

    def __init__(self, reported: Mapping[tuple[str, str], tuple[Advisory, ...]]) -> None:
        self._reported = dict(reported)
        self._count = len({a.id for found in reported.values() for a in found})

    @property
    def count(self) -> int:
        """Distinct advisories reported."""
        return self._count

    def match(self, name: str, version: str) -> tuple[tuple[Advisory, ...], bool]:
        """What the API said about ``name==version`` (empty when not asked or clean)."""
        return self._reported.get((canonical(name), version), ()), False

    def packages(self) -> frozenset[str]:
        """Names with at least one reported advisory."""
        return frozenset(name for (name, _), found in self._reported.items() if found)


@dataclass(frozen=True, slots=True, kw_only=True)
class OnlineLookup:
    """The API's answers and the pairs it could not answer."""

    database: AdvisoryDatabase
    failed: tuple[tuple[str, str], ...]
    """``(name==version, reason)`` per query without an answer."""


def _ids_for(api: str, queries: list[dict[str, object]]) -> list[list[str]]:
    """Vulnerability IDs per query, following ``next_page_token`` per query."""
    from mlsvs.supply.http import request_json

    answer = request_json(f"{api}/v1/querybatch", body={"queries": queries})
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list) or len(results) != len(queries):
        raise AdvisoryError(
            f"{api}/v1/querybatch: answer does not match the {len(queries)} queries"
        )
    ids: list[list[str]] = []
    for query, result in zip(queries, results, strict=True):
        found: list[str] = []
        pages = 0
        while True:
            vulns = result.get("vulns") if isinstance(result, dict) else None
            found.extend(
                vuln["id"]
                for vuln in vulns or ()
                if isinstance(vuln, dict) and isinstance(vuln.get("id"), str)
            )
            token = result.get("next_page_token") if isinstance(result, dict) else None
            if not token:
                break
            pages += 1
            if pages > _MAX_PAGES:
                raise AdvisoryError(f"{api}/v1/querybatch: more than {_MAX_PAGES} pages")
            page = request_json(
                f"{api}/v1/querybatch", body={"queries": [{**query, "page_token": token}]}
            )
            page_results = page.get("results") if isinstance(page, dict) else None
            if not isinstance(page_results, list) or len(page_results) != 1:
                raise AdvisoryError(f"{api}/v1/querybatch: malformed page answer")
            result = page_results[0]
        ids.append(sorted(set(found)))
    return ids


def _record(api: str, vuln_id: str) -> Advisory:
    from urllib.parse import quote

    from mlsvs.supply.http import request_json

    raw = request_json(f"{api}/v1/vulns/{quote(vuln_id, safe='')}")
    problems = record_problems(raw)
    if problems:
        raise AdvisoryError(f"{api}/v1/vulns/{vuln_id}: invalid OSV record: {problems[0]}")
    advisory = parse_record(raw)
    if advisory is None:  # withdrawn since the batch answer, or not a PyPI record
        raise AdvisoryError(f"{api}/v1/vulns/{vuln_id}: withdrawn or not a PyPI record")
    return advisory


def lookup(pairs: Iterable[tuple[str, str]], *, api: str = DEFAULT_API) -> OnlineLookup:
    """Query every ``(name, version)``; network failures make those pairs fail, not pass."""
    wanted = sorted({(canonical(n), v) for n, v in pairs})
    api = api.rstrip("/")
    reported: dict[tuple[str, str], tuple[Advisory, ...]] = {}
    failed: list[tuple[str, str]] = []
    records: dict[str, Advisory | None] = {}
    for start in range(0, len(wanted), _BATCH):
        chunk = wanted[start : start + _BATCH]
        queries: list[dict[str, object]] = [
            {"package": {"name": n, "ecosystem": "PyPI"}, "version": v} for n, v in chunk
        ]
        try:
            ids = _ids_for(api, queries)
        except AdvisoryError as exc:
            failed.extend((f"{n}=={v}", exc.message) for n, v in chunk)
            continue
        for (name, version), found in zip(chunk, ids, strict=True):
            advisories: list[Advisory] = []
            problem = ""
            for vuln_id in found:
                if vuln_id not in records:
                    try:
                        records[vuln_id] = _record(api, vuln_id)
                    except AdvisoryError as exc:
                        records[vuln_id] = None
                        problem = problem or exc.message
                record = records[vuln_id]
                if record is not None:
                    advisories.append(record)
                else:
                    problem = problem or f"record {vuln_id} could not be fetched"
            reported[(name, version)] = tuple(advisories)
            if problem and not advisories:
                failed.append((f"{name}=={version}", problem))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    answered = frozenset(pair for pair in reported if f"{pair[0]}=={pair[1]}" not in dict(failed))
    database = AdvisoryDatabase(
        name="osv-api",
        date=now,
        sha256="",
        source=f"{api}/v1/querybatch",
        index=ReportedIndex(reported),
        complete_pairs=answered,
    )
    return OnlineLookup(database=database, failed=tuple(failed))
