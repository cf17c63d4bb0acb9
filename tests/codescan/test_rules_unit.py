"""Unit tests of rule behaviour that annotated fixtures cannot express."""

from __future__ import annotations

import pytest

from mlsvs.codescan import CodeRule, scan_python
from mlsvs.model.result import Severity


def _hits(source: str, **kwargs: str | None) -> list[tuple[str, Severity]]:
    result = scan_python(source, path="m.py", **kwargs)
    assert result.errors == ()
    return [(f.rule.value, f.severity) for f in result.findings]


@pytest.mark.parametrize(
    ("call", "version", "expected"),
    [
        ("torch.load(p)", None, [("MLCODE001", Severity.CRITICAL)]),
        ("torch.load(p)", "2.6.0", [("MLCODE001", Severity.LOW)]),
        ("torch.load(p)", "2.13.0+cpu", [("MLCODE001", Severity.LOW)]),
        ("torch.load(p)", "2.5.1", [("MLCODE001", Severity.CRITICAL)]),
        ("torch.load(p, weights_only=True)", None, []),
        ("torch.load(p, weights_only=True)", "2.6", []),
        ("torch.load(p, weights_only=True)", "2.4.0", [("MLCODE001", Severity.HIGH)]),
        ("torch.load(p, weights_only=False)", "2.8.0", [("MLCODE001", Severity.CRITICAL)]),
        ("torch.load(p, weights_only=opt)", None, [("MLCODE001", Severity.MEDIUM)]),
        ("torch.load(p, weights_only=True)", "garbage", []),
    ],
)
def test_torch_version_hook(call: str, version: str | None, expected: list[object]) -> None:
    assert _hits(f"import torch\n{call}\n", torch_version=version) == expected


def test_syntax_error_is_reported_not_skipped() -> None:
    result = scan_python("import torch\ntorch.load(\n", path="bad.py")
    assert result.findings == ()
    assert len(result.errors) == 1
    assert result.errors[0].startswith("bad.py: line ")


def test_null_bytes_are_an_error() -> None:
    result = scan_python("x = 1\x00", path="nul.py")
    assert result.errors == ("nul.py: syntax error: source code string cannot contain null bytes",)


def test_reasoned_suppression_counts() -> None:
    result = scan_python(
        "import pickle\npickle.loads(b'')  # mlsvs: ignore[MLCODE002] reason: test data\n",
        path="s.py",
    )
    assert result.findings == ()
    assert result.suppressed == 1


def test_module_rebinding_shadows_import() -> None:
    source = "import pickle\npickle.loads(b'')\npickle = object()\npickle.loads(b'')\n"
    assert [f.line for f in scan_python(source, path="m.py").findings] == [2]


def test_local_import_inside_function() -> None:
    source = "def f(p):\n    import joblib as jl\n    return jl.load(p)\n"
    [finding] = scan_python(source, path="m.py").findings
    assert (finding.rule, finding.line) == (CodeRule.MLCODE002, 3)


def test_class_scope_does_not_leak_into_methods() -> None:
    source = (
        "import pickle\nclass A:\n    pickle = None\n    def m(self):\n"
        "        return pickle.loads(b'')\n"
    )
    [finding] = scan_python(source, path="m.py").findings
    assert finding.line == 5


def test_columns_count_characters_not_bytes() -> None:
    source = "import pickle\nx = ('é', pickle.loads(b''))\n"
    [finding] = scan_python(source, path="m.py").findings
    assert finding.column == 11


def test_unicode_source_with_coding_cookie(tmp_path) -> None:
    from mlsvs.codescan import scan_file

    path = tmp_path / "latin.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\nimport pickle\ns = '\xe9'\npickle.loads(s)\n")
    result = scan_file(path, display="latin.py")
    assert result.errors == ()
    assert [f.line for f in result.findings] == [4]


def test_unreadable_and_oversized_files_are_errors(tmp_path) -> None:
    from mlsvs.codescan import scan_file

    missing = scan_file(tmp_path / "nope.py", display="nope.py")
    assert missing.errors and missing.errors[0].startswith("nope.py: cannot read")
    big = tmp_path / "big.py"
    big.write_text("x = 1\n" * 10)
    assert scan_file(big, display="big.py", max_bytes=10).errors
