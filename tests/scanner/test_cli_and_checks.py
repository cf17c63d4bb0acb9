"""``mlsvs scan`` (exit codes, formats, escaping) and the MLC101-MLC105 checks."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mlsvs.checks.model_artifacts import scanner_checks as sc
from mlsvs.cli.main import main
from mlsvs.model.artifact import ModelArtifact, ModelFormat, Project
from mlsvs.model.check import CheckContext
from mlsvs.model.result import Status
from mlsvs.scanner import identify
from tests.scanner.scan_pk import PAYLOAD, call, glob, s, stop


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["scan", *argv])
    return code, capsys.readouterr().out


def test_exit_codes(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    benign_files: dict[str, Path],
    malicious_files: dict[str, Path],
) -> None:
    assert _run(capsys, str(benign_files["safetensors_file"]))[0] == 0
    code, out = _run(capsys, str(malicious_files["gadget-os.system"]))
    assert code == 1 and "PKL001" in out
    assert _run(capsys, str(malicious_files["unknown-callable"]), "--min-severity", "high")[0] == 0
    assert main(["scan", str(tmp_path / "missing")]) == 2


def test_allow_flag_extends_the_allowlist(
    capsys: pytest.CaptureFixture[str], malicious_files: dict[str, Path]
) -> None:
    path = str(malicious_files["unknown-callable"])
    assert _run(capsys, path)[0] == 1
    assert _run(capsys, path, "--allow-global", "acme_internal.tools.rebuild")[0] == 0


def test_allow_means_capabilities_only(
    capsys: pytest.CaptureFixture[str], malicious_files: dict[str, Path]
) -> None:
    """The old spelling is refused with the new option's name, never accepted silently."""
    path = str(malicious_files["unknown-callable"])
    for value in ("network", "acme_internal.tools.rebuild"):
        assert main(["scan", path, "--allow", value]) == 2
        err = capsys.readouterr().err
        assert f"--allow-global {value}" in err and "capabilities" in err


def test_json_and_sarif(
    capsys: pytest.CaptureFixture[str], malicious_files: dict[str, Path]
) -> None:
    path = str(malicious_files["torch-zip"])
    code, out = _run(capsys, path, "-f", "json")
    doc = json.loads(out)
    [finding] = doc["files"][0]["findings"]
    assert code == 1 and finding["rule"] == "PKL001" and finding["member"] == "archive/data.pkl"
    assert finding["remediation"]
    code, out = _run(capsys, path, "-f", "sarif")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {"PKL001", "ZIP001", "GGUF002"}
    [result] = run["results"]
    assert result["ruleId"] == "PKL001"
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == Path(path).as_uri()  # outside the cwd
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith(
        "archive/data.pkl"
    )
    assert result["partialFingerprints"]["mlsvs/finding/v1"]
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["helpUri"].endswith(
        "scanner.md#rules"
    )


def test_output_file_and_jobs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], malicious_files: dict[str, Path]
) -> None:
    out = tmp_path / "report.json"
    paths = [str(malicious_files[n]) for n in ("torch-zip", "pickle-gzip", "keras-lambda")]
    sarif = tmp_path / "out" / "scan.sarif"
    argv = ["scan", *paths, "-f", f"json:{out}", "-f", f"sarif:{sarif}", "--jobs", "2", "-q"]
    assert main(argv) == 1
    doc = json.loads(out.read_text())
    assert [len(f["findings"]) > 0 for f in doc["files"]] == [True, True, True]
    assert len(json.loads(sarif.read_text())["runs"][0]["results"]) >= 3
    assert main(["scan", *paths, "-o", str(out)]) == 2
    assert "-f FORMAT:PATH" in capsys.readouterr().err


def test_text_output_strips_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "evil.pkl"
    path.write_bytes(stop(call(glob("os", "system\x1b[2J\x1b]0;pwned\x07"), s(PAYLOAD))))
    code, out = _run(capsys, str(path))
    assert code == 1 and "\x1b" not in out and "\x07" not in out


def _ctx(tmp_path: Path, section: dict[str, object] | None = None) -> CheckContext:
    project = Project(root=tmp_path, name="p", traits=frozenset())
    return CheckContext(
        project=project, today=dt.date(2026, 1, 1), settings={"scanner": section or {}}
    )


def _model(path: Path) -> ModelArtifact:
    return ModelArtifact(
        root=path.parent, path=path.name, size=path.stat().st_size, format=identify(path)
    )


@pytest.mark.parametrize(
    ("sample", "status"),
    [
        ("safetensors_file", Status.PASS),
        ("onnx_helper", Status.PASS),
        ("sklearn_pickle", Status.FAIL),
        ("torch_state_dict", Status.FAIL),
    ],
)
def test_mlc101(tmp_path: Path, benign_files: dict[str, Path], sample: str, status: Status) -> None:
    if sample not in benign_files:
        pytest.skip(f"{sample} needs an optional library")
    [outcome] = sc.format_cannot_execute.run(_ctx(tmp_path), _model(benign_files[sample]))
    assert outcome.status is status


def test_mlc101_unknown_content_fails_and_unread_file_is_not_verified(tmp_path: Path) -> None:
    blob = tmp_path / "m.bin"
    blob.write_bytes(bytes(range(256)) * 8)
    [unknown] = sc.format_cannot_execute.run(_ctx(tmp_path), _model(blob))
    assert unknown.status is Status.FAIL
    # Discovery said "safetensors", but the file is gone: the format was not verified now.
    gone = ModelArtifact(root=tmp_path, path="gone", size=1, format=ModelFormat.SAFETENSORS)
    [outcome] = sc.format_cannot_execute.run(_ctx(tmp_path), gone)
    assert outcome.status is Status.NOT_VERIFIED
    assert outcome.gaps[0].item == "gone" and outcome.gaps[0].reason.value == "unreadable"


def test_mlc102_to_105(
    tmp_path: Path, benign_files: dict[str, Path], malicious_files: dict[str, Path]
) -> None:
    clean = _model(benign_files["torch_state_dict"])
    [ok] = sc.no_unsafe_callables.run(_ctx(tmp_path), clean)
    assert ok.status is Status.PASS
    bad = _model(malicious_files["zip-bad-crc"])
    outs = sc.no_unsafe_callables.run(_ctx(tmp_path), bad)
    assert {o.rule for o in outs} == {"PKL001", "ZIP006"}
    assert all(o.status is Status.FAIL and o.severity is not None for o in outs)
    [parse] = sc.artifact_parses.run(_ctx(tmp_path), _model(malicious_files["unidentified-binary"]))
    assert parse.status is Status.FAIL and parse.rule == "GEN001"
    hazards = sc.no_format_hazards.run(
        _ctx(tmp_path), _model(malicious_files["onnx-external-traversal"])
    )
    assert [o.rule for o in hazards] == ["ONX001"]
    [tpl] = sc.chat_template_is_safe.run(_ctx(tmp_path), _model(benign_files["gguf_file"]))
    assert tpl.status is Status.PASS
    ssti = sc.chat_template_is_safe.run(
        _ctx(tmp_path), _model(malicious_files["gguf-chat-template-ssti"])
    )
    assert ssti and all(o.status is Status.FAIL for o in ssti)
    [na] = sc.chat_template_is_safe.run(_ctx(tmp_path), clean)
    assert na.status is Status.NOT_APPLICABLE


def test_checks_use_scanner_section(tmp_path: Path, malicious_files: dict[str, Path]) -> None:
    model = _model(malicious_files["unknown-callable"])
    [failed] = sc.no_unsafe_callables.run(_ctx(tmp_path), model)
    assert failed.status is Status.FAIL
    allowed = _ctx(tmp_path, {"allow": ["acme_internal.tools.rebuild"]})
    [ok] = sc.no_unsafe_callables.run(allowed, model)
    assert ok.status is Status.PASS
    [err] = sc.no_unsafe_callables.run(_ctx(tmp_path, {"bogus": 1}), model)
    assert err.status is Status.ERROR


def test_sidecar_tokenizer_config(tmp_path: Path, benign_files: dict[str, Path]) -> None:
    d = tmp_path / "llm"
    d.mkdir()
    weights = d / "model.safetensors"
    weights.write_bytes(benign_files["safetensors_file"].read_bytes())
    (d / "tokenizer_config.json").write_text(
        json.dumps({"chat_template": "{{ ''.__class__.__mro__[1].__subclasses__() }}"})
    )
    outs = sc.chat_template_is_safe.run(_ctx(tmp_path), _model(weights))
    assert outs and all(o.status is Status.FAIL for o in outs)


def test_cached_scan_runs_once_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, benign_files: dict[str, Path]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from mlsvs.scanner import api

    path = tmp_path / "copy.safetensors"
    path.write_bytes(benign_files["safetensors_file"].read_bytes())
    calls: list[object] = []
    real = api.scan_path

    def counting(p: object, *, options: object = None) -> object:
        calls.append(p)
        return real(p, options=options)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "scan_path", counting)
    with ThreadPoolExecutor(8) as pool:
        reports = list(pool.map(lambda _: api.cached_scan(path), range(16)))
    assert len(calls) == 1 and all(r is reports[0] for r in reports)
    path.write_bytes(path.read_bytes() + b"")  # same content, new mtime
    import os

    os.utime(path, ns=(1, 1))
    api.cached_scan(path)
    assert len(calls) == 2
