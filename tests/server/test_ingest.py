"""Ingest: idempotent per digest, refuses malformed and unknown-catalog documents, bounded."""

from __future__ import annotations

import copy
import json

import pytest

from tests.server.conftest import make_env


def test_same_document_twice_is_one_run(env, corpus):
    first = env.upload(corpus.run1)
    assert first.status_code == 201
    again = env.upload(corpus.run1)
    assert again.status_code == 200
    assert again.json()["run_id"] == first.json()["run_id"]
    assert again.json()["created"] is False
    runs = env.client().get(
        "/api/v1/systems/1/runs", headers={"authorization": f"Bearer {env.tokens['read']}"}
    )
    assert [r["digest"] for r in runs.json()] == [first.json()["digest"]]


def test_second_run_updates_current_level_and_history(env, corpus):
    env.upload(corpus.run1)
    env.upload(corpus.run2)
    reader = {"authorization": f"Bearer {env.tokens['read']}"}
    systems = env.client().get("/api/v1/systems", headers=reader).json()
    scorer = next(s for s in systems if s["name"] == "fraud-scorer")
    assert scorer["runs"] == 2
    assert scorer["open_failures"] == sum(
        1 for f in corpus.run2["findings"] if f["status"] in {"fail", "error"} and not f["waiver"]
    )
    runs = env.client().get(f"/api/v1/systems/{scorer['id']}/runs", headers=reader).json()
    assert runs[0]["id"] == scorer["latest_run_id"]
    assert runs[0]["counts"]["pass"] == sum(
        1 for v in corpus.run2["verdicts"] if v["verdict"] == "pass"
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("verdicts"), "verdicts"),
        (lambda d: d.update(schema_version="9.0"), "schema_version 9.0"),
        (lambda d: d["standard"].update(version="0.9.0"), "unknown catalog"),
        (lambda d: d["standard"].update(digest="0" * 64), "does not match"),
        (lambda d: d["verdicts"][0].update(verdict="great"), "verdicts.0.verdict"),
    ],
)
def test_malformed_or_unknown_catalog_is_a_clear_4xx(env, corpus, mutate, message):
    doc = copy.deepcopy(corpus.run1)
    mutate(doc)
    response = env.upload(doc)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert (
        env.client()
        .get("/api/v1/systems", headers={"authorization": f"Bearer {env.tokens['read']}"})
        .json()
        == []
    )


def test_not_json_and_not_an_object(env):
    client = env.client()
    headers = {"authorization": f"Bearer {env.tokens['ingest']}"}
    assert client.post("/api/v1/runs", content=b"{nope", headers=headers).status_code == 422
    response = client.post("/api/v1/runs", content=b"[1, 2]", headers=headers)
    assert response.status_code == 422
    assert "JSON object" in response.json()["detail"]


def test_request_size_is_bounded(database, tmp_path, corpus):
    small = make_env(database, tmp_path / "d", max_upload_bytes=64 * 1024)
    try:
        body = json.dumps(corpus.run2).encode()
        assert len(body) > 64 * 1024
        response = small.upload(corpus.run2)
        assert response.status_code == 413
        # A chunked body without Content-Length is cut off too.
        client = small.client()

        def chunks():
            for i in range(0, len(body), 8192):
                yield body[i : i + 8192]

        response = client.post(
            "/api/v1/runs",
            content=chunks(),
            headers={"authorization": f"Bearer {small.tokens['ingest']}"},
        )
        assert response.status_code == 413
    finally:
        small.app.state.engine.dispose()


def test_tokens_need_the_ingest_scope_and_a_role_that_may_ingest(env, corpus):
    assert env.upload(corpus.run1, token=env.tokens["read"]).status_code == 403
    assert env.upload(corpus.run1, token=env.tokens["viewer-ingest"]).status_code == 403
    assert env.upload(corpus.run1, token="mlsvs_" + "x" * 43).status_code == 401
    response = env.client().post("/api/v1/runs", content=b"{}")
    assert response.status_code == 401


def test_tokens_are_stored_hashed(env):
    from sqlalchemy import select

    from mlsvs.server.models import ApiToken

    with env.app.state.sessions() as session:
        stored = list(session.execute(select(ApiToken.token_hash)).scalars())
    assert env.tokens["ingest"] not in stored
    import hashlib

    assert hashlib.sha256(env.tokens["ingest"].encode()).hexdigest() in stored


def test_nul_characters_from_scanned_artifacts_are_stored_and_shown_replaced(env, corpus):
    doc = copy.deepcopy(corpus.run2)
    doc["project"]["name"] = "nul\x00system"
    failing = next(f for f in doc["findings"] if f["status"] == "fail")
    failing["message"] = "pickle opcode\x00 payload"
    failing["target"]["path"] = "models/evil\x00.pkl"
    response = env.upload(doc)
    assert response.status_code == 201, response.text
    assert response.json()["system"] == "nul\ufffdsystem"
    page = env.client("vic").get("/findings").text
    assert "pickle opcode\ufffd payload" in page
    assert "\x00" not in page
    # A search for NUL is an ordinary query, not a database error.
    reader = {"authorization": f"Bearer {env.tokens['read']}"}
    r = env.client().get("/api/v1/systems", params={"q": "\x00"}, headers=reader)
    assert r.status_code == 200
    assert [s["name"] for s in r.json()] == ["nul\ufffdsystem"]


def test_nul_escape_found_however_many_escapes_come_first():
    from mlsvs.server.ingest import canonical, has_nul_escape

    assert not has_nul_escape(canonical({"a": "plain", "b": 'quote " and \\ back'}))
    assert has_nul_escape(canonical({"a": "x\x00"}))
    # The text backslash-u0000 (an escaped backslash) is not a NUL; backslash then NUL is.
    assert not has_nul_escape(canonical({"a": "\\u0000"}))
    assert has_nul_escape(canonical({"a": "\\\x00"}))
    # Past the escapes walked one by one, the rest is still searched.
    for n in (63, 64, 65, 500):
        escapes = ["\n"] * n
        assert has_nul_escape(canonical({"a": escapes, "z": "late\x00"})), n
        assert not has_nul_escape(canonical({"a": escapes, "z": "late"})), n


def test_a_nul_after_many_escapes_is_still_replaced(env, corpus):
    doc = copy.deepcopy(corpus.run2)
    doc["project"]["name"] = "escapes"
    for f in doc["findings"]:
        f["message"] = "line\n" * 40 + f["message"]
    failing = next(f for f in reversed(doc["findings"]) if f["status"] == "fail")
    failing["message"] += "\x00tail"
    assert env.upload(doc).status_code == 201
    page = env.client("vic").get("/findings").text
    assert "\ufffdtail" in page


def test_non_finite_numbers_are_not_json(env, corpus):
    """``NaN`` is no JSON number (mlsvs never writes one); two spellings must not share a digest."""
    text = json.dumps(corpus.run1).replace('"schema_version"', '"x": NaN, "schema_version"', 1)
    headers = {"authorization": f"Bearer {env.tokens['ingest']}"}
    response = env.client().post("/api/v1/runs", content=text.encode(), headers=headers)
    assert response.status_code == 422
    assert "NaN is not a JSON number" in response.json()["detail"]


@pytest.mark.parametrize(
    "data",
    [
        {"b": [1, 2.5, 1e-05, 1e16, "é\u2028\x1f"], "a": {"z": None, "y": True}},
        {"big": 2**70, "a": 1},
    ],
)
def test_canonical_form_sorts_keys_and_depends_only_on_the_data(data):
    from mlsvs.server.ingest import canonical

    shuffled = dict(reversed(list(data.items())))
    assert canonical(data) == canonical(shuffled)
    assert json.loads(canonical(data)) == data
    assert b" " not in canonical(data).replace("é".encode(), b"")
    assert list(json.loads(canonical(data))) == sorted(data)


@pytest.mark.parametrize(
    "text",
    [
        b'{"a": [1, -0.0, 2.5e-308, 1.7976931348623157e308, 0.1, 123456789012345678], "s": "\\u00e9"}',
        b'{"big": 123456789012345678901234567890, "neg": -18446744073709551617}',
        b'{"lone": "\\ud800", "n": 1}',
        b'{"dup": 1, "dup": 2}',
    ],
    ids=["floats", "big-integers", "lone-surrogate", "duplicate-key"],
)
def test_fast_and_standard_parsers_read_the_same_data(text):
    """orjson (the fast path) and the standard library must agree, or digests would differ."""
    from mlsvs.server.ingest import parse_body

    data = parse_body(text)
    assert data == json.loads(text)
    assert [type(v) for v in _leaves(data)] == [type(v) for v in _leaves(json.loads(text))]


def _leaves(value):  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        return [leaf for k in sorted(value) for leaf in _leaves(value[k])]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'{"x": 1e400}', "out of range"),
        (b'{"x": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"x": }', "not JSON: Expecting value"),
        (b'{"x": "\xff"}', "not JSON"),
    ],
    ids=["overflow", "infinity", "malformed", "not-utf8"],
)
def test_bodies_neither_parser_reads_are_named(text, message):
    from mlsvs.server.ingest import IngestError, parse_body

    with pytest.raises(IngestError, match=message):
        parse_body(text)


def test_documents_are_stored_compressed_and_older_gzip_rows_still_read(env, corpus):
    import gzip

    from sqlalchemy import select

    from mlsvs.server.ingest import canonical, compress_document, load_document
    from mlsvs.server.models import Run

    run_id = env.upload(corpus.run1).json()["run_id"]
    with env.app.state.sessions() as session:
        blob = session.execute(select(Run.document).where(Run.id == run_id)).scalar_one()
    assert blob == compress_document(canonical(corpus.run1))
    assert len(blob) < len(canonical(corpus.run1)) / 2
    stored = load_document(blob)
    legacy = load_document(gzip.compress(canonical(corpus.run1), mtime=0))
    assert stored == legacy
    assert stored.project.name == corpus.run1["project"]["name"]


def test_deeply_nested_bodies_are_refused_not_a_server_error(env):
    headers = {"authorization": f"Bearer {env.tokens['ingest']}"}
    body = b'{"schema_version": "1.0", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    response = env.client().post("/api/v1/runs", content=body, headers=headers)
    assert response.status_code == 422
    assert "nested too deeply" in response.json()["detail"]
