"""Remote sources with their real clients: S3 (boto3 against moto's server), the Hugging Face
Hub (huggingface_hub against a stand-in), MLflow (REST against a stand-in)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlsvs.fleet.engine import LocalEngine
from mlsvs.fleet.plan import Sizing
from mlsvs.fleet.results import reports_of
from mlsvs.fleet.run import fleet_scan
from mlsvs.fleet.sources import Endpoints
from mlsvs.scanner.report import ScanOptions
from tests.fleet.corpus import verdicts
from tests.fleet.standins import HubStandIn, MlflowStandIn, tree_files

pytestmark = [pytest.mark.network, pytest.mark.slow]

_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture(scope="module")
def s3(tree: Path):
    """A moto S3 server on 127.0.0.1 holding the tree under s3://models/team/."""
    moto_server = pytest.importorskip("moto.server")
    import boto3

    saved = {k: os.environ.get(k) for k in _AWS}
    os.environ.update(_AWS)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=url)
    client.create_bucket(Bucket="models")
    for rel, data in tree_files(tree).items():
        client.put_object(Bucket="models", Key=f"team/{rel}", Body=data)
    try:
        yield url, client
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run(sources, out: Path, endpoints: Endpoints, **kw):
    return fleet_scan(
        sources,
        cache_path=out / "cache.sqlite",
        options=ScanOptions(),
        engine=LocalEngine(),
        endpoints=endpoints,
        sizing=Sizing(task_bytes=4 << 20, task_files=16),
        **kw,
    )


def _by_relative(run, prefix: str) -> dict[str, tuple[str, tuple[tuple[object, ...], ...]]]:
    got = verdicts(reports_of(run.rows))
    return {uri.split(prefix, 1)[1]: v for uri, v in got.items() if prefix in uri}


def _reference_by_relative(reference, tree: Path):
    return {str(Path(p).relative_to(tree)): v for p, v in reference.items()}


def test_s3_same_verdicts_and_a_checkpoint_costs_its_pickles(s3, tree, reference, tmp_path):
    url, _ = s3
    run = _run(["s3://models/team/"], tmp_path, Endpoints(s3=url))
    got = _by_relative(run, "s3://models/team/")
    want = _reference_by_relative(reference, tree)
    assert set(want) <= set(got)  # S3 lists every object; the local walk skips prose
    for rel, verdict in want.items():
        assert got[rel] == verdict, rel
    assert got["README.md"][0] == "clean"
    big = next(r for r in run.rows if r.uri.endswith("big/checkpoint.pt"))
    assert big.size > 24_000_000
    assert 0 < big.fetched < 300_000  # directory, headers and data.pkl: not the tensors
    assert run.stats.bytes_fetched < run.stats.bytes_stored // 4


def test_s3_unchanged_objects_are_not_read_again(s3, tmp_path):
    url, client = s3
    first = _run(["s3://models/team/malicious/"], tmp_path, Endpoints(s3=url))
    second = _run(["s3://models/team/malicious/"], tmp_path, Endpoints(s3=url))
    assert second.stats.scanned == 0 and second.stats.bytes_fetched == 0
    assert second.stats.cached == len(first.rows)
    key = "team/malicious/000/model.pkl"
    body = client.get_object(Bucket="models", Key=key)["Body"].read()
    client.put_object(Bucket="models", Key=key, Body=body + b".")  # new ETag
    try:
        third = _run(["s3://models/team/malicious/"], tmp_path, Endpoints(s3=url))
    finally:
        client.put_object(Bucket="models", Key=key, Body=body)
    assert third.stats.scanned == 1
    (row,) = [r for r in third.rows if not r.cached]
    assert row.uri == f"s3://models/{key}"


def test_s3_object_replaced_after_listing_is_an_error_never_cached(s3, tmp_path):
    from mlsvs.fleet.s3 import s3_item
    from mlsvs.fleet.work import scan_item

    url, _ = s3
    stale = s3_item("s3://models/", url, "models", "team/small.pt", 100, "0" * 32, "")
    report, _, cacheable = scan_item(stale, ScanOptions())
    assert report.errors and not cacheable
    assert report.findings[-1].rule.value == "GEN003"


def test_s3_missing_bucket_is_reported(s3, tmp_path):
    url, _ = s3
    run = _run(["s3://no-such-bucket/x"], tmp_path, Endpoints(s3=url))
    (row,) = run.rows
    assert row.kind == "listing" and json.loads(row.report)["errors"]


def test_hub_org_and_repo_with_huggingface_hub(tree, reference, tmp_path):
    files = tree_files(tree)
    repos = {
        "acme/vision": {k: v for k, v in files.items() if not k.startswith("malicious")},
        "acme/legacy": {k: v for k, v in files.items() if k.startswith("malicious")},
        "other/thing": {"model.safetensors": files["model.safetensors"]},
    }
    want = _reference_by_relative(reference, tree)
    with HubStandIn(repos) as hub:
        run = _run(["hf://acme"], tmp_path, Endpoints(hf=hub.url))
        assert {r.uri.split("@")[0] for r in run.rows} == {"hf://acme/vision", "hf://acme/legacy"}
        got = {
            r.uri.split("@", 1)[1].split("/", 1)[1]: v
            for r, v in zip(run.rows, verdicts(reports_of(run.rows)).values(), strict=True)
        }
        for rel, verdict in want.items():
            assert got[rel] == verdict, rel
        big = next(r for r in run.rows if r.uri.endswith("big/checkpoint.pt"))
        assert big.fingerprint.startswith("sha256:") and big.fetched < 300_000
        assert hub.served.bytes < sum(len(v) for v in files.values()) // 4
        one = _run(["hf://other/thing"], tmp_path, Endpoints(hf=hub.url))
        assert one.stats.cached == 1  # same LFS SHA-256 as acme/vision's file: not read again


def test_hub_server_ignoring_ranges_is_read_whole_once(tree, tmp_path):
    data = (tree / "big" / "checkpoint.pt").read_bytes()
    with HubStandIn({"acme/big": {"checkpoint.pt": data}}, honour_ranges=False) as hub:
        run = _run(["hf://acme/big"], tmp_path, Endpoints(hf=hub.url))
    (row,) = run.rows
    assert json.loads(row.report)["findings"] == []
    assert hub.served.bytes == len(data) and row.fetched == len(data)


def test_mlflow_registry_versions(tree, reference, s3, tmp_path):
    url, _ = s3
    files = tree_files(tree)
    root = "1/0123abcd/artifacts/model"
    artifacts = {f"{root}/{k}": v for k, v in files.items() if k.startswith("malicious/00")}
    versions = {
        ("fraud", "1"): f"mlflow-artifacts:/{root}",
        ("fraud", "2"): "s3://models/team/big/",
        ("ranker", "1"): "hdfs://namenode/models/ranker",
    }
    with MlflowStandIn(versions, artifacts) as mlflow:
        run = _run(["mlflow://"], tmp_path, Endpoints(mlflow=mlflow.url, s3=url))
    got = verdicts(reports_of(run.rows))
    for name in artifacts:
        rel = name.removeprefix(root + "/")
        assert got[f"mlflow://fraud/1/{rel}"] == reference[str(tree / rel)], rel
    assert got["s3://models/team/big/checkpoint.pt"][0] == "clean"
    errors = [r for r in run.rows if r.kind == "listing"]
    assert [r.uri for r in errors] == ["mlflow://ranker/1"]  # not verified, never skipped
    assert all(r.source == "mlflow://" for r in run.rows)
