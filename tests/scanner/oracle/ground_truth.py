"""Oracle-proven ground truth for the fixtures that are *not* loader exploits here.

Every fixture of ``tests/scanner/scan_malicious.py`` is in exactly one category:

- **malicious** (not listed here): the real loader present here is exploited (the oracle tier
  runs it and records the payload acting);
- one of the categories below, each proven by the oracle too: the real loaders named are run
  on the fixture, nothing harmful happens, and each one ends the way the entry says (the error
  it raises, or ``None``: it completes). The scanner still reports each one with the rules the
  fixture names (``tests/scanner/test_corpus.py``); its finding is defence in depth, for other
  loader versions and readers, or an honest "not verified".

Categories:
``loader-refused``  the layout is dangerous only to other versions/readers; the loader here
                    refuses it by design (raises).
``neutralised``     the loader completes but neutralises the trick (no write/read outside).
``gadget-absent``   the callable does not exist in the installed library version.
``unknown``         names a module that does not exist: unknown, not exploitable (scanner:
                    PKL002/PKL003, "not verified").
``malformed``       a header the real loader rejects (the scanner's finding guards parsers).
``resource``        denial of service: the loader fails on an absurd allocation.
``unidentified``    content no loader accepts (scanner: GEN001 "not verified").
``no-loader``       the loader is not installed here (TensorFlow): NOT proven; the tier fails
                    the day the loader is installed and the entry is still here.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.scanner.oracle.harness import Loader

_PICKLES = (Loader.PICKLE, Loader.PICKLE_STREAM, Loader.TORCH, Loader.JOBLIB)


@dataclass(frozen=True, slots=True)
class Truth:
    category: str
    loaders: tuple[Loader, ...]
    error: str | None
    """Substring of the error every loader raises; ``None``: each loader completes."""
    reason: str


GROUND_TRUTH: dict[str, Truth] = {
    # loader-refused: defence in depth for other loader versions / readers
    "zip-encrypted-flag": Truth("loader-refused", (Loader.TORCH,), "unsupported encryption",
        "torch 2.13 (miniz) refuses members flagged encrypted; zipfile-based readers do not "
        "check the flag. Scanner: PKL001 + ZIP006"),
    "zip-prefixed-archive": Truth("loader-refused", (Loader.TORCH,), "invalid load key",
        "torch 2.13 needs the zip at offset 0 and unpickles the prefix; Python's zipfile "
        "accepts prefixed zips. Scanner: PKL001 + ZIP005"),
    "zip-two-data-pkl": Truth("loader-refused", (Loader.TORCH,), "not in a subdirectory",
        "torch 2.13 refuses records in a second top-level folder; older readers took the "
        "first data.pkl they found. Scanner: PKL001 + ZIP007"),
    "onnx-external-traversal": Truth("loader-refused", (Loader.ONNX,), "points outside",
        "onnx >= 1.16 refuses external data outside the model folder (CVE-2024-27318). "
        "Scanner: ONX001"),
    "onnx-external-absolute": Truth("loader-refused", (Loader.ONNX,), "absolute path",
        "onnx >= 1.16 refuses absolute external-data paths (CVE-2024-27319). Scanner: ONX001"),
    "onnx-custom-domain": Truth("loader-refused", (Loader.ONNXRUNTIME,),
        "not a registered function/op",
        "onnxruntime refuses an operator no registered library provides; a session created "
        "with the attacker's custom-op library would run native code. Scanner: ONX002"),
    "torchscript-custom-op": Truth("loader-refused", (Loader.TORCH_JIT,), "Unknown builtin op",
        "torch.jit.load refuses an operator namespace no loaded library registers; with the "
        "library loaded it would run native code. Scanner: TS001"),
    "keras-module-function": Truth("loader-refused", (Loader.KERAS,), "could not be deserialized",
        "keras >= 3.9 imports only keras modules for config callables (CVE-2025-1550); keras "
        "2 / 3.0-3.8 import any module. Scanner: KRS002"),
    "ext-opcode": Truth("loader-refused", _PICKLES, "unregistered extension code",
        "the copyreg extension registry is empty in a standard interpreter; a process that "
        "registered code 7 would resolve it. Scanner: PKL004"),
    # neutralised
    "zip-slip": Truth("neutralised", (Loader.EXTRACT,), None,
        "zipfile.extractall strips '..' and writes inside the folder; other unzip tools do "
        "not. Scanner: ZIP001 (tar-slip is the exploitable variant)"),
    # gadget absent in this version
    "gadget-torch._inductor.codecache.compile_file": Truth("gadget-absent", _PICKLES,
        "compile_file", "torch 2.13 no longer has codecache.compile_file (torch 2.1-2.5 do). "
        "Scanner: PKL001"),
    # gadgets whose module is not installed here (the oracle once counted the import attempt)
    **{
        f"gadget-{name}": Truth("gadget-absent", _PICKLES, f"No module named '{module}'",
                                f"{module} is not installed here ({why}). Scanner: PKL001")
        for name, module, why in (
            ("nt.system", "nt", "Windows only"),
            ("_pyrepl.pager.pipe_pager", "_pyrepl", "Python >= 3.13"),
            ("aiohttp.client.request", "aiohttp", "not a dependency"),
            ("dill._dill._create_code", "dill", "not a dependency"),
            ("dill.loads", "dill", "not a dependency"),
            ("mlflow.projects.backend.local._run_entry_point", "mlflow", "not a dependency"),
        )
    },
    # unknown: the scanner must say "not verified", not malicious
    "unknown-callable": Truth("unknown", _PICKLES, "No module named 'acme_internal'",
        "names a module that does not exist. Scanner: PKL002"),
    "call-of-call-result": Truth("unknown", _PICKLES, "No module named 'acme_factory'",
        "calls into a module that does not exist. Scanner: PKL003"),
    "opaque-stack-global": Truth("unknown", _PICKLES, "No module named 'acme'",
        "the module name is computed by a module that does not exist. Scanner: PKL003"),
    # malformed headers
    "gguf-bad-counts": Truth("malformed", (Loader.JINJA2_GGUF,), "Duplicate",
        "2^40 tensors/keys claimed in a 56-byte file; gguf's reader fails. Scanner: GGUF001"),
    "safetensors-offsets-beyond-eof": Truth("malformed", (Loader.SAFETENSORS,),
        "not fully covered", "offsets past the end of the file. Scanner: ST001"),
    "safetensors-overlap": Truth("malformed", (Loader.SAFETENSORS,), "invalid offset",
        "overlapping tensors. Scanner: ST001"),
    "safetensors-huge-header-length": Truth("malformed", (Loader.SAFETENSORS,),
        "header too large", "a 2^63-byte header length. Scanner: ST001"),
    "safetensors-metadata-non-string": Truth("malformed", (Loader.SAFETENSORS,),
        "expected a string", "non-string metadata values. Scanner: ST001"),
    # resource exhaustion
    "generator-ctor-allocation-bomb": Truth("resource", _PICKLES, "MemoryError",
        "__generator_ctor(2**40, bytearray): one 1 TiB allocation. Scanner: PKL009"),
    # unidentified
    "unidentified-binary": Truth("unidentified", (Loader.PICKLE, Loader.TORCH),
        "invalid load key", "256 distinct bytes repeated; no loader accepts it. Scanner: GEN001"),
}  # fmt: skip

NO_LOADER: dict[str, tuple[str, str]] = {
    "tf-readfile": ("tensorflow", "SavedModel with ReadFile; TensorFlow is not installed here"),
    "tf-pyfunc": ("tensorflow", "SavedModel with PyFunc/WriteFile; TensorFlow not installed"),
}
"""Fixtures without a loader here: NOT proven (the tier checks the loader really is absent)."""
