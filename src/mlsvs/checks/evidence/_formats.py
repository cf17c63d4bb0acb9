"""Recognise and read other tools' reports: SARIF 2.1.0 from any tool, and the native JSON of
trivy, checkov, tfsec, bandit, semgrep, gitleaks, pip-audit and osv-scanner.

The format is recognised from the document's own keys (never only from the file name), each
reader keeps what the tool says it could not scan (the report is then partial), and nothing
is guessed: a report whose shape is not one of these is an error, not an empty pass.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.evidence._model import ToolFinding, ToolReport, Topic, parse_time

if TYPE_CHECKING:
    import datetime as dt


class ReportError(ValueError):
    """Not a report of a known tool, or malformed; the message is one line."""


_SARIF_TOOLS = {
    "trivy": "trivy",
    "checkov": "checkov",
    "tfsec": "tfsec",
    "defsec": "tfsec",
    "semgrep": "semgrep",
    "semgrep oss": "semgrep",
    "gitleaks": "gitleaks",
    "bandit": "bandit",
    "osv-scanner": "osv-scanner",
    "pip-audit": "pip-audit",
}
_TOOL_TOPICS = {
    "trivy": frozenset({Topic.VULNERABILITY}),
    "checkov": frozenset({Topic.MISCONFIGURATION}),
    "tfsec": frozenset({Topic.MISCONFIGURATION}),
    "semgrep": frozenset({Topic.CODE}),
    "bandit": frozenset({Topic.CODE}),
    "gitleaks": frozenset({Topic.SECRET}),
    "osv-scanner": frozenset({Topic.VULNERABILITY}),
    "pip-audit": frozenset({Topic.VULNERABILITY}),
}


def _dict(value: object) -> dict[str, object]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _str(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def severity_of_score(score: object) -> str:
    """CVSS-style score (number or numeric string) to a severity band."""
    try:
        value = float(_str(score))
    except ValueError:
        return "UNKNOWN"
    if value >= 9.0:
        return "CRITICAL"
    if value >= 7.0:
        return "HIGH"
    if value >= 4.0:
        return "MEDIUM"
    return "LOW" if value > 0 else "UNKNOWN"


def parse_document(data: object, *, path: str, sha256: str, name: str) -> ToolReport:
    """The report ``data`` (parsed JSON) is, recognised from its keys."""
    common = {"path": path, "sha256": sha256}
    lowered = name.lower()
    if isinstance(data, dict):
        doc = _dict(data)
        if isinstance(doc.get("runs"), list) and _str(doc.get("version")).startswith("2."):
            return _sarif(doc, **common)
        if "SchemaVersion" in doc and ("Results" in doc or "ArtifactName" in doc):
            return _trivy(doc, **common)
        if "check_type" in doc or "checkov_version" in doc:
            return _checkov([doc], **common)
        if "generated_at" in doc and "metrics" in doc:
            return _bandit(doc, **common)
        results = doc.get("results")
        if isinstance(results, list) and "errors" in doc and ("paths" in doc or "version" in doc):
            return _semgrep(doc, **common)
        if isinstance(doc.get("dependencies"), list):
            return _pip_audit(doc, **common)
        if (
            isinstance(results, list)
            and all(isinstance(r, dict) and ("rule_id" in r or "long_id" in r) for r in results)
            and (results or "tfsec" in lowered)
        ):
            return _tfsec(results, **common)
        if results is None and "results" in doc and "tfsec" in lowered:
            return _tfsec([], **common)
        if (
            isinstance(results, list)
            and all(isinstance(r, dict) and "packages" in r for r in results)
            and (results or "osv" in lowered)
        ):
            return _osv(results, **common)
    if isinstance(data, list):
        if data and all(isinstance(d, dict) and "check_type" in d for d in data):
            return _checkov([_dict(d) for d in data], **common)
        if all(isinstance(d, dict) and "RuleID" in d for d in data) and (
            data or "gitleaks" in lowered
        ):
            return _gitleaks(data, **common)
    raise ReportError(
        f"{path}: not a SARIF, trivy, checkov, tfsec, bandit, semgrep, gitleaks, "
        "pip-audit or osv-scanner report"
    )


# --- SARIF ------------------------------------------------------------------------------------


def _sarif(doc: dict[str, object], *, path: str, sha256: str) -> ToolReport:
    runs = [_dict(r) for r in _list(doc.get("runs"))]
    if not runs:
        raise ReportError(f"{path}: SARIF without runs")
    tools = set()
    versions = set()
    times: list[dt.datetime] = []
    findings: list[ToolFinding] = []
    problems: list[str] = []
    digests: list[str] = []
    artifact = ""
    for run in runs:
        driver = _dict(_dict(run.get("tool")).get("driver"))
        raw_name = _str(driver.get("name")).strip()
        tool = _SARIF_TOOLS.get(raw_name.lower(), raw_name.lower() or "unknown")
        tools.add(tool)
        versions.add(_str(driver.get("semanticVersion") or driver.get("version")).lstrip("v"))
        rules: dict[str, object] = {
            _str(r.get("id")): r for r in map(_dict, _list(driver.get("rules")))
        }
        for invocation in map(_dict, _list(run.get("invocations"))):
            for key in ("endTimeUtc", "startTimeUtc"):
                if (when := parse_time(invocation.get(key))) is not None:
                    times.append(when)
                    break
            if invocation.get("executionSuccessful") is False:
                problems.append(f"{tool}: the run did not complete successfully")
            for note in map(_dict, _list(invocation.get("toolExecutionNotifications"))):
                if note.get("level") == "error":
                    text = _str(_dict(note.get("message")).get("text"))
                    problems.append(f"{tool}: {text[:160]}")
        props = _dict(run.get("properties"))
        artifact = artifact or _str(props.get("imageName"))
        digests += [_digest(d) for d in _list(props.get("repoDigests")) if _digest(d)]
        findings += [_sarif_result(tool, _dict(r), rules) for r in _list(run.get("results"))]
    topics = set().union(*(_TOOL_TOPICS.get(t, frozenset()) for t in tools))
    topics.update(f.topic for f in findings)
    return ToolReport(
        path=path,
        sha256=sha256,
        tool=", ".join(sorted(tools)),
        version=", ".join(sorted(v for v in versions if v)),
        created=max(times) if times else None,
        artifact=artifact,
        artifact_type="container_image" if digests or artifact else "",
        digests=tuple(dict.fromkeys(digests)),
        topics=frozenset(topics),
        findings=tuple(findings),
        problems=tuple(problems),
    )


_VULN_ID = re.compile(r"^(CVE-\d{4}-\d+|GHSA-[\w-]+|PYSEC-\d{4}-\d+|OSV-\d{4}-\d+)$", re.I)
_SECRET_RULE = re.compile(r"secret|credential|token|password|private[-_]key|api[-_]key", re.I)


def _topic(tool: str, rule: str, tags: list[object]) -> Topic:
    words = {str(t).lower() for t in tags}
    if tool == "gitleaks" or "secret" in words or rule.startswith("CKV_SECRET"):
        return Topic.SECRET
    if _VULN_ID.match(rule) or "vulnerability" in words:
        return Topic.VULNERABILITY
    if tool in {"checkov", "tfsec"} or "misconfiguration" in words:
        return Topic.MISCONFIGURATION
    if tool in {"osv-scanner", "pip-audit"}:
        return Topic.VULNERABILITY
    if tool == "semgrep" and _SECRET_RULE.search(rule):
        return Topic.SECRET
    return Topic.CODE


def _sarif_result(tool: str, result: dict[str, object], rules: dict[str, object]) -> ToolFinding:
    rule_id = _str(result.get("ruleId"))
    rule = _dict(rules.get(rule_id))
    props = _dict(rule.get("properties"))
    severity = severity_of_score(props.get("security-severity"))
    if severity == "UNKNOWN":
        level = _str(result.get("level")) or _str(
            _dict(rule.get("defaultConfiguration")).get("level")
        )
        severity = {"error": "HIGH", "warning": "MEDIUM", "note": "LOW"}.get(level, "UNKNOWN")
    if severity == "UNKNOWN" and tool == "gitleaks":
        severity = "HIGH"  # every gitleaks result is a live-looking credential
    location = _dict(_dict(next(iter(_list(result.get("locations"))), {})).get("physicalLocation"))
    suppressed = ""
    for suppression in map(_dict, _list(result.get("suppressions"))):
        if suppression.get("status", "accepted") == "accepted":
            suppressed = (
                _str(suppression.get("justification")) or f"suppressed ({suppression.get('kind')})"
            )
    return ToolFinding(
        topic=_topic(tool, rule_id, _list(props.get("tags"))),
        rule=rule_id,
        severity=severity,
        message=_str(_dict(result.get("message")).get("text"))[:200],
        path=_str(_dict(location.get("artifactLocation")).get("uri")),
        line=_int(_dict(location.get("region")).get("startLine")),
        suppressed=suppressed,
    )


def _digest(value: object) -> str:
    match = re.search(r"sha256:[0-9a-f]{64}", _str(value))
    return match.group(0) if match else ""


# --- native JSON ------------------------------------------------------------------------------


def _trivy(doc: dict[str, object], *, path: str, sha256: str) -> ToolReport:
    if _int(doc.get("SchemaVersion")) != 2:
        raise ReportError(f"{path}: trivy SchemaVersion {doc.get('SchemaVersion')!r} (expected 2)")
    findings: list[ToolFinding] = []
    topics: set[Topic] = set()
    for result in map(_dict, _list(doc.get("Results"))):
        target, kind = _str(result.get("Target")), _str(result.get("Class"))
        if kind in {"os-pkgs", "lang-pkgs"}:
            topics.add(Topic.VULNERABILITY)
        for vuln in map(_dict, _list(result.get("Vulnerabilities"))):
            findings.append(  # noqa: PERF401
                ToolFinding(
                    topic=Topic.VULNERABILITY,
                    rule=_str(vuln.get("VulnerabilityID")),
                    severity=_str(vuln.get("Severity")).upper() or "UNKNOWN",
                    message=_str(vuln.get("Title"))[:200],
                    path=target,
                    package=f"{_str(vuln.get('PkgName'))} {_str(vuln.get('InstalledVersion'))}",
                )
            )
        for secret in map(_dict, _list(result.get("Secrets"))):
            topics.add(Topic.SECRET)
            findings.append(
                ToolFinding(
                    topic=Topic.SECRET,
                    rule=_str(secret.get("RuleID")),
                    severity=_str(secret.get("Severity")).upper() or "UNKNOWN",
                    message=_str(secret.get("Title")),
                    path=target,
                    line=_int(secret.get("StartLine")),
                )
            )
        if kind == "config":
            topics.add(Topic.MISCONFIGURATION)
        for misconf in map(_dict, _list(result.get("Misconfigurations"))):
            if _str(misconf.get("Status")) not in {"", "FAIL"}:
                continue
            findings.append(
                ToolFinding(
                    topic=Topic.MISCONFIGURATION,
                    rule=_str(misconf.get("AVDID") or misconf.get("ID")),
                    severity=_str(misconf.get("Severity")).upper() or "UNKNOWN",
                    message=_str(misconf.get("Title")),
                    path=target,
                )
            )
    metadata = _dict(doc.get("Metadata"))
    digests = [_digest(d) for d in _list(metadata.get("RepoDigests"))]
    return ToolReport(
        path=path,
        sha256=sha256,
        tool="trivy",
        version=_str(_dict(doc.get("Trivy")).get("Version")),
        created=parse_time(doc.get("CreatedAt")),
        artifact=_str(doc.get("ArtifactName")),
        artifact_type=_str(doc.get("ArtifactType")),
        digests=tuple(d for d in digests if d),
        topics=frozenset(topics),
        findings=tuple(findings),
    )


def _checkov(docs: list[dict[str, object]], *, path: str, sha256: str) -> ToolReport:
    findings: list[ToolFinding] = []
    passed: list[tuple[str, str]] = []
    problems: list[str] = []
    topics: set[Topic] = set()
    versions: set[str] = set()
    for doc in docs:
        summary = _dict(doc.get("summary")) or doc
        versions.add(_str(summary.get("checkov_version")))
        check_type = _str(doc.get("check_type"))
        topic = Topic.SECRET if check_type == "secrets" else Topic.MISCONFIGURATION
        if check_type:
            topics.add(topic)
        errors = _int(summary.get("parsing_errors")) or 0
        results = _dict(doc.get("results"))
        if errors:
            files = [_str(e) for e in _list(results.get("parsing_errors"))]
            problems.append(
                f"checkov {check_type}: {errors} file(s) not parsed ({', '.join(files[:3])})"
            )
        for item in map(_dict, _list(results.get("failed_checks"))):
            findings.append(  # noqa: PERF401
                ToolFinding(
                    topic=topic,
                    rule=_str(item.get("check_id")),
                    severity=_str(item.get("severity")).upper() or "UNKNOWN",
                    message=f"{_str(item.get('check_name'))} ({_str(item.get('resource'))})",
                    path=_str(item.get("repo_file_path") or item.get("file_path")).lstrip("/"),
                    line=_int(next(iter(_list(item.get("file_line_range"))), None)),
                )
            )
        passed += [
            (_str(i.get("check_id")), _str(i.get("resource")))
            for i in map(_dict, _list(results.get("passed_checks")))
        ]
    return ToolReport(
        path=path,
        sha256=sha256,
        tool="checkov",
        version=", ".join(sorted(v for v in versions if v)),
        created=None,
        topics=frozenset(topics or {Topic.MISCONFIGURATION}),
        findings=tuple(findings),
        passed_rules=tuple(passed),
        problems=tuple(problems),
    )


def _tfsec(results: list[object], *, path: str, sha256: str) -> ToolReport:
    findings: list[ToolFinding] = []
    passed: list[tuple[str, str]] = []
    for item in map(_dict, results):
        rule = _str(item.get("rule_id") or item.get("long_id"))
        if item.get("status") == 1:  # --include-passed
            passed.append((rule, _str(item.get("resource"))))
            continue
        location = _dict(item.get("location"))
        findings.append(
            ToolFinding(
                topic=Topic.MISCONFIGURATION,
                rule=rule,
                severity=_str(item.get("severity")).upper(),
                message=f"{_str(item.get('rule_description'))} ({_str(item.get('resource'))})",
                path=_str(location.get("filename")),
                line=_int(location.get("start_line")),
            )
        )
    return ToolReport(
        path=path,
        sha256=sha256,
        tool="tfsec",
        version="",
        created=None,
        topics=frozenset({Topic.MISCONFIGURATION}),
        findings=tuple(findings),
        passed_rules=tuple(passed),
    )


_BANDIT_VERSION = re.compile(r"bandit\.readthedocs\.io/en/(\d[\w.]*)/")


def _bandit(doc: dict[str, object], *, path: str, sha256: str) -> ToolReport:
    findings: list[ToolFinding] = []
    version = ""
    for item in map(_dict, _list(doc.get("results"))):
        match = _BANDIT_VERSION.search(_str(item.get("more_info")))
        version = version or (match.group(1) if match else "")
        findings.append(
            ToolFinding(
                topic=Topic.CODE,
                rule=_str(item.get("test_id")),
                severity=_str(item.get("issue_severity")).upper() or "UNKNOWN",
                message=_str(item.get("issue_text"))[:200],
                path=_str(item.get("filename")).lstrip("./"),
                line=_int(item.get("line_number")),
            )
        )
    problems = [
        f"bandit: {_str(e.get('filename'))}: {_str(e.get('reason'))[:120]}"
        for e in map(_dict, _list(doc.get("errors")))
    ]
    return ToolReport(
        path=path,
        sha256=sha256,
        tool="bandit",
        version=version,
        created=parse_time(doc.get("generated_at")),
        topics=frozenset({Topic.CODE}),
        findings=tuple(findings),
        problems=tuple(problems),
    )


def _semgrep(doc: dict[str, object], *, path: str, sha256: str) -> ToolReport:
    findings: list[ToolFinding] = []
    for item in map(_dict, _list(doc.get("results"))):
        rule = _str(item.get("check_id"))
        extra = _dict(item.get("extra"))
        severity = {"ERROR": "HIGH", "WARNING": "MEDIUM", "INFO": "LOW"}.get(
            _str(extra.get("severity")).upper(), "UNKNOWN"
        )
        findings.append(
            ToolFinding(
                topic=_topic("semgrep", rule, []),
                rule=rule,
                severity=severity,
                message=_str(extra.get("message"))[:200],
                path=_str(item.get("path")),
                line=_int(_dict(item.get("start")).get("line")),
            )
        )
    problems = []
    for error in map(_dict, _list(doc.get("errors"))):
        if _str(error.get("level")).lower() in {"", "error"}:
            problems.append(f"semgrep: {_str(error.get('type'))} {_str(error.get('path'))}"[:160])  # noqa: PERF401
    return ToolReport(
        path=path,
        sha256=sha256,
        tool="semgrep",
        version=_str(doc.get("version")),
        created=None,
        topics=frozenset({Topic.CODE}),
        findings=tuple(findings),
        problems=tuple(problems),
    )


def _gitleaks(items: list[object], *, path: str, sha256: str) -> ToolReport:
    findings = [
        ToolFinding(
            topic=Topic.SECRET,
            rule=_str(i.get("RuleID")),
            severity="HIGH",
            message=_str(i.get("Description")),
            path=_str(i.get("File")),
            line=_int(i.get("StartLine")),
        )
        for i in map(_dict, items)
    ]
    return ToolReport(
        path=path,
        sha256=sha256,
        tool="gitleaks",
        version="",
        created=None,
        topics=frozenset({Topic.SECRET}),
        findings=tuple(findings),
    )


def _pip_audit(doc: dict[str, object], *, path: str, sha256: str) -> ToolReport:
    findings: list[ToolFinding] = []
    problems: list[str] = []
    for dep in map(_dict, _list(doc.get("dependencies"))):
        name, version = _str(dep.get("name")), _str(dep.get("version"))
        if "skip_reason" in dep:
            problems.append(f"pip-audit skipped {name}: {_str(dep.get('skip_reason'))[:100]}")
            continue
        for vuln in map(_dict, _list(dep.get("vulns"))):
            findings.append(  # noqa: PERF401
                ToolFinding(
                    topic=Topic.VULNERABILITY,
                    rule=_str(vuln.get("id")),
                    severity="UNKNOWN",
                    message=_str(vuln.get("description"))[:200],
                    package=f"{name} {version}",
                )
            )
    return ToolReport(
        path=path,
        sha256=sha256,
        tool="pip-audit",
        version="",
        created=None,
        topics=frozenset({Topic.VULNERABILITY}),
        findings=tuple(findings),
        problems=tuple(problems),
    )


def _osv(results: list[object], *, path: str, sha256: str) -> ToolReport:
    findings: list[ToolFinding] = []
    for result in map(_dict, results):
        source = _str(_dict(result.get("source")).get("path"))
        for entry in map(_dict, _list(result.get("packages"))):
            package = _dict(entry.get("package"))
            groups = [_dict(g) for g in _list(entry.get("groups"))]
            for vuln in map(_dict, _list(entry.get("vulnerabilities"))):
                vid = _str(vuln.get("id"))
                group = next((g for g in groups if vid in _list(g.get("ids"))), {})
                findings.append(
                    ToolFinding(
                        topic=Topic.VULNERABILITY,
                        rule=vid,
                        severity=severity_of_score(group.get("max_severity")),
                        message=_str(vuln.get("summary"))[:200],
                        path=source,
                        package=f"{_str(package.get('name'))} {_str(package.get('version'))}",
                    )
                )
    return ToolReport(
        path=path,
        sha256=sha256,
        tool="osv-scanner",
        version="",
        created=None,
        topics=frozenset({Topic.VULNERABILITY}),
        findings=tuple(findings),
    )
