"""Grammar-based generation of container and format layouts for the oracle (beyond pickle).

Five families, each a small grammar driven by the same :class:`~tests.scanner.oracle.grammar.Chooser`
(option 0 is always the simplest, so :func:`shrink_layout` can simplify a failing trace):

- ``keras``: ``.keras`` zips and legacy ``.h5`` files whose config (written the way keras 3.15
  writes it) holds a ``__lambda__`` layer function, nested models, wrapper layers, callables
  named by module, ``enable_unsafe_deserialization``; zip member order, compression, duplicates,
  prepended/appended bytes.
- ``onnx``: models whose tensors (initializers, ``Constant`` attributes, sparse initializers,
  subgraphs, model-local functions) point at external data in, next to, or outside the model's
  folder (traversal, absolute paths, symlinks), custom operator domains and functions.
- ``gguf``: chat templates rendered by a sandbox-free Jinja2: roots (``cycler``, ``joiner``,
  ``namespace``, ``lipsum``), every way Jinja reaches an attribute (dot, subscript, ``|attr``),
  name obfuscation (concatenation, escapes, ``|format``, ``|reverse``, ``|join``), staging via
  ``set``/macros/loops; benign templates use the same constructs on messages.
- ``torch``: torch zip record layouts (prefix folder, record-name case, member order,
  compression, duplicates, extra records, trailing bytes, comments) around a grammar pickle.
- ``bundle``: tar / tar.gz / zip / 7z / nested wrappers around a torch checkpoint, unpacked and
  loaded the way a user would.

A sample is a *bug* when the oracle calls it malicious and ``mlsvs scan`` reports nothing; a
benign-intent sample the oracle finds quiet and the scanner flags is a *false alarm*.
"""

from __future__ import annotations

import base64
import io
import json
import marshal
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tests.scanner.oracle.grammar import (
    GADGETS,
    Chooser,
    ReplayChooser,
    _call,
    _Ctx,
    _program,
)
from tests.scanner.scan_pk import PAYLOAD

CODE = "open('inert-marker', 'w')"
FAMILIES = ("keras", "onnx", "gguf", "torch", "bundle", "extract")


@dataclass(frozen=True, slots=True)
class LayoutSample:
    """One generated sample: a main file plus any side files and symlinks in its folder."""

    family: str
    filename: str
    data: bytes
    loaders: tuple[str, ...]
    """Values of :class:`~tests.scanner.oracle.harness.Loader` to judge it with."""
    malicious_intent: bool
    description: str
    trace: tuple[int, ...]
    side_files: tuple[tuple[str, bytes], ...] = ()
    symlinks: tuple[tuple[str, str], ...] = ()
    """(name in the sample's folder, target); targets outside the folder are the point."""

    @property
    def target(self) -> str:
        return f"{self.family}:{self.filename}"


# --- keras ------------------------------------------------------------------------------------

_LAMBDA_SOURCES = (
    f"lambda x: __import__('os').system({PAYLOAD!r}) and x",
    "lambda x: open('inert-marker', 'w') and x",
    f"lambda x: eval({CODE!r}) and x",
    "lambda x: __import__('subprocess').getoutput('echo inert') and x",
)


def _lambda_fn(source: str) -> dict[str, object]:
    code = compile(source, "<lambda>", "eval").co_consts[0]
    text = base64.encodebytes(marshal.dumps(code)).decode()
    return {"class_name": "__lambda__", "config": {"code": text, "defaults": None,
                                                   "closure": None}}  # fmt: skip


def _dtype() -> dict[str, object]:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
            "registered_name": None}  # fmt: skip


def _input(name: str = "input_layer") -> dict[str, object]:
    return {"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": [None, 2], "dtype": "float32", "sparse": False,
                       "ragged": False, "name": name, "optional": False},
            "registered_name": None}  # fmt: skip


def _dense(name: str, activation: object = "linear") -> dict[str, object]:
    init = {"module": "keras.initializers", "class_name": "Zeros", "config": {},
            "registered_name": None}  # fmt: skip
    return {"module": "keras.layers", "class_name": "Dense",
            "config": {"name": name, "trainable": True, "dtype": _dtype(), "units": 2,
                       "activation": activation, "use_bias": True, "kernel_initializer": init,
                       "bias_initializer": init, "kernel_regularizer": None,
                       "bias_regularizer": None, "kernel_constraint": None,
                       "bias_constraint": None},
            "registered_name": None, "build_config": {"input_shape": [None, 2]}}  # fmt: skip


def _lambda_layer(fn: dict[str, object], name: str = "lambda") -> dict[str, object]:
    return {"module": "keras.layers", "class_name": "Lambda",
            "config": {"name": name, "trainable": True, "dtype": _dtype(), "function": fn,
                       "arguments": {}},
            "registered_name": None, "build_config": {"input_shape": [None, 2]}}  # fmt: skip


def _sequential(layers: list[dict[str, object]], name: str = "sequential") -> dict[str, object]:
    return {"module": "keras", "class_name": "Sequential",
            "config": {"name": name, "trainable": True, "dtype": _dtype(), "layers": layers},
            "registered_name": None, "build_config": {"input_shape": [None, 2]}}  # fmt: skip


def _keras_fn_ref(x: _Ctx, benign: bool = False) -> tuple[object, bool]:
    """A callable named in the config (activation): (reference, is it meant to be malicious)."""
    refs = ["relu-string", "relu-function", "os-system", "unsafe-deserialization", "get-file",
            "builtins-eval", "keras-src-module"]  # fmt: skip
    ref = x.c.choose(refs[:2] if benign else refs, "keras-fn-ref")
    x.notes.append(ref)
    match ref:
        case "relu-function":
            return {"module": "keras.activations", "class_name": "relu", "config": None,
                    "registered_name": None}, False  # fmt: skip
        case "os-system":
            return {"module": "os", "class_name": "function", "config": "system",
                    "registered_name": "function"}, True  # fmt: skip
        case "unsafe-deserialization":
            return {"module": "keras.config", "class_name": "function",
                    "config": "enable_unsafe_deserialization",
                    "registered_name": "function"}, True  # fmt: skip
        case "get-file":
            return {"module": "keras.utils", "class_name": "function", "config": "get_file",
                    "registered_name": "function"}, True  # fmt: skip
        case "builtins-eval":
            return {"module": "builtins", "class_name": "function", "config": "eval",
                    "registered_name": "function"}, True  # fmt: skip
        case "keras-src-module":
            return {"module": "keras.src.utils.file_utils", "class_name": "function",
                    "config": "get_file", "registered_name": "function"}, True  # fmt: skip
    return "relu", False


def _keras_model(x: _Ctx, intent: bool) -> dict[str, object]:
    if not intent:
        act, _ = _keras_fn_ref(x, benign=True)
        return _sequential([_input(), _dense("dense", act), _dense("dense_1")])
    how = x.c.choose(["lambda", "nested-lambda", "fn-ref", "lambda-after-unsafe",
                      "time-distributed-lambda", "two-lambdas"], "keras-attack")  # fmt: skip
    x.notes.append(how)
    fn = _lambda_fn(x.c.choose(_LAMBDA_SOURCES, "keras-lambda-source"))
    match how:
        case "nested-lambda":
            inner = _sequential([_input("inner_in"), _lambda_layer(fn)], "inner")
            return _sequential([_input(), inner, _dense("dense")])
        case "fn-ref":
            act, _ = _keras_fn_ref(x)
            return _sequential([_input(), _dense("dense", act)])
        case "lambda-after-unsafe":
            unsafe = {"module": "keras.config", "class_name": "function",
                      "config": "enable_unsafe_deserialization",
                      "registered_name": "function"}  # fmt: skip
            return _sequential([_input(), _dense("dense", unsafe), _lambda_layer(fn)])
        case "time-distributed-lambda":
            td = {"module": "keras.layers", "class_name": "TimeDistributed",
                  "config": {"name": "td", "trainable": True, "dtype": _dtype(),
                             "layer": _lambda_layer(fn)},
                  "registered_name": None}  # fmt: skip
            return _sequential([_input(), td])
        case "two-lambdas":
            benign = _lambda_fn("lambda x: x * 2.0")
            return _sequential([_input(), _lambda_layer(benign, "l0"), _lambda_layer(fn, "l1")])
    return _sequential([_input(), _lambda_layer(fn), _dense("dense")])


def _json(x: _Ctx, obj: object) -> bytes:
    style = x.c.choose(["compact", "indent", "unicode-escape", "bom"], "json-style")
    if style == "indent":
        return json.dumps(obj, indent=2).encode()
    if style == "unicode-escape":  # "\u005f" for underscores and letters of key names
        text = json.dumps(obj)
        return text.replace("__lambda__", "\\u005f\\u005flambda\\u005f\\u005f").encode()
    if style == "bom":
        return b"\xef\xbb\xbf" + json.dumps(obj).encode()
    return json.dumps(obj).encode()


class _Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes data descriptors (flag bit 3, sizes after)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        chunk = bytes(b)  # type: ignore[call-overload]
        self.data += chunk
        return len(chunk)


def _zip(x: _Ctx, members: list[tuple[str, bytes]], label: str, main: str = "") -> bytes:
    """A zip of ``members`` with a chosen order, compression, duplicates and stray bytes.

    ``main`` names the member the loader reads (for name tricks)."""
    order = x.c.choose(["as-is", "reversed", "rotated"], f"{label}-order")
    if order == "reversed":
        members = members[::-1]
    elif order == "rotated" and members:
        members = members[1:] + members[:1]
    method = x.c.choose([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                         zipfile.ZIP_LZMA], f"{label}-compression")  # fmt: skip
    writing = x.c.choose(["seekable", "streamed", "zip64"], f"{label}-writer")
    nul = bool(main) and x.c.choose([False, True], f"{label}-nul-name")
    # a NUL and 4 bytes after the main name: Python's zipfile cuts the name at the NUL
    placeholder = "\x01" * 5
    buf: io.BytesIO | _Unseekable = _Unseekable() if writing == "streamed" else io.BytesIO()
    import warnings

    with zipfile.ZipFile(buf, "w", method) as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, data in members:
            if nul and name == main:
                name += placeholder
            if writing == "zip64":
                with z.open(name, "w", force_zip64=True) as fh:
                    fh.write(data)
            else:
                z.writestr(name, data)
        if x.c.choose([False, True], f"{label}-comment"):
            z.comment = b"inert comment"
    data = bytes(buf.data) if isinstance(buf, _Unseekable) else buf.getvalue()
    if nul:
        data = data.replace((main + placeholder).encode(), (main + "\x00.bak").encode())
    wrap = x.c.choose(["plain", "prefix", "suffix", "after-benign-zip"], f"{label}-stray")
    x.notes.append(f"{label}:{order}/{method}/{writing}/nul={nul}/{wrap}")
    if wrap == "prefix":
        return b"\x00" * 64 + data
    if wrap == "suffix":
        return data + b"\x00" * 64
    if wrap == "after-benign-zip":  # zipfile uses the last end record: this archive
        benign = io.BytesIO()
        with zipfile.ZipFile(benign, "w") as z:
            z.writestr(main or "README.md", b"{}")
        return benign.getvalue() + data
    return data


def _keras(x: _Ctx, intent: bool) -> LayoutSample:
    model = _keras_model(x, intent)
    fmt = x.c.choose(["keras", "h5"], "keras-format")
    if fmt == "h5":
        data = _keras_h5(json.dumps({k: v for k, v in model.items() if k != "module"}))
        return LayoutSample("keras", "model.h5", data, ("keras",), intent, " ".join(x.notes), ())
    config = _json(x, model)
    meta = json.dumps({"keras_version": "3.15.1", "date_saved": "2026-12-02@04:00:00"}).encode()
    members = [("metadata.json", meta), ("config.json", config)]
    if x.c.choose([True, False], "keras-weights"):
        members.append(("model.weights.h5", _empty_h5()))
    dup = x.c.choose(["none", "benign-first", "benign-last"], "keras-duplicate-config")
    benign = json.dumps(_sequential([_input(), _dense("dense")])).encode()
    if dup == "benign-first":
        members.insert(0, ("config.json", benign))
    elif dup == "benign-last":
        members.append(("config.json", benign))
    x.notes.append(f"dup:{dup}")
    data = _zip(x, members, "keras", "config.json")
    return LayoutSample("keras", "model.keras", data, ("keras",), intent, " ".join(x.notes), ())


_H5_CACHE: dict[str, bytes] = {}


def _empty_h5() -> bytes:
    """An HDF5 weights file with the groups keras writes for a model without variables."""
    if "empty" not in _H5_CACHE:
        import tempfile

        import h5py

        with tempfile.TemporaryDirectory() as d:
            path = f"{d}/w.h5"
            with h5py.File(path, "w") as f:
                f.create_group("layers")
                f.create_group("vars")
            with open(path, "rb") as fh:
                _H5_CACHE["empty"] = fh.read()
    return _H5_CACHE["empty"]


def _keras_h5(model_config: str) -> bytes:
    """A legacy HDF5 model the way keras 3 writes one (``model_config`` attribute)."""
    import tempfile

    import h5py

    with tempfile.TemporaryDirectory() as d:
        path = f"{d}/m.h5"
        with h5py.File(path, "w") as f:
            f.attrs["backend"] = "torch"
            f.attrs["keras_version"] = "3.15.1"
            f.attrs["model_config"] = model_config
            weights = f.create_group("model_weights")
            weights.attrs["layer_names"] = []
            weights.attrs["backend"] = "torch"
            weights.attrs["keras_version"] = "3.15.1"
        with open(path, "rb") as fh:
            return fh.read()


# --- onnx -------------------------------------------------------------------------------------

_INSIDE = ("weights.bin", "sub/weights.bin", "./weights.bin")
_OUTSIDE = ("../outside.bin", "/etc/hostname", "sub/../../outside.bin", "link.bin",
            "linkdir/hostname", "..\\outside.bin", "%2e%2e/outside.bin",
            "sub/../weights.bin/../../outside.bin", "//etc/hostname")  # fmt: skip


def _onnx(x: _Ctx, intent: bool) -> LayoutSample:
    from onnx import TensorProto, helper

    location = x.c.choose(_OUTSIDE if intent else _INSIDE, "onnx-location")
    where = x.c.choose(["initializer", "constant-attr", "sparse", "subgraph", "function"],
                       "onnx-tensor")  # fmt: skip
    custom = x.c.choose(["none", "custom-domain", "local-function"], "onnx-custom")
    offsets = x.c.choose([False, True], "onnx-offset")
    x.notes += [location, where, custom, f"offset:{offsets}"]

    def external(name: str) -> TensorProto:
        t = helper.make_tensor(name, TensorProto.FLOAT, [1], [0.0])
        t.ClearField("float_data")
        t.data_location = TensorProto.EXTERNAL
        entries = [("location", location)]
        if offsets:
            entries += [("offset", "0"), ("length", "4")]
        for key, value in entries:
            e = t.external_data.add()
            e.key, e.value = key, value
        return t

    fin = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    fout = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    inits: list[TensorProto] = []
    sparse = []
    nodes = []
    functions = []
    opsets = [helper.make_opsetid("", 17)]
    if where == "initializer":
        inits.append(external("w"))
        nodes.append(helper.make_node("Add", ["x", "w"], ["y"]))
    elif where == "constant-attr":
        nodes.append(helper.make_node("Constant", [], ["w"], value=external("c")))
        nodes.append(helper.make_node("Add", ["x", "w"], ["y"]))
    elif where == "sparse":
        values = external("w")
        indices = helper.make_tensor("w_idx", TensorProto.INT64, [1], [0])
        sparse.append(helper.make_sparse_tensor(values, indices, [1]))
        nodes.append(helper.make_node("Add", ["x", "w"], ["y"]))
    elif where == "subgraph":
        then = helper.make_graph([helper.make_node("Constant", [], ["t"], value=external("c"))],
                                 "then", [], [helper.make_tensor_value_info("t", TensorProto.FLOAT, [1])])  # fmt: skip
        other = helper.make_graph([helper.make_node("Identity", ["x"], ["e"])], "else", [],
                                  [helper.make_tensor_value_info("e", TensorProto.FLOAT, [1])])  # fmt: skip
        inits.append(helper.make_tensor("cond", TensorProto.BOOL, [], [True]))
        nodes.append(helper.make_node("If", ["cond"], ["y"], then_branch=then, else_branch=other))
    else:  # a model-local function whose body holds the external tensor
        body = [helper.make_node("Constant", [], ["c"], value=external("c")),
                helper.make_node("Add", ["a", "c"], ["b"])]  # fmt: skip
        functions.append(helper.make_function("local.fn", "AddC", ["a"], ["b"], body, opsets))
        opsets.append(helper.make_opsetid("local.fn", 1))
        nodes.append(helper.make_node("AddC", ["x"], ["y"], domain="local.fn"))
    if custom == "custom-domain":
        nodes.append(helper.make_node("Evil", ["y"], ["z"], domain="com.acme.native"))
        opsets.append(helper.make_opsetid("com.acme.native", 1))
    elif custom == "local-function":
        fbody = [helper.make_node("Identity", ["a"], ["b"])]
        functions.append(helper.make_function("com.acme", "Pass", ["a"], ["b"], fbody, opsets))
        opsets.append(helper.make_opsetid("com.acme", 1))
        nodes.append(helper.make_node("Pass", ["y"], ["z"], domain="com.acme"))
    outputs = (
        [fout] if custom == "none" else [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1])]
    )
    graph = helper.make_graph(nodes, "g", [fin], outputs, inits, sparse_initializer=sparse)
    model = helper.make_model(graph, opset_imports=opsets, functions=functions)
    weights = struct.pack("<f", 1.0)
    side: list[tuple[str, bytes]] = [("weights.bin", weights), ("sub/weights.bin", weights)]
    links: list[tuple[str, str]] = []
    if location == "link.bin":
        links.append(("link.bin", "/etc/hostname"))
    elif location == "linkdir/hostname":
        links.append(("linkdir", "/etc"))
    data = model.SerializeToString()
    return LayoutSample("onnx", "model.onnx", data, ("onnx",), intent, " ".join(x.notes),
                        tuple(x.c.trace), tuple(side), tuple(links))  # fmt: skip


# --- gguf chat templates -----------------------------------------------------------------------


def _lit(x: _Ctx, text: str) -> str:
    """A Jinja expression evaluating to the string ``text``."""
    how = x.c.choose(["plain", "concat", "hex", "format", "reverse", "join", "lower", "tilde-var",
                      "slice-reverse", "pop", "swapcase", "index", "center", "mod"],
                     "gguf-literal")  # fmt: skip
    if how == "slice-reverse":
        return f"('{text[::-1]}'[::-1])"
    if how == "pop":
        return f"(['{text}'].pop())"
    if how == "swapcase":
        return f"('{text.swapcase()}'.swapcase())"
    if how == "index":
        return f"(['x', '{text}'][1])"
    if how == "center" and text.startswith("__") and text.endswith("__") and len(text) > 4:
        return f"('{text[2:-2]}'.center({len(text)}, '_'))"
    if how == "mod":
        return f"('%s' % '{text}')"
    if how == "concat" and len(text) > 1:
        mid = len(text) // 2
        return f"('{text[:mid]}' ~ '{text[mid:]}')"
    if how == "hex":
        return "'" + "".join(f"\\x{ord(ch):02x}" if ch == "_" else ch for ch in text) + "'"
    if how == "format" and "_" in text:
        parts = text.split("_")
        fmt = "%c".join(parts)
        return f"('{fmt}'|format({', '.join(['95'] * (len(parts) - 1))}))"
    if how == "reverse":
        return f"('{text[::-1]}'|reverse|join)"
    if how == "join":
        return "([" + ", ".join(f"'{ch}'" for ch in text) + "]|join)"
    if how == "lower":
        return f"('{text.upper()}'|lower)"
    return f"'{text}'"


def _attr(x: _Ctx, obj: str, name: str) -> str:
    how = x.c.choose(["dot", "subscript", "attr-filter", "getattr-map"], "gguf-attr")
    if how == "dot" and name.isidentifier():
        return f"{obj}.{name}"
    if how == "attr-filter":
        return f"({obj}|attr({_lit(x, name)}))"
    if how == "getattr-map":  # [obj]|map(attribute=...)|first
        return f"([{obj}]|map(attribute={_lit(x, name)})|first)"
    return f"{obj}[{_lit(x, name)}]"


def _item(x: _Ctx, obj: str, key: str) -> str:
    how = x.c.choose(["subscript", "dot", "get"], "gguf-item")
    if how == "dot" and key.isidentifier():
        return f"{obj}.{key}"
    if how == "get":
        return f"{obj}.get({_lit(x, key)})"
    return f"{obj}[{_lit(x, key)}]"


def _globals(x: _Ctx) -> str:
    root = x.c.choose(["cycler", "joiner", "namespace", "lipsum", "self-init"], "gguf-root")
    x.notes.append(root)
    if root == "lipsum":
        return _attr(x, "lipsum", "__globals__")
    if root == "self-init":
        ctx = _attr(x, "self", "_TemplateReference__context")
        return _attr(x, _attr(x, _attr(x, ctx, "cycler"), "__init__"), "__globals__")
    return _attr(x, _attr(x, root, "__init__"), "__globals__")


def _sink(x: _Ctx, g: str) -> str:
    sink = x.c.choose(["os-popen", "os-system", "builtins-eval", "builtins-open", "import-os",
                       "builtins-exec"], "gguf-sink")  # fmt: skip
    x.notes.append(sink)
    if sink.startswith("os-"):
        os_mod = _item(x, g, "os")
        fn = _attr(x, os_mod, sink[3:])
        tail = ".read()" if sink == "os-popen" and x.c.choose([True, False], "gguf-read") else ""
        return f"({fn})('{PAYLOAD}'){tail}"
    builtins = _item(x, g, "__builtins__")
    if sink == "builtins-eval":
        return f'({_item(x, builtins, "eval")})("{CODE}")'
    if sink == "builtins-exec":
        return f'({_item(x, builtins, "exec")})("{CODE}")'
    if sink == "builtins-open":
        return f"({_item(x, builtins, 'open')})('inert-marker', 'w')"
    imp = _item(x, builtins, "__import__")
    return f"({_attr(x, f'({imp})(' + _lit(x, 'os') + ')', 'system')})('{PAYLOAD}')"


_BENIGN_TEMPLATES = (
    "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}",
    "{{ bos_token }}{% for m in messages %}{% if m.role == 'user' %}[INST] {{ m.content|trim }}"
    " [/INST]{% else %}{{ m.content }}{{ eos_token }}{% endif %}{% endfor %}",
    "{% set ns = namespace(sys='') %}{% for m in messages %}{% if m['role'] == 'system' %}"
    "{% set ns.sys = m['content'] %}{% endif %}{% endfor %}{{ ns.sys }}"
    "{% for m in messages|rejectattr('role', 'equalto', 'system') %}"
    "{{ (m|attr('get'))('content') ~ '\\n' }}{% endfor %}",
    "{% for m in messages %}{{ loop.index0 ~ ':' ~ (m['role']|upper) ~ ' ' ~ m['content'] }}"
    "{% if not loop.last %}{{ '\\n' }}{% endif %}{% endfor %}{{ '%c'|format(10) }}",
    "{% macro render(m) %}{{ '<' ~ m.role ~ '>' ~ m.content|replace('_', ' ') }}{% endmacro %}"
    "{% for m in messages %}{{ render(m) }}{% endfor %}{{ ['a', 'b']|join('-') }}",
)


def _gguf(x: _Ctx, intent: bool) -> LayoutSample:
    if not intent:
        template = x.c.choose(_BENIGN_TEMPLATES, "gguf-benign")
    else:
        staging = x.c.choose(["inline", "set-globals", "macro", "loop", "if", "filter-string",
                              "set-block"], "gguf-staging")  # fmt: skip
        x.notes.append(staging)
        if staging == "set-globals":
            g = _globals(x)
            template = "{% set g = " + g + " %}{{ " + _sink(x, "g") + " }}"
        else:
            expr = _sink(x, _globals(x))
            match staging:
                case "macro":
                    template = "{% macro run() %}{{ " + expr + " }}{% endmacro %}{{ run() }}"
                case "loop":
                    template = (
                        "{% for m in messages %}{{ m['content'] }}{{ " + expr + " }}{% endfor %}"
                    )
                case "if":
                    template = "{% if " + expr + " %}{% endif %}"
                case "filter-string":
                    template = "{{ (" + expr + ")|string|length }}"
                case "set-block":
                    template = "{% set out %}{{ " + expr + " }}{% endset %}{{ out }}"
                case _:
                    template = "{{ " + expr + " }}"
        if x.c.choose([False, True], "gguf-benign-prefix"):
            template = _BENIGN_TEMPLATES[0] + template
    data = _gguf_bytes(template)
    x.notes.append(f"template={template[:160]!r}")
    return LayoutSample("gguf", "model.gguf", data, ("jinja2-gguf",), intent, " ".join(x.notes), ())


def _gguf_bytes(template: str) -> bytes:
    import tempfile
    from pathlib import Path

    from tests.scanner.scan_benign import gguf_file

    with tempfile.TemporaryDirectory() as d:
        return gguf_file(Path(d), template).read_bytes()


# --- torch zip record layouts -----------------------------------------------------------------


def _grammar_pickle(x: _Ctx, intent: bool) -> bytes:
    if not intent:  # what a real checkpoint holds (the pickle grammar's benign calls use gadget
        # wrappers such as BUILD-patched functions, which are rightly flagged)
        import pickle
        from collections import OrderedDict

        obj = x.c.choose([OrderedDict(w=[0.5, 1.5], step=3), {"epoch": 2, "lr": 1e-3},
                          [OrderedDict(a=b"\x00" * 8), {"s": {1, 2}}]], "benign-object")  # fmt: skip
        proto_ = x.c.choose([2, 3, 4, 5, 0], "benign-protocol")
        x.notes.append(f"benign protocol {proto_}")
        return pickle.dumps(obj, protocol=proto_)
    module, name, args = x.c.choose(GADGETS, "target")
    x.notes.append(f"{module}.{name}")
    return _program(x, _call(x, module, name, args))


def _torch_zip(x: _Ctx, pkl: bytes) -> bytes:
    prefix = x.c.choose(["archive", "model", "a.b-c", "x" * 64, "archive/sub", "ARCHIVE"],
                        "torch-prefix")  # fmt: skip
    record = x.c.choose(["data.pkl", "DATA.PKL", "Data.Pkl"], "torch-record")
    x.notes.append(f"{prefix}/{record}")
    members = [(f"{prefix}/{record}", pkl)]
    extras = x.c.choose(["version", "none", "full", "serialization-id"], "torch-extras")
    if extras in ("version", "full"):
        members.append((f"{prefix}/version", b"3\n"))
    if extras == "full":
        members += [(f"{prefix}/byteorder", b"little"), (f"{prefix}/data/0", b"\x00" * 16),
                    (f"{prefix}/.data/version", b"3\n")]  # fmt: skip
    if extras == "serialization-id":
        members += [(f"{prefix}/.data/serialization_id", b"1234567890"),
                    (f"{prefix}/version", b"3\n")]  # fmt: skip
    dup = x.c.choose(["none", "benign-first", "benign-last"], "torch-duplicate")
    benign = b"\x80\x02}q\x00."
    if dup == "benign-first":
        members.insert(0, (f"{prefix}/{record}", benign))
    elif dup == "benign-last":
        members.append((f"{prefix}/{record}", benign))
    x.notes.append(f"dup:{dup}")
    return _zip(x, members, "torch", f"{prefix}/{record}")


def _torch(x: _Ctx, intent: bool) -> LayoutSample:
    pkl = _grammar_pickle(x, intent)
    name = x.c.choose(["model.pt", "pytorch_model.bin", "weights", "model.ckpt"], "torch-name")
    data = _torch_zip(x, pkl)
    return LayoutSample("torch", name, data, ("torch",), intent, " ".join(x.notes), ())


# --- bundles ----------------------------------------------------------------------------------


def _tar(members: list[tuple[str, bytes]], mode: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:  # type: ignore[call-overload]
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _bundle(x: _Ctx, intent: bool) -> LayoutSample:
    pkl = _grammar_pickle(x, intent)
    inner = _torch_zip(x, pkl) if x.c.choose([True, False], "bundle-inner-zip") else pkl
    member = x.c.choose(["model.pt", "deep/dir/model.pt", "pytorch_model.bin", "weights"],
                        "bundle-member")  # fmt: skip
    wrap = x.c.choose(["tar", "tar.gz", "zip", "zip-in-tar", "tar-in-zip", "7z", "tar.xz"],
                      "bundle-wrap")  # fmt: skip
    x.notes += [member, wrap]
    readme = ("README.md", b"# model\n")
    if wrap == "tar":
        data, fname = _tar([readme, (member, inner)], "w"), "bundle.tar"
    elif wrap == "tar.gz":
        data, fname = _tar([readme, (member, inner)], "w:gz"), "bundle.tar.gz"
    elif wrap == "tar.xz":
        data, fname = _tar([readme, (member, inner)], "w:xz"), "bundle.tar.xz"
    elif wrap == "zip":
        data, fname = _plain_zip([readme, (member, inner)]), "bundle.zip"
    elif wrap == "zip-in-tar":
        data, fname = _tar([("inner.zip", _plain_zip([(member, inner)]))], "w"), "bundle.tar"
    elif wrap == "tar-in-zip":
        data, fname = _plain_zip([("inner.tar", _tar([(member, inner)], "w"))]), "bundle.zip"
    else:
        data, fname = _sevenzip(member, inner), "bundle.7z"
    return LayoutSample("bundle", fname, data, ("extract-torch",), intent, " ".join(x.notes), ())


def _plain_zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def _sevenzip(member: str, data: bytes) -> bytes:
    import tempfile

    import py7zr

    with tempfile.TemporaryDirectory() as d:
        path = f"{d}/b.7z"
        with py7zr.SevenZipFile(path, "w") as z:
            z.writestr(data, member)
        with open(path, "rb") as fh:
            return fh.read()


def _extract(x: _Ctx, intent: bool) -> LayoutSample:
    """A tar or zip whose members escape the extraction folder (names, links, link chains)."""
    fmt = x.c.choose(["tar", "zip", "tar.gz"], "extract-format")
    readme = ("README.md", b"# bundle\n")
    members: list[tarfile.TarInfo | tuple[str, bytes]] = [readme]
    trick = "benign"
    if intent:
        trick = x.c.choose(["dotdot", "nested-dotdot", "absolute", "symlink-out",
                            "symlink-dir-then-file", "hardlink-out", "backslash", "dot-slash"],
                           "extract-trick")  # fmt: skip
    else:
        trick = x.c.choose(["benign", "symlink-in", "subdir"], "extract-benign")
    x.notes += [fmt, trick]

    def reg(name: str, data: bytes = b"inert") -> tarfile.TarInfo | tuple[str, bytes]:
        return (name, data)

    def link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = target
        return info

    match trick:
        case "dotdot":
            members.append(reg("../inert-escaped.txt"))
        case "nested-dotdot":
            members.append(reg("a/b/../../../inert-escaped.txt"))
        case "absolute":
            members.append(reg("/tmp/mlsvs-inert-absolute.txt"))
        case "symlink-out":
            members.append(link("model.bin", "/etc/hostname"))
        case "symlink-dir-then-file":
            members += [link("up", ".."), reg("up/inert-escaped.txt")]
        case "hardlink-out":
            members.append(link("model.bin", "/etc/hostname", tarfile.LNKTYPE))
        case "backslash":
            members.append(reg("..\\inert-escaped.txt"))
        case "dot-slash":
            members.append(reg("./../inert-escaped.txt"))
        case "symlink-in":
            members += [reg("weights.bin"), link("latest.bin", "weights.bin")]
        case "subdir":
            members.append(reg("models/v1/weights.bin"))
    if fmt == "zip":
        regular = [m for m in members if isinstance(m, tuple)]
        links = [m for m in members if isinstance(m, tarfile.TarInfo)]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name, data in regular:
                z.writestr(name, data)
            for info in links:  # a zip "symlink": mode bits 0o120777, data = target
                zi = zipfile.ZipInfo(info.name)
                zi.external_attr = 0o120777 << 16
                z.writestr(zi, info.linkname)
        return LayoutSample("extract", "bundle.zip", buf.getvalue(), ("extract",), intent,
                            " ".join(x.notes), ())  # fmt: skip
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if fmt == "tar.gz" else "w") as tar:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tar.addfile(m)
            else:
                info = tarfile.TarInfo(m[0])
                info.size = len(m[1])
                tar.addfile(info, io.BytesIO(m[1]))
    name = "bundle.tar.gz" if fmt == "tar.gz" else "bundle.tar"
    return LayoutSample(
        "extract", name, buf.getvalue(), ("extract",), intent, " ".join(x.notes), ()
    )


_BUILDERS: dict[str, Callable[[_Ctx, bool], LayoutSample]] = {
    "keras": _keras, "onnx": _onnx, "gguf": _gguf, "torch": _torch, "bundle": _bundle,
    "extract": _extract,
}  # fmt: skip


def generate_layout(c: Chooser, families: Sequence[str] = FAMILIES) -> LayoutSample:
    """One sample of one of ``families`` (the first decision picks the family)."""
    x = _Ctx(c)
    family = c.choose(list(families), "family")
    intent = c.choose([True, True, True, False], "intent")
    sample = _BUILDERS[family](x, intent)
    return LayoutSample(
        family=sample.family,
        filename=sample.filename,
        data=sample.data,
        loaders=sample.loaders,
        malicious_intent=intent,
        description=sample.description,
        trace=tuple(c.trace),
        side_files=sample.side_files,
        symlinks=sample.symlinks,
    )


def shrink_layout(
    trace: Sequence[int], still_bad: Callable[[LayoutSample], bool], families: Sequence[str]
) -> LayoutSample:
    """Simplify a failing trace greedily (each decision towards option 0) while it still fails."""
    best = list(trace)
    changed = True
    while changed:
        changed = False
        for i in range(1, len(best)):  # decision 0 is the family: keep it
            if best[i] == 0:
                continue
            trial = [*best[:i], 0, *best[i + 1 :]]
            sample = generate_layout(ReplayChooser(trial), families)
            if still_bad(sample):
                best = list(sample.trace)
                changed = True
                break
    return generate_layout(ReplayChooser(best), families)


__all__ = ["FAMILIES", "LayoutSample", "generate_layout", "shrink_layout", "zlib"]
