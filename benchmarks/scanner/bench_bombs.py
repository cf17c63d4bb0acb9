"""Peak memory and time of ``mlsvs scan`` on decompression bombs and hostile nesting.

Builds each bomb in a temporary directory (streamed, never held in memory here), scans it in a
fresh child process (``python -m mlsvs scan -f json``), and prints a Markdown table of the
child's peak RSS (``ru_maxrss``), wall time, exit code and the rules reported::

    PYTHONPATH=src python benchmarks/scanner/bench_bombs.py [--size-gib 1] [--only NAME] \
        [--venv /tmp/bench-venv]

``--venv`` adds a column per competitor installed there (run_benchmark.py's requirements):
its own peak RSS (GNU ``/usr/bin/time``), wall time and exit code, killed after ``--timeout``.

The bar (issue 11): peak RSS <= 256 MiB whatever the compression ratio or nesting, and a
not-verified verdict (never "clean") when a limit stops the scan. Numbers from a shared
machine are noisy for time, not for memory.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import io
import json
import lzma
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 1 << 20
PICKLE_HEAD = b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00"


def _zeros(total: int) -> object:
    block = b"\x00" * CHUNK
    left = total
    while left > 0:
        n = min(left, CHUNK)
        yield block[:n]
        left -= n


def zip_bomb(d: Path, size: int) -> Path:
    path = d / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as z:
        info = zipfile.ZipInfo("archive/data/0")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as fh:
            for block in _zeros(size):
                fh.write(block)
    return path


def zip_bomb_pickle_member(d: Path, size: int) -> Path:
    """The member is a 'pickle' whose BINBYTES8 claims ``size`` bytes (read whole by naive
    scanners to emulate it)."""
    path = d / "model.pt"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as z:
        z.writestr("archive/version", "3\n")
        info = zipfile.ZipInfo("archive/data.pkl")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as fh:
            fh.write(b"\x80\x04\x8e" + size.to_bytes(8, "little"))
            for block in _zeros(size):
                fh.write(block)
            fh.write(b"0N.")
    return path


def overlapping_zip(d: Path, size: int) -> Path:
    """Fifield-style non-recursive bomb: 64 central entries share one compressed kernel."""
    kernel = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = b"".join(kernel.compress(b) for b in _zeros(size // 64)) + kernel.flush()
    crc = 0
    for block in _zeros(size // 64):
        crc = zlib.crc32(block, crc)
    name = b"x.bin"
    local = b"PK\x03\x04" + (20).to_bytes(2, "little") + b"\x00\x00\x08\x00" + b"\x00" * 4
    local += crc.to_bytes(4, "little") + len(body).to_bytes(4, "little")
    local += (size // 64).to_bytes(4, "little") + len(name).to_bytes(2, "little") + b"\x00\x00"
    local += name
    central = b""
    for i in range(64):
        entry = f"m{i:02d}.bin".encode()
        central += b"PK\x01\x02" + (20).to_bytes(2, "little") * 2 + b"\x00\x00\x08\x00"
        central += b"\x00" * 4 + crc.to_bytes(4, "little") + len(body).to_bytes(4, "little")
        central += (size // 64).to_bytes(4, "little") + len(entry).to_bytes(2, "little")
        central += b"\x00" * 12 + (0).to_bytes(4, "little") + entry
    data_end = len(local) + len(body)
    end = b"PK\x05\x06" + b"\x00" * 4 + (64).to_bytes(2, "little") * 2
    end += len(central).to_bytes(4, "little") + data_end.to_bytes(4, "little") + b"\x00\x00"
    path = d / "overlap.zip"
    path.write_bytes(local + body + central + end)
    return path


def nested_zip(d: Path, size: int) -> Path:
    """42.zip-style: 16 copies per level, 4 levels, a zero-filled leaf."""
    leaf = io.BytesIO()
    with zipfile.ZipFile(leaf, "w", zipfile.ZIP_DEFLATED) as z, z.open("leaf.bin", "w") as fh:
        for block in _zeros(min(size, 64 * CHUNK)):
            fh.write(block)
    data = leaf.getvalue()
    for level in range(4):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for i in range(16):
                z.writestr(f"l{level}-{i}.zip", data)
        data = buf.getvalue()
    path = d / "nested.zip"
    path.write_bytes(data)
    return path


def self_nesting_zip(d: Path, size: int) -> Path:
    """A zip inside a zip inside ... (quine-like recursion, 40 levels)."""
    data = b"\x80\x02N."
    for level in range(40):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"level{level}.zip", data)
        data = buf.getvalue()
    path = d / "deep.zip"
    path.write_bytes(data)
    return path


def _stream_compress(path: Path, opener: Callable[[Path], object], size: int) -> Path:
    with opener(path) as fh:  # type: ignore[attr-defined]
        fh.write(PICKLE_HEAD)
        for block in _zeros(size):
            fh.write(block)
    return path


def gzip_bomb(d: Path, size: int) -> Path:
    return _stream_compress(d / "bomb.pkl.gz", lambda p: gzip.open(p, "wb", 9), size)


def bz2_bomb(d: Path, size: int) -> Path:
    return _stream_compress(d / "bomb.pkl.bz2", lambda p: bz2.open(p, "wb", 9), size)


def xz_bomb(d: Path, size: int) -> Path:
    return _stream_compress(d / "bomb.pkl.xz", lambda p: lzma.open(p, "wb"), size)


def lz4_bomb(d: Path, size: int) -> Path:
    """joblib's compress='lz4' (needs the lz4 package, as mlsvs does to read it)."""
    import lz4.frame

    return _stream_compress(d / "bomb.pkl.lz4", lambda p: lz4.frame.open(p, "wb"), size)


def tar_gz_bomb(d: Path, size: int) -> Path:
    raw = d / "inner.tar"
    with tarfile.open(raw, "w") as tar:
        info = tarfile.TarInfo("big.bin")
        info.size = size

        class Zeros(io.RawIOBase):
            def __init__(self) -> None:
                self.left = size

            def readable(self) -> bool:
                return True

            def readinto(self, b: bytearray) -> int:  # type: ignore[override]
                n = min(len(b), self.left)
                b[:n] = b"\x00" * n
                self.left -= n
                return n

        tar.addfile(info, io.BufferedReader(Zeros()))
    path = d / "bomb.tar.gz"
    with raw.open("rb") as src, gzip.open(path, "wb", 6) as dst:
        while block := src.read(CHUNK):
            dst.write(block)
    raw.unlink()
    return path


def sevenzip_bomb(d: Path, size: int) -> Path:
    import py7zr

    src = d / "zeros.bin"
    with src.open("wb") as fh:
        for block in _zeros(size):
            fh.write(block)
    path = d / "bomb.7z"
    with py7zr.SevenZipFile(path, "w") as archive:
        archive.write(src, "zeros.bin")
    src.unlink()
    return path


def big_pickle_frame(d: Path, size: int) -> Path:
    """A pickle claiming a huge FRAME / BINBYTES8 but only a few bytes long."""
    path = d / "claims.pkl"
    path.write_bytes(
        b"\x80\x04\x95"
        + (1 << 62).to_bytes(8, "little")
        + b"\x8e"
        + size.to_bytes(8, "little")
        + b"x"
    )
    return path


def big_bytes_literal(d: Path, size: int) -> Path:
    """A real pickle of one ``size``-byte BINBYTES8 literal (a sparse file): emulating it must
    not copy the literal (it used to cost twice its size)."""
    path = d / "literal.pkl"
    with path.open("wb") as f:
        f.write(b"\x80\x04\x8e" + size.to_bytes(8, "little"))
        f.seek(size, 1)
        f.write(b".")
    return path


def big_unicode_literal(d: Path, size: int) -> Path:
    """A real pickle of one ``size``-byte BINUNICODE8 string (a sparse file of NULs, valid
    UTF-8): emulating it must not decode the string (it used to cost up to 4x its size)."""
    path = d / "text.pkl"
    with path.open("wb") as f:
        f.write(b"\x80\x04\x8d" + size.to_bytes(8, "little"))
        f.seek(size, 1)
        f.write(b".")
    return path


def long_text_line(d: Path, size: int) -> Path:
    """A protocol-0 pickle of one ``size``-byte UNICODE line (sparse NULs): the unpickler has
    no line limit, so the emulator reads the line in place, in bounded memory."""
    path = d / "line.pkl"
    with path.open("wb") as f:
        f.write(b"V")
        f.seek(size, 1)
        f.write(b"\n.")
    return path


def many_opcodes(d: Path, size: int) -> Path:
    """38 MB, 19M opcodes (one BININT1 per list item, APPENDS every 1000 as pickle writes
    them): must end within the time budget, never clean."""
    del size
    path = d / "opcodes.pkl"
    batch = b"(" + b"K\x01" * 1000 + b"e"
    with path.open("wb") as f:
        f.write(b"\x80\x02]q\x00")
        for _ in range(19_000):
            f.write(batch)
        f.write(b".")
    return path


def many_objects(d: Path, size: int) -> Path:
    """19 MB, 19M opcodes that each build an object (EMPTY_LIST): the objects, not the
    opcodes, would cost ~1.2 GiB; the emulator's heap limit stops it, not verified."""
    del size
    path = d / "objects.pkl"
    batch = b"(" + b"]" * 1000 + b"e"
    with path.open("wb") as f:
        f.write(b"\x80\x02]q\x00")
        for _ in range(19_000):
            f.write(batch)
        f.write(b".")
    return path


BOMBS: dict[str, Callable[[Path, int], Path]] = {
    "zip (1 member)": zip_bomb,
    "zip (pickle member)": zip_bomb_pickle_member,
    "zip (overlapping entries)": overlapping_zip,
    "zip (42.zip-style nesting)": nested_zip,
    "zip (40-deep self-nesting)": self_nesting_zip,
    "gzip": gzip_bomb,
    "bz2": bz2_bomb,
    "xz": xz_bomb,
    "lz4": lz4_bomb,
    "tar.gz": tar_gz_bomb,
    "7z": sevenzip_bomb,
    "pickle size claims": big_pickle_frame,
    "pickle with a real BINBYTES8 literal": big_bytes_literal,
    "pickle with a real BINUNICODE8 string": big_unicode_literal,
    "protocol-0 pickle with one long line": long_text_line,
    "pickle of 19M opcodes": many_opcodes,
    "pickle of 19M new objects": many_objects,
}
SRC = ROOT / "src"
"""The mlsvs tree measured (``--src`` for another one, e.g. a ``git archive`` of HEAD~1)."""

# VmHWM (the child's own high-water mark): ru_maxrss survives execve on Linux and would
# report the driver's peak from building the bombs.
_CHILD = """
import json, sys, time
from mlsvs.scanner import scan_path
t = time.perf_counter()
r = scan_path(sys.argv[1])
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(json.dumps({"s": time.perf_counter() - t, "status": str(r.status),
                  "rules": sorted({f.rule.value for f in r.findings}), "rss_kib": int(hwm)}))
"""


def measure(path: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, env=env,
        timeout=600, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        return {"s": 0.0, "status": f"crash rc={out.returncode}", "rules": [], "rss_kib": 0,
                "err": out.stderr[-300:]}  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def competitors(venv: Path) -> dict[str, list[str]]:
    """The other scanners of run_benchmark.py (those installed in ``venv``)."""
    bin_ = venv / "bin"
    tools = {
        "picklescan": ["picklescan", "--path"],
        "modelscan": ["modelscan", "-p"],
        "fickling": ["fickling", "--check-safety"],
        "modelaudit": ["modelaudit", "scan"],
    }
    return {name: [str(bin_ / argv[0]), *argv[1:]] for name, argv in tools.items()
            if (bin_ / argv[0]).exists()}  # fmt: skip


def measure_tool(argv: list[str], path: Path, timeout: float) -> str:
    """Peak RSS (GNU time's %M, the tool's own high-water mark), time and exit code."""
    env = {**os.environ, "PROMPTFOO_DISABLE_TELEMETRY": "1", "NO_ANALYTICS": "1", "CI": "1"}
    cmd = ["/usr/bin/time", "-f", "MAXRSS %M", *argv, str(path)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            cwd=tempfile.gettempdir(), start_new_session=True)  # fmt: skip
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        return f"> {timeout:.0f} s (killed)"
    wall = time.perf_counter() - started
    lines = [
        line for line in err.decode(errors="replace").splitlines() if line.startswith("MAXRSS")
    ]
    rss = int(lines[-1].split()[1]) / 1024 if lines else 0
    return f"{rss:.0f} MiB, {wall:.1f} s, exit {proc.returncode}"


def baseline() -> int:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    code = (
        "import resource, mlsvs.scanner; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return int(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=1.0, help="uncompressed bomb size")
    parser.add_argument("--only", help="run one bomb (substring of its name)")
    parser.add_argument("--src", type=Path, help="another mlsvs src/ tree to measure")
    parser.add_argument("--venv", type=Path, help="also measure the scanners installed here")
    parser.add_argument("--timeout", type=float, default=120, help="per competitor run (s)")
    args = parser.parse_args()
    others = competitors(args.venv) if args.venv else {}
    if args.src is not None:
        global SRC
        SRC = args.src
    size = int(args.size_gib * 1024**3)
    print(f"interpreter + scanner import: {baseline() / 1024:.0f} MiB peak RSS\n")
    print(
        "| bomb | on disk | expands to | peak RSS | time | status | rules |"
        + "".join(f" {name} |" for name in others)
    )
    print("|---|---|---|---|---|---|---|" + "---|" * len(others))
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in BOMBS.items():
            if args.only and args.only not in name:
                continue
            d = Path(tmp) / str(len(os.listdir(tmp)))
            d.mkdir()
            try:
                path = build(d, size)
            except ImportError as exc:
                print(f"| {name} | - | - | - | - | skipped ({exc.name} missing) | |")
                continue
            started = time.perf_counter()
            m = measure(path)
            wall = time.perf_counter() - started
            print(
                f"| {name} | {path.stat().st_size / 1024:.0f} KiB | {args.size_gib:g} GiB | "
                f"{int(m['rss_kib']) / 1024:.0f} MiB | {float(m['s']):.2f} s ({wall:.1f} s wall) | "  # type: ignore[call-overload]
                f"{m['status']} | {' '.join(m['rules'])} |"  # type: ignore[arg-type]
                + "".join(
                    f" {measure_tool(argv, path, args.timeout)} |" for argv in others.values()
                )
            )
            for p in d.iterdir():
                p.unlink()
    print(
        f"\nmax RSS of this driver: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
