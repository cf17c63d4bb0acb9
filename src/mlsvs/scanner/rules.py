"""The scanner's rule catalog: stable IDs, default severities and remediation text."""

from __future__ import annotations

import enum
from typing import NamedTuple

from mlsvs.model.severity import Severity


class ScanRuleInfo(NamedTuple):
    """Metadata of one scanner rule."""

    title: str
    severity: Severity
    remediation: str


@enum.unique
class ScanRule(enum.StrEnum):
    """Every finding the scanner can report. IDs are stable; see docs/scanner.md."""

    PKL001 = "PKL001"
    PKL002 = "PKL002"
    PKL003 = "PKL003"
    PKL004 = "PKL004"
    PKL005 = "PKL005"
    PKL006 = "PKL006"
    PKL007 = "PKL007"
    PKL008 = "PKL008"
    PKL009 = "PKL009"
    PKL010 = "PKL010"
    PKL011 = "PKL011"
    ZIP001 = "ZIP001"
    ZIP002 = "ZIP002"
    ZIP003 = "ZIP003"
    ZIP004 = "ZIP004"
    ZIP005 = "ZIP005"
    ZIP006 = "ZIP006"
    ZIP007 = "ZIP007"
    ARC001 = "ARC001"
    ARC002 = "ARC002"
    GEN001 = "GEN001"
    GEN002 = "GEN002"
    GEN003 = "GEN003"
    GEN004 = "GEN004"
    NPY001 = "NPY001"
    TS001 = "TS001"
    KRS001 = "KRS001"
    KRS002 = "KRS002"
    TF001 = "TF001"
    TF002 = "TF002"
    ONX001 = "ONX001"
    ONX002 = "ONX002"
    GGUF001 = "GGUF001"
    GGUF002 = "GGUF002"
    ST001 = "ST001"
    SKP001 = "SKP001"

    @property
    def info(self) -> ScanRuleInfo:
        """Title, default severity and remediation of this rule."""
        return RULES[self]

    @property
    def severity(self) -> Severity:
        """Default severity."""
        return RULES[self].severity

    @property
    def not_verified(self) -> bool:
        """The rule records a coverage gap (the file, or part of it, was not verified), not a
        hazard that was found."""
        return self in NOT_VERIFIED


_C, _H, _M, _L = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW
_NEVER_LOAD = "Do not load this file. "
_SAFE_FORMAT = "Re-export the weights to safetensors (or ONNX/GGUF) from a trusted environment."

RULES: dict[ScanRule, ScanRuleInfo] = {
    ScanRule.PKL001: ScanRuleInfo(
        title="dangerous callable in pickle",
        severity=_C,
        remediation=_NEVER_LOAD + "The pickle names a callable that can run commands, read or "
        "write files, open network connections or load further code. " + _SAFE_FORMAT,
    ),
    ScanRule.PKL002: ScanRuleInfo(
        title="unknown callable in pickle",
        severity=_M,
        remediation="The callable is not on the allowlist of what ordinary ML files need. Review "
        "it; if the library is trusted, allow it with [tool.mlsvs.scanner] allow or --allow. "
        + _SAFE_FORMAT,
    ),
    ScanRule.PKL003: ScanRuleInfo(
        title="callable computed at load time",
        severity=_H,
        remediation=_NEVER_LOAD + "STACK_GLOBAL operands are not constant strings, or the pickle "
        "calls an object returned by another call, so what runs cannot be known without "
        "running the file.",
    ),
    ScanRule.PKL004: ScanRuleInfo(
        title="unresolvable extension code",
        severity=_H,
        remediation=_NEVER_LOAD + "EXT1/EXT2/EXT4 refer to the copyreg extension registry, which "
        "is empty in a standard interpreter; the callable depends on the loading process.",
    ),
    ScanRule.PKL005: ScanRuleInfo(
        title="pickle mutates a global object",
        severity=_H,
        remediation=_NEVER_LOAD + "BUILD applied to a class, function or module, or "
        "APPEND/SETITEM/ADDITEMS applied to a global (sys.path, os.environ), changes "
        "process-wide state (e.g. patches a library) instead of restoring an instance.",
    ),
    ScanRule.PKL006: ScanRuleInfo(
        title="malformed pickle stream",
        severity=_M,
        remediation="The stream does not parse as a pickle; what follows the error was not "
        "verified. Unpicklers may still run everything before the error. Regenerate the file.",
    ),
    ScanRule.PKL007: ScanRuleInfo(
        title="trailing data after the last pickle",
        severity=_L,
        remediation="Bytes after the final STOP are not a pickle. Loaders that read several "
        "pickles in sequence may interpret them; regenerate the file.",
    ),
    ScanRule.PKL008: ScanRuleInfo(
        title="scan budget exceeded",
        severity=_M,
        remediation="The stream exceeded the opcode, nesting or size budget, so it was not fully "
        "verified. Raise the limits if the file is trusted, or convert it to a safe format.",
    ),
    ScanRule.PKL009: ScanRuleInfo(
        title="allowlisted callable used in a shape ordinary files never use",
        severity=_H,
        remediation=_NEVER_LOAD + "An allowlisted callable is called with an argument real "
        "libraries never pass there - another callable it will call, a payload, or a size it "
        "will allocate (a gadget). Critical when the callee calls that argument.",
    ),
    ScanRule.PKL010: ScanRuleInfo(
        title="array payload read from another file",
        severity=_M,
        remediation="joblib releases before 0.10 stored each array in a sibling file that "
        "joblib.load opens with numpy.load(allow_pickle=True): this file is only as safe as "
        "that one. A sibling next to the file is read with it (its findings become this "
        "file's); this gap remains when it is missing or unreadable, or when the file was "
        "scanned without its directory (a stream, an archive member). Provide the sibling or "
        "re-save the model with a current joblib, or better, in a format that cannot run code.",
    ),
    ScanRule.PKL011: ScanRuleInfo(
        title="array wrapper reads a file outside the model's directory",
        severity=_C,
        remediation=_NEVER_LOAD + "A legacy joblib NDArrayWrapper names a file by absolute "
        "path, with '..' or a computed value: joblib.load runs numpy.load(allow_pickle=True) "
        "on it, so any pickle on that machine can run. Ordinary files name a sibling.",
    ),
    ScanRule.ZIP001: ScanRuleInfo(
        title="archive member path escapes the extraction directory",
        severity=_H,
        remediation="Member names with '..', absolute paths or drive letters write outside the "
        "target directory when extracted (zip-slip). Do not extract this archive.",
    ),
    ScanRule.ZIP002: ScanRuleInfo(
        title="archive link member points outside the archive",
        severity=_H,
        remediation="A symbolic or hard link whose target is absolute, resolves outside the "
        "archive root (also through other links), or is no path at all: a link-aware extractor "
        "(unzip, bsdtar, 7-Zip, tarfile without the data filter) lets later members or readers "
        "write or read arbitrary files. Links to siblings inside the archive are not reported. "
        "Do not extract this archive; rebuild it without such links.",
    ),
    ScanRule.ZIP003: ScanRuleInfo(
        title="zip local header disagrees with the central directory",
        severity=_M,
        remediation="Different readers see different content (parser differential). Rebuild the "
        "archive with a standard tool.",
    ),
    ScanRule.ZIP004: ScanRuleInfo(
        title="duplicate archive member names",
        severity=_M,
        remediation="Readers disagree on which duplicate wins. Rebuild the archive.",
    ),
    ScanRule.ZIP005: ScanRuleInfo(
        title="data before the archive (polyglot)",
        severity=_M,
        remediation="Bytes precede the first zip record; a pickle loader reading from offset 0 "
        "sees different content than a zip reader. Rebuild the file.",
    ),
    ScanRule.ZIP006: ScanRuleInfo(
        title="zip integrity anomaly",
        severity=_M,
        remediation="CRC mismatch, encryption flag or unsupported compression: strict readers "
        "reject the member but lenient loaders (torch) read it. Rebuild the archive.",
    ),
    ScanRule.ZIP007: ScanRuleInfo(
        title="ambiguous PyTorch archive",
        severity=_M,
        remediation="Several data.pkl records or top-level directories: what torch loads differs "
        "from what a reviewer sees. Re-save the checkpoint with torch.save.",
    ),
    ScanRule.ARC001: ScanRuleInfo(
        title="archive limits exceeded",
        severity=_M,
        remediation="Nesting depth, member count or decompressed size exceeded the limits "
        "(possible archive bomb); the rest was not verified.",
    ),
    ScanRule.ARC002: ScanRuleInfo(
        title="archive format not verifiable here",
        severity=_M,
        remediation="Install the optional reader (py7zr for 7z: pip install 'mlsvs[archives]') or "
        "unpack the archive and scan its contents.",
    ),
    ScanRule.GEN001: ScanRuleInfo(
        title="format could not be identified",
        severity=_M,
        remediation="The content matches no known model format, so nothing about it could be "
        "verified (fail closed). Store models in a recognised format.",
    ),
    ScanRule.GEN002: ScanRuleInfo(
        title="file could not be parsed",
        severity=_M,
        remediation="The file is corrupt or truncated for its format; it was not verified. "
        "Regenerate it.",
    ),
    ScanRule.GEN003: ScanRuleInfo(
        title="file could not be read",
        severity=_M,
        remediation="Check permissions and that the path is a regular file.",
    ),
    ScanRule.GEN004: ScanRuleInfo(
        title="file is also a pickle (polyglot)",
        severity=_H,
        remediation=_NEVER_LOAD + "The first bytes of this file, which parses as another format, "
        "are also a pickle that pickle.load, joblib.load or torch.load (legacy path) would run. "
        "Rebuild the file with its own library.",
    ),
    ScanRule.NPY001: ScanRuleInfo(
        title="numpy object array holds a pickle",
        severity=_L,
        remediation="Loading needs numpy.load(allow_pickle=True), which runs the embedded pickle. "
        "Store numeric arrays only.",
    ),
    ScanRule.TS001: ScanRuleInfo(
        title="TorchScript code reaches files, processes or native ops",
        severity=_H,
        remediation="The serialized TorchScript code calls operators outside the standard "
        "namespaces or ones that touch files. Review the code/ members before running the model.",
    ),
    ScanRule.KRS001: ScanRuleInfo(
        title="Keras Lambda layer (serialized Python code)",
        severity=_C,
        remediation="Lambda layers carry marshalled bytecode that runs with safe_mode=False. "
        "Replace the Lambda with a registered layer and keep safe_mode=True.",
    ),
    ScanRule.KRS002: ScanRuleInfo(
        title="Keras config references a non-Keras module",
        severity=_H,
        remediation="A 'module'/'registered_name'/'function' entry names code outside Keras "
        "(CVE-2025-1550, CVE-2025-9906). Only load with safe_mode=True on keras>=3.13.2, after "
        "reviewing the referenced objects.",
    ),
    ScanRule.TF001: ScanRuleInfo(
        title="TensorFlow graph uses file-system operations",
        severity=_H,
        remediation="ReadFile/WriteFile/MatchingFiles/Save-style ops let the graph read or write "
        "arbitrary paths when run. Review the graph; serve it sandboxed.",
    ),
    ScanRule.TF002: ScanRuleInfo(
        title="TensorFlow graph calls Python or system code",
        severity=_C,
        remediation=_NEVER_LOAD + "PyFunc/EagerPyFunc-style ops run arbitrary Python.",
    ),
    ScanRule.ONX001: ScanRuleInfo(
        title="ONNX external data outside the model directory",
        severity=_H,
        remediation="An external-data location that is absolute or contains '..' makes the "
        "runtime read arbitrary files into tensors (CVE-2022-25882). Keep data next to the model.",
    ),
    ScanRule.ONX002: ScanRuleInfo(
        title="ONNX custom operator domain",
        severity=_M,
        remediation="Custom domains need a native operator library registered at load time. "
        "Review where that library comes from.",
    ),
    ScanRule.GGUF001: ScanRuleInfo(
        title="GGUF header inconsistent",
        severity=_M,
        remediation="Counts, lengths or offsets do not fit the file (malformed or DoS). "
        "Regenerate it.",
    ),
    ScanRule.GGUF002: ScanRuleInfo(
        title="chat template injection",
        severity=_C,
        remediation="tokenizer.chat_template reaches Python internals (__class__, __globals__, "
        "__subclasses__, os/popen ...) — Jinja2 SSTI (CVE-2024-34359). Replace the template and "
        "render templates only in a sandboxed environment.",
    ),
    ScanRule.SKP001: ScanRuleInfo(
        title="skops schema names a type outside the allowlist",
        severity=_C,
        remediation="skops.io.load constructs every type its schema names; loading with "
        "trusted=get_untrusted_types(...) trusts them all. Review the named types; dangerous "
        "ones (critical) mean the file must not be loaded.",
    ),
    ScanRule.ST001: ScanRuleInfo(
        title="safetensors header invalid",
        severity=_M,
        remediation="Header length, JSON, dtypes, shapes or offsets are inconsistent "
        "(malformed or DoS). Regenerate the file with the safetensors library.",
    ),
}


NOT_VERIFIED = frozenset(
    {
        ScanRule.PKL010,
        ScanRule.GEN001,
        ScanRule.GEN002,
        ScanRule.GEN003,
        ScanRule.ARC001,
        ScanRule.ARC002,
        ScanRule.PKL008,
    }
)
"""Rules that mean "not verified" (fail closed: never clean, but not a hazard either)."""
