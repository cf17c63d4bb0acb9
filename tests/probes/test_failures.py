"""Unreachable, hung and TLS-broken endpoints are "could not verify", never a pass."""

from __future__ import annotations

import datetime as dt
import socket
from typing import TYPE_CHECKING

import pytest

from mlsvs.checks.endpoints import probes as endpoint_checks
from mlsvs.cli.main import main
from mlsvs.model.artifact import Capability, Endpoint, Project
from mlsvs.model.check import CheckContext
from mlsvs.model.result import Status
from mlsvs.probes import Area, Failure, ProbeSettings, ProbeVerdict, probe_endpoint
from tests.probes import servers

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.network

FAST = ProbeSettings(timeout_s=1.0, slow_body_s=1.0, burst=5)


def _endpoint(url: str) -> Endpoint:
    return Endpoint(name="e", url=url, request_template=servers.TEMPLATE)


def _verdicts(url: str, settings: ProbeSettings = FAST) -> dict[Area, ProbeVerdict]:
    report = probe_endpoint(_endpoint(url), settings, None)
    return {r.area: r.verdict for r in report.results}


def test_closed_port_is_errored_with_the_reason() -> None:
    port = servers.free_port()
    report = probe_endpoint(_endpoint(f"http://127.0.0.1:{port}/predict"), FAST, None)
    assert {r.verdict for r in report.results} == {ProbeVerdict.ERROR}
    assert "connection refused" in report.result(Area.AUTHENTICATION).message
    assert len(report.observations.exchanges) == 1  # nothing more is sent to a dead endpoint


def test_hung_server_times_out_and_is_errored() -> None:
    with servers.silent_server() as port:
        report = probe_endpoint(_endpoint(f"http://127.0.0.1:{port}/predict"), FAST, None)
    assert {r.verdict for r in report.results} == {ProbeVerdict.ERROR}
    baseline = report.observations.exchanges[0]
    assert baseline.failure is Failure.TIMEOUT
    assert "timed out" in report.result(Area.RATE_LIMIT).message
    assert report.duration_ms < 5000


def test_https_to_a_plain_http_server_is_errored() -> None:
    import threading

    server = servers.QuietServer(("127.0.0.1", 0), servers._JsonHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        report = probe_endpoint(_endpoint(f"https://127.0.0.1:{port}/predict"), FAST, None)
    finally:
        server.shutdown()
        server.server_close()
    assert {r.verdict for r in report.results} == {ProbeVerdict.ERROR}
    assert "TLS handshake failed" in report.result(Area.TRANSPORT).message


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    pytest.importorskip("cryptography")
    return servers.self_signed(tmp_path_factory.mktemp("tls"))


def test_self_signed_certificate_fails_transport_and_blocks_the_rest(
    certificate: tuple[Path, Path],
) -> None:
    with servers.tls_server(*certificate) as port:
        report = probe_endpoint(_endpoint(f"https://127.0.0.1:{port}/predict"), FAST, None)
    transport = report.result(Area.TRANSPORT)
    assert transport.verdict is ProbeVerdict.FAIL
    assert "certificate" in transport.message
    others = {r.verdict for r in report.results if r.area is not Area.TRANSPORT}
    assert others == {ProbeVerdict.ERROR}


def test_trusted_private_ca_passes_transport(certificate: tuple[Path, Path]) -> None:
    cert, _ = certificate
    settings = ProbeSettings(timeout_s=2.0, slow_body_s=1.0, burst=5, ca_file=str(cert))
    with servers.tls_server(*certificate) as port:
        endpoint = Endpoint(
            name="e",
            url=f"https://127.0.0.1:{port}/predict",
            request_template=servers.TEMPLATE,
            auth_env="UNUSED_IN_THIS_TEST",
        )
        report = probe_endpoint(endpoint, settings, servers.API_KEY)
    baseline = report.observations.exchanges[0]
    assert baseline.status == 200
    assert "Bearer [REDACTED]" in baseline.body  # echoed by the server, redacted by the probe
    assert servers.API_KEY not in repr(report)
    transport = report.result(Area.TRANSPORT)
    assert transport.verdict is ProbeVerdict.PASS, transport
    assert dict(transport.facts)["tls.version"] in {"TLSv1.2", "TLSv1.3"}
    # The stdlib server accepts anyone: the same probe run proves authentication missing.
    assert report.result(Area.AUTHENTICATION).verdict is ProbeVerdict.FAIL


def test_missing_template_is_a_setup_error() -> None:
    endpoint = Endpoint(name="e", url="http://127.0.0.1:9/predict")
    report = probe_endpoint(endpoint, FAST, None)
    assert {r.verdict for r in report.results} == {ProbeVerdict.ERROR}
    assert "request_template" in report.result(Area.MALFORMED_INPUT).message


def test_plain_http_to_a_remote_host_fails_without_sending_anything() -> None:
    endpoint = Endpoint(name="e", url="http://192.0.2.10/predict")  # TEST-NET-1, no template
    report = probe_endpoint(endpoint, FAST, None)
    assert report.result(Area.TRANSPORT).verdict is ProbeVerdict.FAIL
    assert report.observations.exchanges == ()


def _project(tmp_path: Path, *, traits: frozenset[str], endpoints: tuple[Endpoint, ...]) -> Project:
    return Project(root=tmp_path, name="p", traits=traits, endpoints=endpoints)


def test_trait_without_endpoint_is_errored(tmp_path: Path) -> None:
    project = _project(tmp_path, traits=frozenset({"exposes_inference_api"}), endpoints=())
    ctx = CheckContext(project=project, today=dt.date(2026, 1, 1))
    [outcome] = endpoint_checks.endpoint_rate_limited.run(ctx, project)
    assert outcome.status is Status.ERROR
    assert "declare the endpoint to probe" in outcome.message


def test_no_endpoint_no_trait_abstains(tmp_path: Path) -> None:
    """No endpoint declared: nothing to probe (the trait profile decides applicability)."""
    project = _project(tmp_path, traits=frozenset(), endpoints=())
    ctx = CheckContext(project=project, today=dt.date(2026, 1, 1))
    [outcome] = endpoint_checks.endpoint_transport_secure.run(ctx, project)
    assert outcome.status is Status.ABSTAINED


def test_bad_probe_settings_are_one_line_errors(tmp_path: Path) -> None:
    endpoint = _endpoint(f"http://127.0.0.1:{servers.free_port()}/predict")
    project = _project(tmp_path, traits=frozenset(), endpoints=(endpoint,))
    ctx = CheckContext(
        project=project,
        today=dt.date(2026, 1, 1),
        settings={"probes": {"burst": 100_000}},
        capabilities=frozenset({Capability.NETWORK}),
    )
    [outcome] = endpoint_checks.endpoint_rate_limited.run(ctx, project)
    assert outcome.status is Status.ERROR
    assert "probes.burst: must be between 1 and 500" in outcome.message


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = servers.free_port()
    (tmp_path / "mlsvs.toml").write_text(
        f'[[endpoints]]\nname = "down"\nurl = "http://127.0.0.1:{port}/p"\n'
        f"request_template = '{{}}'\n[probes]\ntimeout_s = 1\n",
        encoding="utf-8",
    )
    assert main(["probe", str(tmp_path)]) == 2
    assert "--allow network" in capsys.readouterr().err
    assert main(["probe", str(tmp_path), "--allow", "network", "--endpoint", "nope"]) == 2
    assert "unknown endpoint 'nope'" in capsys.readouterr().err
    assert main(["probe", str(tmp_path), "--allow", "network"]) == 1
    out = capsys.readouterr().out
    assert "ERROR" in out
    assert "connection refused" in out
    (tmp_path / "mlsvs.toml").write_text(
        "[probes]\nbogus = 1\n[[endpoints]]\nurl='http://127.0.0.1:1/'\n"
    )
    assert main(["probe", str(tmp_path), "--allow", "network"]) == 2
    assert "probes.bogus: unknown probe setting" in capsys.readouterr().err


def test_loopback_socket_helper_is_really_loopback() -> None:
    port = servers.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        assert sock.getsockname()[0] == "127.0.0.1"
