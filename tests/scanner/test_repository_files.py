"""Classes of false alarm found by scanning real repository checkouts as a whole (numpy, joblib,
onnx, xgboost, LightGBM, whisper.cpp, ...): each file here is a small equivalent built at test
time of an ordinary file that once had a finding or was "not verified"."""

from __future__ import annotations

import struct
import sys
import zipfile
import zlib
from typing import TYPE_CHECKING

import pytest

from mlsvs.model.artifact import ModelFormat
from mlsvs.scanner import scan_path, scan_paths
from mlsvs.scanner.policy import CallVerdict, classify
from tests.scanner.scan_benign import LEGACY

if TYPE_CHECKING:
    from pathlib import Path

_TEXTS: dict[str, bytes] = {
    # The ninth byte is "{": read as a safetensors header length of exabytes (ST001).
    "CITATION.bib": b"@ARTICLE{2020NumPy-Array,\n  author = {Harris, C. R.},\n}\n",
    "build.gradle": b"plugins {\r\n    id 'java'\r\n}\r\n",
    "script.js": b"$(() => {\n    /* Use wider container */\n});\n",
    # "c" + "ontext('...')" is a GLOBAL of a name nothing can import, then "." ends the stream.
    "test_helpers.R": b"context('Test helper functions')\n\nVCD_AVAILABLE <- TRUE\n"
    b".skip_if_vcd_not_available <- function() {}\n",
    # Legacy encodings: Windows-1252 em dash, Big5 and GBK Chinese.
    "README_sycl.md": "# Build\r\n\r\nHardware accelerators\u2014such as GPUs\r\n".encode("cp1252"),
    "special_encoding.py": "# -*- coding: big5 -*-\n\n# 中文註解：模型訓練\n".encode("big5"),
    "说明.txt": ("数据集说明：训练与评估。\n" * 600).encode("gbk"),
    # JSON whose first key is "version" is no XGBoost model unless the value is [x, y, z].
    "document.cdss": b'{\n  "version": 2200,\n  "style": {"~": {}}\n}\n',
}


def test_text_in_any_common_encoding_is_no_model(tmp_path: Path) -> None:
    for name, data in _TEXTS.items():
        (tmp_path / name).write_bytes(data)
    fits = b"SIMPLE  =                    T".ljust(2880, b" ") + struct.pack(">4f", 1, 2, 3, 4)
    (tmp_path / "recarray_from_file.fits").write_bytes(fits)
    icc = struct.pack(">I", 3144) + b"Lino\x02\x10\x00\x00mntrRGB XYZ " + bytes(12) + b"acsp"
    (tmp_path / "srgb.icm").write_bytes(icc.ljust(3144, b"\x00"))
    assert scan_paths([tmp_path]) == ()  # a walk skips them all
    kinds = ("text", "FITS data", "ICC color profile")
    for path in tmp_path.iterdir():
        report = scan_path(path)  # named explicitly: recognised, no finding, not unverified
        assert report.clean and report.content in kinds, (path.name, report)


@pytest.mark.parametrize("name", sorted(LEGACY))
def test_files_of_old_numpy_releases_are_clean(tmp_path: Path, name: str) -> None:
    """gensim's test models (numpy < 1.17, Python 2): an old RandomState constructor and py2
    scalars were PKL002/PKL009 findings."""
    pytest.importorskip("numpy")
    report = scan_path(LEGACY[name](tmp_path))
    assert report.clean, [f.message for f in report.findings]


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_record_arrays_are_clean(tmp_path: Path, protocol: int) -> None:
    """numpy record arrays (DataFrame.to_records(), statsmodels' results) were PKL002/PKL009:
    their array class and a dtype built on numpy.record."""
    import pickle

    np = pytest.importorskip("numpy")
    records = np.rec.array([(1, 2.5), (3, 4.5)], dtype=[("a", "i4"), ("b", "f8")])
    path = tmp_path / "records.pkl"
    path.write_bytes(pickle.dumps({"r": records, "one": records[0]}, protocol=protocol))
    report = scan_path(path)
    assert report.clean, [f.message for f in report.findings]


def test_old_random_state_constructor_takes_no_argument(tmp_path: Path) -> None:
    path = tmp_path / "old.pkl"
    path.write_bytes(b"\x80\x02cnumpy.random\n__RandomState_ctor\nK\x05\x85R.")  # (5,)
    assert "PKL009" in {f.rule.value for f in scan_path(path).findings}


def test_scikit_learn_classes_that_moved_module_are_their_new_names(tmp_path: Path) -> None:
    """A Bunch cached by scikit-learn <= 0.20 (gensim's mini_newsgroup) names the module it was
    defined in then; 0.21-1.1 name sklearn.utils."""
    for old in ("sklearn.datasets.base.Bunch", "sklearn.utils.Bunch"):
        assert classify(old).verdict is CallVerdict.ALLOWED, old
    assert classify("sklearn.datasets.base.Other").verdict is CallVerdict.UNKNOWN
    path = tmp_path / "mini_newsgroup"
    path.write_bytes(
        b"\x80\x02csklearn.datasets.base\nBunch\nq\x00)\x81q\x01}q\x02U\x04dataq\x03]sb."
    )
    assert scan_path(path).clean


def _gettext_catalog(messages: dict[str, str], byteorder: str) -> bytes:
    """A GNU .mo file as msgfmt writes it (header, original and translation tables, strings)."""
    keys = sorted(messages)
    ids = b"".join(k.encode() + b"\0" for k in keys)
    strs = b"".join(messages[k].encode() + b"\0" for k in keys)
    n, start = len(keys), 28 + 16 * len(keys)
    originals, translations, offset = [], [], 0
    for k in keys:
        originals += [len(k.encode()), start + offset]
        offset += len(k.encode()) + 1
    offset = 0
    for k in keys:
        translations += [len(messages[k].encode()), start + len(ids) + offset]
        offset += len(messages[k].encode()) + 1
    fmt = "<" if byteorder == "little" else ">"
    header = struct.pack(f"{fmt}7I", 0x950412DE, 0, n, 28, 28 + 8 * n, 0, start)
    return header + struct.pack(f"{fmt}{4 * n}I", *originals, *translations) + ids + strs


def _eot(font: bytes) -> bytes:
    """An EOT (version 0x00020001) wrapping ``font``: sizes, PANOSE, weight, magic 0x504C."""
    fixed = struct.pack(
        "<IIII10sBBIHH", 0, len(font), 0x00020001, 0, bytes(10), 1, 0, 400, 0, 0x504C
    )
    body = fixed + bytes(4 * 4 + 4 * 2 + 4) + bytes(2 * 4 + 2 * 4 + 2) + font
    return struct.pack("<I", len(body)) + body[4:]


def test_ordinary_binary_files_of_documentation_and_builds(tmp_path: Path) -> None:
    """Found as not verified in gensim's and coremltools' checkouts: the gettext catalogs and
    EOT fonts of a Sphinx theme, the strong-name keys of a .NET build."""
    import gettext
    import io

    files = {
        "sphinx.mo": _gettext_catalog({"": "Language: de\n", "Search": "Suche"}, "little"),
        "sphinx_be.mo": _gettext_catalog({"Search": "Suche"}, "big"),
        "webfont.eot": _eot(b"\x00\x01\x00\x00" + bytes(60)),
        "Key.snk": b"\x07\x02\x00\x00\x00\x24\x00\x00RSA2" + bytes(580),
        "Key.public.snk": struct.pack("<III", 0x2400, 0x8004, 148)
        + b"\x06\x02\x00\x00\x00\x24\x00\x00RSA1"
        + bytes(136),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    for name in ("sphinx.mo", "sphinx_be.mo"):  # the standard library reads them
        assert gettext.GNUTranslations(io.BytesIO(files[name])).gettext("Search") == "Suche"
    assert scan_paths([tmp_path]) == ()
    for path in tmp_path.iterdir():
        report = scan_path(path)
        assert report.clean and report.content is not None, (path.name, report)
    # The EOT's own size field must match the file: otherwise it is unknown content.
    (tmp_path / "webfont.eot").write_bytes(files["webfont.eot"] + b"\x00")
    assert [f.rule.value for f in scan_path(tmp_path / "webfont.eot").gaps] == ["GEN001"]


def test_certificates_and_key_stores_are_ordinary(tmp_path: Path) -> None:
    """pytorch/serve's test keystore.p12 was not verified: DER files (certificates, keys,
    PKCS#12 stores) are one ASN.1 SEQUENCE spanning the file."""
    import datetime

    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "test")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    der = serialization.Encoding.DER
    files = {
        "cert.der": cert.public_bytes(der),
        "key.der": key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        "keystore.p12": pkcs12.serialize_key_and_certificates(
            b"test", key, cert, None, serialization.BestAvailableEncryption(b"pw")
        ),
    }
    for file_name, data in files.items():
        (tmp_path / file_name).write_bytes(data)
    assert scan_paths([tmp_path]) == ()
    for path in tmp_path.iterdir():
        assert scan_path(path).clean, path.name
    cut = tmp_path / "keystore.p12"
    cut.write_bytes(files["keystore.p12"][:-1])  # the length no longer spans the file
    assert not scan_path(cut).verified


@pytest.mark.parametrize("opening", [b"RDX3\nX\n\x00\x00\x00\x03", b"X\n\x00\x00\x00\x03"])
def test_r_data_is_named_and_not_verified(tmp_path: Path, opening: bytes) -> None:
    """xgboost's and LightGBM's R packages ship .rda data: R's own serialization, which can
    hold code R runs on load, so it stays not verified; the report says what it is."""
    import gzip

    path = tmp_path / "agaricus.rda"
    path.write_bytes(gzip.compress(opening + bytes(range(200))))
    report = scan_path(path)
    assert not report.verified and not report.hazards
    assert "R serialized data" in report.gaps[0].message


def test_scientific_data_files_are_ordinary(tmp_path: Path) -> None:
    """statsmodels' checkout: MATLAB v5 .mat (scipy.io) and Stata .dta (pandas, old binary and
    XML-style releases) files were not verified."""
    np = pytest.importorskip("numpy")
    scipy_io = pytest.importorskip("scipy.io")
    pd = pytest.importorskip("pandas")
    scipy_io.savemat(tmp_path / "results.mat", {"x": np.arange(6.0).reshape(2, 3)})
    scipy_io.savemat(tmp_path / "packed.mat", {"y": np.ones(4)}, do_compression=True)
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5], "c": ["x", "y"]})
    for version in (114, 117, 118):
        frame.to_stata(tmp_path / f"data{version}.dta", version=version, write_index=False)
    assert scipy_io.loadmat(tmp_path / "results.mat")["x"].shape == (2, 3)
    assert list(pd.read_stata(tmp_path / "data114.dta")["a"]) == [1, 2]
    assert scan_paths([tmp_path]) == ()
    for path in tmp_path.iterdir():
        report = scan_path(path)
        assert report.clean and report.content in ("MATLAB MAT-file (v5)", "Stata data"), report


def _document_with_embedded_zip(members: dict[str, bytes]) -> bytes:
    """An OLE2 document whose records hold a zip (Excel 97-2003 .xls files written by Excel
    2007 and later carry their theme that way), more sectors after it."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    return ole + bytes(range(256)) * 8 + buf.getvalue() + bytes(512)


def test_zip_inside_an_ordinary_document_is_read_as_zipfile_reads_it(tmp_path: Path) -> None:
    """statsmodels' .xls test files: zipfile opens the embedded theme zip, so the scanner read
    it as an archive and then refused its structure (not verified)."""
    from tests.scanner.scan_pk import system_call

    theme = {"[Content_Types].xml": b"<?xml version='1.0'?><Types/>", "theme/theme1.xml": b"<a/>"}
    path = tmp_path / "spec.xls"
    path.write_bytes(_document_with_embedded_zip(theme))
    assert zipfile.ZipFile(path).namelist() == list(theme)  # what zipfile-based loaders see
    report = scan_path(path)
    assert report.clean and report.format is ModelFormat.ARCHIVE, report
    path.write_bytes(_document_with_embedded_zip({**theme, "model/data.pkl": system_call()}))
    rules = {f.rule.value for f in scan_path(path).findings}
    assert {"PKL001", "ZIP005"} <= rules  # a model archive behind a prefix is a polyglot
    path.write_bytes(bytes(range(1, 256)) * 4 + _document_with_embedded_zip(theme)[520:])
    assert "ZIP005" in {f.rule.value for f in scan_path(path).findings}  # unknown prefix


def _tfjs_model(d: Path, weights: list[dict[str, object]], shard_bytes: list[int]) -> list[Path]:
    """A TensorFlow.js model.json and its weight shards (tfjs-converter's layout)."""
    import json

    names = [f"group1-shard{i + 1}of{len(shard_bytes)}.bin" for i in range(len(shard_bytes))]
    manifest = [{"paths": names, "weights": weights}]
    topology = {"class_name": "Sequential", "config": {"layers": []}}
    model = {"format": "layers-model", "modelTopology": topology, "weightsManifest": manifest}
    (d / "model.json").write_text(json.dumps(model))
    shards = []
    for name, n in zip(names, shard_bytes, strict=True):
        (d / name).write_bytes(bytes(range(256)) * (n // 256) + bytes(n % 256))
        shards.append(d / name)
    return shards


def test_tensorflow_js_weight_shards_are_tensor_data(tmp_path: Path) -> None:
    """tfjs' checkout: weights.bin / group1-shardNofM.bin next to model.json were not
    verified. A shard is tensor data when its group's shards hold exactly the weights' bytes."""
    weights = [
        {"name": "dense/kernel", "shape": [100, 20], "dtype": "float32"},  # 8000 bytes
        {"name": "dense/bias", "shape": [20], "dtype": "float32"},  # 80
        {"name": "q", "shape": [10], "dtype": "float32", "quantization": {"dtype": "uint8"}},
        {"name": "mask", "shape": [6], "dtype": "bool"},
    ]
    shards = _tfjs_model(tmp_path, weights, [4096, 8096 - 4096])
    for shard in shards:
        report = scan_path(shard)
        assert report.clean and report.content == "tensor data of model.json", report
    assert all(r.clean for r in scan_paths([tmp_path]))  # model.json is text: skipped
    shards[1].write_bytes(shards[1].read_bytes() + b"\x00")  # one byte more than the weights
    assert [f.rule.value for f in scan_path(shards[0]).gaps] == ["GEN001"]
    shards[1].unlink()  # a shard missing: the group cannot be checked
    assert not scan_path(shards[0]).verified


def test_tensorflow_js_groups_of_unknown_size_are_not_recognised(tmp_path: Path) -> None:
    strings = [{"name": "table", "shape": [2], "dtype": "string"}]
    [shard] = _tfjs_model(tmp_path, strings, [16])
    assert not scan_path(shard).verified


def test_binary_safetensors_length_beyond_the_file_is_still_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(struct.pack("<Q", 1 << 40) + b'{"w": {}}')
    assert [f.rule.value for f in scan_path(path).findings] == ["ST001"]


def test_onnx_tensor_files_are_recognised(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    np = pytest.importorskip("numpy")
    from onnx import numpy_helper

    tensor = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "input")
    onnx.save_tensor(tensor, str(tmp_path / "input_0.pb"))
    ints = numpy_helper.from_array(np.arange(4, dtype=np.int64), "ids")
    seq = numpy_helper.from_list([numpy_helper.to_array(tensor), numpy_helper.to_array(ints)])
    (tmp_path / "input_1.pb").write_bytes(seq.SerializeToString())
    for name, content in (("input_0.pb", "ONNX TensorProto"), ("input_1.pb", "ONNX Sequence")):
        report = scan_path(tmp_path / name)
        assert report.clean and report.format is ModelFormat.TENSOR_DATA, report
        assert report.content.startswith(content)
    external = numpy_helper.from_array(np.ones(4, dtype=np.float32), "w")
    onnx.external_data_helper.set_external_data(external, location="../../secrets.bin")
    external.ClearField("raw_data")
    (tmp_path / "external.pb").write_bytes(external.SerializeToString())
    report = scan_path(tmp_path / "external.pb")  # names a path the reader opens: not passed
    assert not report.verified and [f.rule.value for f in report.gaps] == ["GEN001"]


def test_legacy_ggml_file_is_tensor_data(tmp_path: Path) -> None:
    hparams = struct.pack("<11i", 51865, 1500, 384, 6, 4, 448, 384, 6, 4, 80, 1)
    path = tmp_path / "for-tests-ggml-tiny.bin"
    path.write_bytes(b"lmgg" + hparams + bytes(range(256)) * 8)
    report = scan_path(path)
    assert report.clean and report.format is ModelFormat.TENSOR_DATA, report
    path.write_bytes(b"lmgg" + b"\xff" * 12 + bytes(range(256)))  # magic alone is not enough
    assert [f.rule.value for f in scan_path(path).gaps] == ["GEN001"]


def test_jar_with_an_empty_deflated_member_is_clean(tmp_path: Path) -> None:
    path = tmp_path / "gradle-wrapper.jar"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("META-INF/", b"")
        z.writestr("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n")
        z.writestr("org/gradle/wrapper/Main.class", b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + bytes(64))
        z.writestr("gradle-wrapper-parameter-names.properties", b"")  # 2 deflate bytes
    with zipfile.ZipFile(path) as z:
        assert z.getinfo("gradle-wrapper-parameter-names.properties").compress_size > 0
    assert scan_path(path).clean


def _py2_array(cls: bytes, reconstruct: bytes = b"numpy.core.multiarray\n_reconstruct\n") -> bytes:
    """An ndarray pickled by numpy on Python 2: dtype('f8', 0, 1) with int flags, and the
    placeholder dtype 'b' as a py2 str (SHORT_BINSTRING), like numpy's astype_copy.pkl."""
    data = struct.pack("<3d", 1.0, 2.0, 3.0)
    return (
        b"\x80\x02c" + reconstruct + b"q\x01c" + cls + b"q\x02K\x00\x85U\x01b\x87Rq\x03"
        b"(K\x01K\x03\x85cnumpy\ndtype\nq\x04U\x02f8K\x00K\x01\x87Rq\x05"
        b"(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89U"
        + bytes([len(data)])
        + data
        + b"tb."
    )


@pytest.mark.parametrize(
    ("cls", "reconstruct"),
    [
        (b"numpy\nndarray\n", b"numpy.core.multiarray\n_reconstruct\n"),
        (b"numpy.matrixlib.defmatrix\nmatrix\n", b"numpy.core.multiarray\n_reconstruct\n"),
        (b"numpy\nndarray\n", b"numpy.core._internal\n_reconstruct\n"),  # numpy < 1.0 name
    ],
)
def test_python2_numpy_pickles_are_clean(tmp_path: Path, cls: bytes, reconstruct: bytes) -> None:
    path = tmp_path / "astype_copy.pkl"
    path.write_bytes(_py2_array(cls, reconstruct))
    report = scan_path(path)
    assert report.clean, [f"{f.rule.value} {f.message}" for f in report.findings]


def test_object_array_npy_is_clean_and_its_pickle_still_judged(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    path = tmp_path / "objarr.npy"
    np.save(path, np.array([None, range, "優良", b"raw", {"k": 1}], dtype=object))
    assert scan_path(path).clean
    from tests.scanner.scan_pk import system_call

    raw = path.read_bytes()
    start = raw.index(b"\n") + 1  # end of the .npy header
    path.write_bytes(raw[:start] + system_call())
    rules = {f.rule.value for f in scan_path(path).findings}
    assert {"NPY001", "PKL001"} <= rules


def _zfile(payload: bytes, extra_space: bool) -> bytes:
    """joblib < 0.10 compressed file: "ZF", the length in hex padded to 19, the zlib stream."""
    return (
        b"ZF"
        + hex(len(payload)).encode().ljust(19)
        + (b" " if extra_space else b"")
        + (zlib.compress(payload))
    )


@pytest.mark.parametrize("extra_space", [False, True])
def test_joblib_zfile_payload_is_scanned(tmp_path: Path, extra_space: bool) -> None:
    import pickle

    from tests.scanner.scan_pk import system_call

    path = tmp_path / "joblib_0.9.2_compressed_pickle_py27_np17.gz"
    path.write_bytes(_zfile(pickle.dumps({"a": [1, 2.5], "b": "text"}, protocol=2), extra_space))
    report = scan_path(path)
    assert report.clean and report.format is ModelFormat.JOBLIB, report
    path.write_bytes(_zfile(system_call(), extra_space))
    assert "PKL001" in {f.rule.value for f in scan_path(path).findings}


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (lengths below 128 here)."""
    return bytes([number << 3 | 2, len(payload)]) + payload


def test_sentencepiece_tokenizer_model_is_recognised(tmp_path: Path) -> None:
    """tokenizer.model / spiece.model: ModelProto of pieces (piece, score, type) and specs."""
    pieces = b"".join(
        _field(1, _field(1, text.encode()) + b"\x15" + struct.pack("<f", score) + b"\x18" + t)
        for text, score, t in (
            ("<unk>", 0.0, b"\x02"),
            ("<s>", 0.0, b"\x03"),
            ("▁模型", -3.5, b"\x01"),
        )
    )
    trainer = _field(2, b"\x0a\x05a.txt" + b"\x18\x88\x27")  # input, vocab_size 5000
    normalizer = _field(3, b"\x0a\x08nmt_nfkc")
    path = tmp_path / "tokenizer.model"
    path.write_bytes(pieces + trainer + normalizer)
    report = scan_path(path)
    assert report.clean and report.content == "SentencePiece tokenizer model", report
    path.write_bytes(pieces[:-3])  # cut inside a piece: no longer parses
    assert [f.rule.value for f in scan_path(path).gaps] == ["GEN001"]


def test_unimportable_first_global_is_text_only_when_it_comes_first(tmp_path: Path) -> None:
    from mlsvs.scanner import identify

    path = tmp_path / "test_helpers.R"
    path.write_bytes(_TEXTS["test_helpers.R"])
    assert identify(path) is ModelFormat.UNKNOWN
    # A computed STACK_GLOBAL before it: the unpickler resolves that one first.
    path.write_bytes(b"K\x01K\x02\x93c not importable\nx\n0.")
    assert identify(path) is ModelFormat.PICKLE


def test_prose_that_parses_as_a_constant_and_stop_is_text(tmp_path: Path) -> None:
    """A LICENSE starting "Copyright (c) 2018, ..." reads as SHORT_BINBYTES of ord("o") bytes
    followed by STOP (LPIPS' license, copied into many repositories): text, not a pickle."""
    from mlsvs.scanner import identify

    path = tmp_path / "LICENSE"
    path.write_bytes(b"Co" + b"pyright holders " * 6 + b"xxxxxxxxxxxxxxx.\nAll rights reserved.\n")
    assert identify(path) is ModelFormat.UNKNOWN and scan_path(path).content == "text"
    # the same start with a code path after it is still a pickle (a loader may read on)
    path.write_bytes(b"Co" + b"pyright holders " * 6 + b"xxxxxxxxxxxxxxx.cos\nsystem\n(S'id'\ntR.")
    assert identify(path) is ModelFormat.PICKLE


def test_lz4_frame_without_the_lz4_package_is_named_and_not_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "lz4", None)  # import lz4 raises ImportError
    monkeypatch.setitem(sys.modules, "lz4.frame", None)
    path = tmp_path / "model.pkl.lz4"
    path.write_bytes(b'\x04"M\x18@@\xc0' + bytes(range(64)))  # LZ4 frame magic, descriptor
    report = scan_path(path)
    assert not report.verified and not report.hazards
    assert "LZ4-compressed" in report.gaps[0].message
    assert "mlsvs[archives]" in report.gaps[0].message


def test_lz4_joblib_files_are_decompressed_and_scanned(tmp_path: Path) -> None:
    """joblib's compress='lz4' (joblib's own test data has one): read as joblib.load reads it."""
    joblib = pytest.importorskip("joblib")
    lz4_frame = pytest.importorskip("lz4.frame")
    np = pytest.importorskip("numpy")
    from mlsvs.scanner.report import ScanOptions
    from tests.scanner.scan_pk import system_call

    benign = tmp_path / "model.pkl.lz4"
    joblib.dump({"w": np.arange(12.0).reshape(3, 4), "name": "x"}, benign, compress="lz4")
    report = scan_path(benign)
    assert report.clean and report.format is ModelFormat.JOBLIB, report
    bad = tmp_path / "bad.pkl.lz4"
    bad.write_bytes(lz4_frame.compress(system_call()))
    assert "PKL001" in {f.rule.value for f in scan_path(bad).findings}
    # Two frames back to back: the second is read too (the loader decompresses both).
    bad.write_bytes(lz4_frame.compress(b"") + lz4_frame.compress(system_call()))
    assert "PKL001" in {f.rule.value for f in scan_path(bad).findings}
    damaged = tmp_path / "damaged.pkl.lz4"
    damaged.write_bytes(b'\x04"M\x18@@\xc0' + bytes(range(64)))
    gaps = scan_path(damaged).gaps
    assert gaps and "does not decompress" in gaps[0].message
    bomb = tmp_path / "bomb.pkl.lz4"
    bomb.write_bytes(lz4_frame.compress(b"\x80\x04" + bytes(16 * 1024 * 1024)))
    report = scan_path(bomb, options=ScanOptions(max_memory_bytes=4 * 1024 * 1024))
    assert not report.verified and "ARC001" in {f.rule.value for f in report.gaps}
