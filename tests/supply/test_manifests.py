from __future__ import annotations

from pathlib import Path

import pytest

from mlsvs.supply.deps import ManifestKind
from mlsvs.supply.errors import ManifestError
from mlsvs.supply.manifests import detect_kind, parse_manifest

SHA = "sha256:" + "ab" * 32
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _by_name(manifest: object) -> dict[str, object]:
    return {d.name: d for d in manifest.dependencies}  # type: ignore[attr-defined]


def test_requirements_features(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("numpy==1.26.4 \\\n    --hash=" + SHA + "\n")
    (tmp_path / "requirements.txt").write_text(
        "# top\n-r base.txt\n--index-url https://pypi.org/simple\n"
        "Torch[cuda]==2.6.0 ; python_version >= '3.10'  # comment\n"
        "scikit_learn>=1.4\n"
        f"mylib @ git+https://github.com/org/mylib@{COMMIT}\n"
        "other @ git+https://github.com/org/other@main\n"
        "https://files.example/pkgs/tiny_pkg-1.0.0-py3-none-any.whl#sha256=" + "cd" * 32 + "\n"
        "-e .\n"
    )
    parsed = parse_manifest(tmp_path / "requirements.txt", root=tmp_path)
    assert parsed.kind is ManifestKind.REQUIREMENTS
    assert parsed.includes == ("base.txt",)
    deps = _by_name(parsed)
    assert deps["numpy"].hashes == (SHA,) and deps["numpy"].pinned and deps["numpy"].line == 1
    assert deps["numpy"].source == "base.txt"
    torch = deps["torch"]
    assert (torch.version, torch.extras, torch.line) == ("2.6.0", ("cuda",), 4)
    assert "python_version" in torch.marker and not torch.hashed
    assert not deps["scikit-learn"].pinned
    assert deps["mylib"].pinned and deps["mylib"].commit == COMMIT and deps["mylib"].hashed
    assert not deps["other"].pinned
    assert deps["tiny-pkg"].version == "1.0.0"
    assert [d for d in parsed.dependencies if d.local and d.group == "editable"]


def test_requirements_include_outside_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "evil.txt").write_text("numpy==1\n")
    (tmp_path / "p" / "requirements.txt").write_text("-r ../evil.txt\ntorch==2.6.0\n")
    parsed = parse_manifest(tmp_path / "p" / "requirements.txt", root=tmp_path / "p")
    assert [d.name for d in parsed.dependencies] == ["torch"]  # evil.txt never read
    assert len(parsed.problems) == 1
    assert parsed.problems[0][:2] == ("requirements.txt", 1)
    assert "outside the project" in parsed.problems[0][2]


def test_requirements_include_cycle_terminates(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r b.txt\nx==1\n")
    (tmp_path / "b.txt").write_text("-r requirements.txt\ny==2\n")
    parsed = parse_manifest(tmp_path / "requirements.txt", root=tmp_path)
    assert sorted(d.name for d in parsed.dependencies) == ["x", "y"]


def test_requirements_bad_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("numpy==1\nnot a (valid) req!!\nscipy==1.11\n")
    parsed = parse_manifest(tmp_path / "requirements.txt", root=tmp_path)
    # A bad line is a problem of that line; the lines around it still count.
    assert [d.name for d in parsed.dependencies] == ["numpy", "scipy"]
    assert [(p, line) for p, line, _ in parsed.problems] == [("requirements.txt", 2)]


def test_pyproject_pep621_and_poetry(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["torch==2.6.0", "numpy>=1.26"]\n'
        '[project.optional-dependencies]\ndev = ["pytest==8.0.0"]\n'
        '[tool.poetry.dependencies]\npython = "^3.11"\ntransformers = "4.48.0"\n'
        'keras = "^3.11"\n'
        f'lib = {{ git = "https://github.com/o/lib", rev = "{COMMIT}" }}\n'
        '[tool.poetry.group.test.dependencies]\nhypothesis = "==6.100.0"\n'
    )
    deps = _by_name(parse_manifest(tmp_path / "pyproject.toml", root=tmp_path))
    assert "python" not in deps
    assert deps["torch"].version == "2.6.0" and deps["numpy"].version is None
    assert deps["pytest"].group == "dev"
    assert deps["transformers"].version == "4.48.0" and deps["keras"].version is None
    assert deps["lib"].commit == COMMIT and deps["hypothesis"].group == "test"


def test_pylock(tmp_path: Path) -> None:
    (tmp_path / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "test"\n'
        '[[packages]]\nname = "numpy"\nversion = "1.26.4"\n'
        f'[[packages.wheels]]\nurl = "https://x/numpy.whl"\nhashes = {{ sha256 = "{"ab" * 32}" }}\n'
        '[[packages]]\nname = "mylib"\n'
        f'vcs = {{ type = "git", url = "https://github.com/o/l", commit-id = "{COMMIT}" }}\n'
        '[[packages]]\nname = "bare"\nversion = "1.0"\n'
    )
    deps = _by_name(parse_manifest(tmp_path / "pylock.toml", root=tmp_path))
    assert deps["numpy"].hashes == ("sha256:" + "ab" * 32,)
    assert deps["mylib"].hashed and not deps["bare"].hashed


def test_uv_lock(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(
        'version = 1\n[[package]]\nname = "demo"\nversion = "0.1.0"\nsource = { editable = "." }\n'
        '[[package]]\nname = "torch"\nversion = "2.5.1"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
        f'sdist = {{ url = "https://x/torch.tar.gz", hash = "{SHA}" }}\n'
        f'wheels = [{{ url = "https://x/torch.whl", hash = "{SHA}" }}]\n'
    )
    deps = _by_name(parse_manifest(tmp_path / "uv.lock", root=tmp_path))
    assert deps["demo"].local
    assert deps["torch"].version == "2.5.1" and deps["torch"].hashes == (SHA,)


def test_poetry_lock_new_and_legacy(tmp_path: Path) -> None:
    (tmp_path / "poetry.lock").write_text(
        '[[package]]\nname = "joblib"\nversion = "1.1.0"\n'
        f'files = [{{ file = "joblib.whl", hash = "{SHA}" }}]\n'
        '[[package]]\nname = "PyYAML"\nversion = "5.3"\n'
        f'[metadata.files]\nPyYAML = [{{ file = "x.tar.gz", hash = "{SHA}" }}]\n'
    )
    deps = _by_name(parse_manifest(tmp_path / "poetry.lock", root=tmp_path))
    assert deps["joblib"].hashes == (SHA,) and deps["pyyaml"].hashes == (SHA,)
    assert deps["pyyaml"].version == "5.3"


def test_conda_environment(tmp_path: Path) -> None:
    (tmp_path / "environment.yml").write_text(
        "name: x\nchannels: [conda-forge]\ndependencies:\n"
        "  - python=3.11\n  - conda-forge::numpy==1.26.4\n  - pytorch=2.5.1=py3.11_cpu_0\n"
        "  - scipy>=1.10\n  - pip\n  - pip:\n    - transformers==4.30.0\n    - -r extra.txt\n"
    )
    deps = _by_name(parse_manifest(tmp_path / "environment.yml", root=tmp_path))
    assert deps["python"].version is None  # fuzzy "=3.11"
    assert deps["numpy"].version == "1.26.4" and deps["numpy"].ecosystem == "conda"
    assert deps["torch"].version == "2.5.1"  # pytorch -> torch for advisory matching
    assert deps["transformers"].version == "4.30.0" and deps["transformers"].group == "pip"


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("pyproject.toml", "[project\n", "invalid TOML"),
        ("uv.lock", "package = 3\n", "must be an array"),
        ("environment.yml", "dependencies: [a, {b: [}\n", "invalid YAML"),
        ("environment.yml", "- just a list\n", "not a conda environment"),
        ("poetry.lock", "[[package]]\nversion = '1'\n", "has no name"),
    ],
)
def test_malformed_files_give_one_line_errors(
    tmp_path: Path, name: str, content: str, needle: str
) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(ManifestError) as info:
        parse_manifest(tmp_path / name, root=tmp_path)
    message = info.value.diagnostics()
    assert needle in message and name in message and "\n" not in message


def test_detect_kind() -> None:
    assert detect_kind("requirements-dev.txt") is ManifestKind.REQUIREMENTS
    assert detect_kind("pylock.prod.toml") is ManifestKind.PYLOCK
    assert detect_kind("setup.py") is ManifestKind.SETUP_PY
    assert detect_kind("README.md") is None


@pytest.mark.parametrize(
    "name",
    [
        "requirements.txt",
        "pyproject.toml",
        "uv.lock",
        "poetry.lock",
        "pylock.toml",
        "environment.yml",
    ],
)
def test_arbitrary_input_never_raises_anything_but_manifest_error(
    tmp_path: Path, name: str
) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    alphabet = st.sampled_from(
        [
            *list("abc=<>~!@#[]{}()\"' ,.:-_/\\\n\t0123456789*;$"),
            "--hash=",
            "-r ",
            "[[package]]\n",
            "dependencies",
            "pip:",
        ]
    )

    @settings(
        database=None,
        max_examples=60,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
        deadline=None,
    )
    @given(st.lists(alphabet, max_size=40).map("".join))
    def check(text: str) -> None:
        (tmp_path / name).write_text(text)
        try:
            parse_manifest(tmp_path / name, root=tmp_path)
        except ManifestError as exc:
            assert "\n" not in exc.diagnostics()

    check()
