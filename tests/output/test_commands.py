"""Every findings command writes every format through ``-f FORMAT:PATH``, and every output
validates against its official schema (SARIF 2.1.0, Jenkins junit-10.xsd, GitLab SAST 15.2.1).

The inputs are real: pickles with an os.system reduce and a zip member built byte by byte
(inert payloads), a truncated model, Python with unsafe loads, a .env with a token, a
requirements file with known-vulnerable pins, a CSV with e-mail addresses.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mlsvs.cli.main import main
from tests.scanner.scan_pk import PAYLOAD, call, glob, proto, s, stop

if TYPE_CHECKING:
    from tests.output.conftest import Validators

FORMATS = ("sarif", "junit", "markdown", "gitlab-sast", "json")
HF = "hf_" + "Q7wErT9yUi0pAs2dFg4hJk6lZx8cVb1nM3"


def _evil_pickle() -> bytes:
    return proto() + stop(call(glob("os", "system"), s(PAYLOAD)))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    (root / "models").mkdir(parents=True)
    (root / "models" / "evil.pkl").write_bytes(_evil_pickle())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", _evil_pickle())
        zf.writestr("archive/version", "3\n")
    (root / "models" / "checkpoint.pt").write_bytes(buf.getvalue())
    # Half a zip: its structure cannot be read, so the file is not verified (GEN002).
    (root / "models" / "truncated.pt").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    (root / "train.py").write_text(
        "import torch, yaml\n\nmodel = torch.load('m.pt')\ncfg = yaml.load(open('c.yaml'))\n"
    )
    (root / ".env").write_text(f"HF_TOKEN={HF}\n")
    (root / "requirements.txt").write_text("Flask==1.1.1\nJinja2==2.10.1\nrequests>=2\n")
    (root / "users.csv").write_text(
        "id,email,score\n" + "".join(f"{i},user{i}@example.org,{i % 7}\n" for i in range(1, 60))
    )
    monkeypatch.chdir(root)
    monkeypatch.setenv("MLSVS_CACHE_DIR", str(tmp_path / "cache"))
    return root


def _outputs(tmp_path: Path, name: str) -> tuple[list[str], dict[str, Path]]:
    paths = {fmt: tmp_path / "out" / f"{name}.{fmt}" for fmt in FORMATS}
    argv = [arg for fmt, path in paths.items() for arg in ("-f", f"{fmt}:{path}")]
    return argv, paths


COMMANDS = [
    ("scan", ["scan", "models"], 1),
    ("code", ["code", "train.py"], 1),
    ("secrets", ["secrets", ".env"], 1),
    ("deps", ["deps", "requirements.txt"], 1),
    ("data-pii", ["data", "pii", "users.csv"], 1),
]


@pytest.mark.parametrize(("name", "argv", "code"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_format_validates(
    project: Path,
    tmp_path: Path,
    validators: Validators,
    name: str,
    argv: list[str],
    code: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    extra, paths = _outputs(tmp_path, name)
    assert main([*argv, *extra, "-q"]) == code
    assert capsys.readouterr().out == ""  # everything went to the files asked for
    sarif = validators.check("sarif", paths["sarif"])
    gitlab = validators.check("gitlab-sast", paths["gitlab-sast"])
    junit = validators.check("junit", paths["junit"])
    markdown = validators.check("markdown", paths["markdown"])
    json.loads(paths["json"].read_text())
    run = sarif["runs"][0]
    results = run["results"]
    assert results, "a finding in every sample"
    rules = run["tool"]["driver"]["rules"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert rules[result["ruleIndex"]]["helpUri"].startswith("https://")
        assert set(result["partialFingerprints"]) == {"mlsvs/finding/v1"}
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uriBaseId"] == "%SRCROOT%" and location["uri"] not in {"", "."}
        assert (project / location["uri"]).is_file()  # file-level: dashboards can attach it
    assert len(gitlab["vulnerabilities"]) == sum(1 for r in results if "suppressions" not in r)
    assert "<failure" in junit or "<error" in junit
    assert markdown.startswith("## mlsvs ")


def test_scan_locations_regions_and_gaps(
    project: Path, tmp_path: Path, validators: Validators
) -> None:
    extra, paths = _outputs(tmp_path, "scan")
    assert main(["scan", "models", *extra, "-q"]) == 1
    results = validators.check("sarif", paths["sarif"])["runs"][0]["results"]
    by_file: dict[str, list[dict[str, object]]] = {}
    for r in results:
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        by_file.setdefault(uri, []).append(r)
    [member] = [r for r in by_file["models/checkpoint.pt"] if r["ruleId"] == "PKL001"]
    logical = member["locations"][0]["logicalLocations"][0]
    assert logical["kind"] == "member" and logical["fullyQualifiedName"].startswith(
        "archive/data.pkl"
    )
    [top] = [r for r in by_file["models/evil.pkl"] if r["ruleId"] == "PKL001"]
    assert "byteOffset" in top["locations"][0]["physicalLocation"]["region"]
    gaps = [r for r in by_file["models/truncated.pt"] if r["properties"]["status"] != "fail"]
    assert gaps and all(r["message"]["text"].startswith("not verified: ") for r in gaps)
    junit = paths["junit"].read_text()
    assert 'type="not_verified"' in junit  # the truncated file fails its case, never skips
    # One fingerprint scheme: the same run twice gives the same IDs.
    again = tmp_path / "again.sarif"
    assert main(["scan", "models", "-f", f"sarif:{again}", "-q"]) == 1
    first = sorted(r["partialFingerprints"]["mlsvs/finding/v1"] for r in results)
    second = sorted(
        r["partialFingerprints"]["mlsvs/finding/v1"]
        for r in json.loads(again.read_text())["runs"][0]["results"]
    )
    assert first == second and len(set(first)) == len(first)


def test_verify_sarif_and_junit_validate(
    project: Path, tmp_path: Path, validators: Validators
) -> None:
    (project / "mlsvs.toml").write_text('name = "demo"\nlevel = "L1"\n')
    sarif, junit = tmp_path / "v.sarif", tmp_path / "v.xml"
    code = main(["verify", ".", "-f", f"sarif:{sarif}", "-f", f"junit:{junit}", "-q"])
    assert code in {0, 1}
    run = validators.check("sarif", sarif)["runs"][0]
    for result in run["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri != "." and (project / uri).exists(), uri
    assert all(r["helpUri"].startswith("https://") for r in run["tool"]["driver"]["rules"])
    validators.check("junit", junit)


def test_unknown_format_and_same_file_are_usage_errors(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["code", "train.py", "-f", "pdf"]) == 2
    assert "unknown output format 'pdf'" in capsys.readouterr().err
    out = tmp_path / "same.txt"
    assert main(["secrets", ".env", "-f", f"json:{out}", "-f", f"sarif:{out}"]) == 2
    assert "two outputs write the same file" in capsys.readouterr().err
    assert not out.exists()


def test_deps_gitlab_dependency_scanning(
    project: Path, tmp_path: Path, validators: Validators
) -> None:
    out = tmp_path / "gl-dependency-scanning-report.json"
    # Real PyPA/GHSA records (tests/supply/fixtures/osv-pypi) as the advisory snapshot.
    osv = Path(__file__).parents[1] / "supply" / "fixtures" / "osv-pypi"
    argv = ["deps", "requirements.txt", "--osv", str(osv), "-q"]
    assert main([*argv, "-f", f"gitlab-dependency-scanning:{out}"]) == 1
    report = validators.check("gitlab-dependency-scanning", out)
    assert report["scan"]["type"] == "dependency_scanning"
    packages = {
        v["location"]["dependency"]["package"]["name"].lower() for v in report["vulnerabilities"]
    }
    assert {"flask", "jinja2"} <= packages
    for vuln in report["vulnerabilities"]:
        assert vuln["location"]["file"] == "requirements.txt"
        assert any(i["type"] in {"pysec", "ghsa", "cve"} for i in vuln["identifiers"])
    # The unpinned requests>=2 is not a vulnerability: it is reported as a scan message.
    assert any("not pinned" in m["value"] for m in report["scan"]["messages"])
