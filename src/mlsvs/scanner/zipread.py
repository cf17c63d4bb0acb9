"""A lenient zip reader that reads archives the way torch's (miniz) reader does.

The central directory is authoritative; CRC errors, the encryption flag and local-header
disagreements are tolerated but recorded as anomalies, never as reasons to stop reading.
Only the members a caller asks for are read, so a multi-GB checkpoint costs its directory.
"""

from __future__ import annotations

import bz2
import struct
import zlib
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import BinaryIO

_EOCD = b"PK\x05\x06"
_EOCD64_LOC = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_MAX_COMMENT = 65535 + 22
_S_IFMT, _S_IFLNK = 0o170000, 0o120000


EOCD_WINDOW = _MAX_COMMENT
"""Where zipfile (and so Keras, which opens prefixed zips) looks for the end-of-central-directory
record: its 22 bytes plus the longest comment, at the end of the file."""


def has_end_record(read_at: Callable[[int, int], bytes], size: int) -> bool:
    """An end-of-central-directory signature where zipfile looks for one (``read_at(offset,
    length)`` reads the file): the file may open as a zip whatever precedes it."""
    if size < 22:
        return False
    start = max(0, size - EOCD_WINDOW)
    return _EOCD in read_at(start, size - start)


class ZipFormatError(Exception):
    """The archive structure cannot be read at all."""


class Member(NamedTuple):
    """One central-directory entry."""

    name: str
    """The name as Python's ``zipfile`` (keras, numpy, extractors) sees it: cut at a NUL."""
    raw_name: bytes
    """The name's bytes as stored in the central directory (miniz compares these)."""
    flags: int
    method: int
    crc: int
    csize: int
    usize: int
    local_offset: int
    external_attr: int
    create_system: int

    @property
    def is_dir(self) -> bool:
        """Directory entry."""
        return self.name.endswith("/")

    @property
    def is_symlink(self) -> bool:
        """Unix symlink (mode bits in the external attributes)."""
        return self.create_system == 3 and (self.external_attr >> 16) & _S_IFMT == _S_IFLNK


class Directory(NamedTuple):
    """The parsed central directory."""

    members: tuple[Member, ...]
    prefix: int
    """Bytes before the archive proper (polyglot / self-extracting prefix)."""
    size: int


class MemberData(NamedTuple):
    """Decompressed member content plus the anomalies seen while reading it."""

    data: bytes
    anomalies: tuple[str, ...]
    truncated: bool


def _read_at(fh: BinaryIO, offset: int, n: int) -> bytes:
    fh.seek(offset)
    return fh.read(n)


def read_directory(fh: BinaryIO, size: int, *, absolute: bool = False) -> Directory:
    """Parse the end-of-central-directory record(s) and every central entry.

    By default offsets are resolved the way Python's ``zipfile`` does (relative to where the
    archive really starts, so a prefixed archive still opens). ``absolute=True`` reads them the
    way miniz does (torch's reader): as file offsets, with no prefix adjustment.
    """
    tail_start = max(0, size - _MAX_COMMENT)
    tail = _read_at(fh, tail_start, size - tail_start)
    idx = tail.rfind(_EOCD)
    while idx >= 0 and len(tail) - idx < 22:
        idx = tail.rfind(_EOCD, 0, idx)
    if idx < 0:
        raise ZipFormatError("no end-of-central-directory record")
    eocd_pos = tail_start + idx
    (_, _, _, _, count, cd_size, cd_offset, _) = struct.unpack("<4sHHHHIIH", tail[idx : idx + 22])
    if eocd_pos >= 20:
        loc = _read_at(fh, eocd_pos - 20, 20)
        if loc[:4] == _EOCD64_LOC:
            rec_off = struct.unpack("<Q", loc[8:16])[0]
            rec = _read_at(fh, rec_off, 56) if rec_off < size else b""
            if rec[:4] == _EOCD64 and len(rec) == 56:
                count, cd_size, cd_offset = struct.unpack("<QQQ", rec[32:56])
                eocd_pos = rec_off
            else:  # the locator's offset is relative to a prefix-free file
                eocd_pos -= 76
                rec = _read_at(fh, eocd_pos, 56)
                if rec[:4] == _EOCD64 and len(rec) == 56:
                    count, cd_size, cd_offset = struct.unpack("<QQQ", rec[32:56])
    cd_start = cd_offset if absolute else eocd_pos - cd_size
    prefix = 0 if absolute else cd_start - cd_offset
    if absolute and cd_start + cd_size > size:
        raise ZipFormatError("central directory offset points outside the file")
    if cd_start < 0 or prefix < 0:
        raise ZipFormatError("central directory offset points outside the file")
    raw = _read_at(fh, cd_start, cd_size)
    members = _parse_central(raw, count)
    return Directory(members=members, prefix=prefix, size=size)


def _parse_central(raw: bytes, count: int) -> tuple[Member, ...]:
    out: list[Member] = []
    pos = 0
    while pos + 46 <= len(raw) and raw[pos : pos + 4] == _CENTRAL:
        fields = struct.unpack("<4sBBHHHHHIIIHHHHHII", raw[pos : pos + 46])
        create_system, flags, method = fields[2], fields[4], fields[5]
        crc, csize, usize = fields[8], fields[9], fields[10]
        nlen, elen, clen = fields[11], fields[12], fields[13]
        eattr, offset = fields[16], fields[17]
        name_raw = raw[pos + 46 : pos + 46 + nlen]
        extra = raw[pos + 46 + nlen : pos + 46 + nlen + elen]
        usize, csize, offset = _zip64(extra, usize, csize, offset)
        # zipfile.ZipInfo truncates a name at its first NUL: "config.json\0x" is config.json
        name = stored_name(bytes(name_raw), flags).split("\0", 1)[0]
        out.append(
            Member(
                name=name,
                raw_name=bytes(name_raw),
                flags=flags,
                method=method,
                crc=crc,
                csize=csize,
                usize=usize,
                local_offset=offset,
                external_attr=eattr,
                create_system=create_system,
            )
        )
        pos += 46 + nlen + elen + clen
    if len(out) != count and count not in (0xFFFF,):
        raise ZipFormatError(f"central directory lists {len(out)} of {count} entries")
    return tuple(out)


def stored_name(raw: bytes, flags: int) -> str:
    """A name's bytes decoded as zipfile does (UTF-8 when flag bit 11 is set, else cp437)."""
    return raw.decode("utf-8" if flags & 0x800 else "cp437", "replace")


def _zip64(extra: bytes, usize: int, csize: int, offset: int) -> tuple[int, int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, ln = struct.unpack("<HH", extra[pos : pos + 4])
        body = extra[pos + 4 : pos + 4 + ln]
        if tag == 1:
            vals = [struct.unpack("<Q", body[i : i + 8])[0] for i in range(0, len(body) - 7, 8)]
            if usize == 0xFFFFFFFF and vals:
                usize = vals.pop(0)
            if csize == 0xFFFFFFFF and vals:
                csize = vals.pop(0)
            if offset == 0xFFFFFFFF and vals:
                offset = vals.pop(0)
        pos += 4 + ln
    return usize, csize, offset


def local_anomalies(fh: BinaryIO, directory: Directory, member: Member) -> tuple[int, list[str]]:
    """Offset of the member's data and how its local header disagrees with the directory."""
    start = directory.prefix + member.local_offset
    header = _read_at(fh, start, 30)
    if len(header) < 30 or header[:4] != _LOCAL:
        raise ZipFormatError(f"no local header for {member.name!r}")
    fields = struct.unpack("<4sHHHHHIIIHH", header)
    nlen, elen = fields[9], fields[10]
    local_name = _read_at(fh, start + 30, nlen).decode(
        "utf-8" if fields[2] & 0x800 else "cp437", "replace"
    )
    found: list[str] = []
    central_name = stored_name(member.raw_name, member.flags)
    if local_name != central_name:  # zipfile compares the untruncated names
        found.append(f"local header names {local_name!r}, central directory {central_name!r}")
    if fields[3] != member.method:
        found.append("local header and central directory disagree on the compression method")
    return start + 30 + nlen + elen, found


def read_member(fh: BinaryIO, directory: Directory, member: Member, limit: int) -> MemberData:
    """Decompress one member (at most ``limit`` bytes), tolerating what torch tolerates."""
    data_start, anomalies = local_anomalies(fh, directory, member)
    if member.flags & 1:
        anomalies.append("encryption flag set (torch ignores it; strict readers refuse)")
    if data_start + member.csize > directory.size:
        raise ZipFormatError(f"member {member.name!r} runs past the end of the file")
    raw = _read_at(fh, data_start, min(member.csize, limit))
    truncated = member.csize > limit
    match member.method:
        case 0:
            data = raw
        case 8:
            dec = zlib.decompressobj(-15)
            data = dec.decompress(raw, limit)
            truncated = truncated or bool(dec.unconsumed_tail)
        case 12:
            bdec = bz2.BZ2Decompressor()
            data = bdec.decompress(raw, limit)
            truncated = truncated or (not bdec.eof and not bdec.needs_input)
        case 14:
            data, lzma_truncated = _lzma_member(raw, limit, member.name)
            truncated = truncated or lzma_truncated
        case _:
            raise ZipFormatError(f"member {member.name!r} uses compression method {member.method}")
    if not truncated and zlib.crc32(data) != member.crc:
        anomalies.append("CRC-32 mismatch (torch ignores it; strict readers refuse)")
    return MemberData(data=data, anomalies=tuple(anomalies), truncated=truncated)


_LZMA_MAX_DICT = 64 << 20
"""Largest LZMA dictionary accepted (the decoder allocates it; zipfile writers use 8 MiB)."""


def _lzma_member(raw: bytes, limit: int, name: str) -> tuple[bytes, bool]:
    """A method-14 member as Python's zipfile reads it: version (2 bytes), properties size
    (2 bytes), LZMA1 properties (lc/lp/pb byte, dictionary size), then a raw LZMA1 stream."""
    import lzma

    if len(raw) < 4:
        raise ZipFormatError(f"member {name!r}: LZMA header cut short")
    (psize,) = struct.unpack("<H", raw[2:4])
    props = raw[4 : 4 + psize]
    if psize != 5 or len(props) != 5 or props[0] >= 9 * 5 * 5:
        raise ZipFormatError(f"member {name!r}: LZMA properties unreadable")
    lc, rest = props[0] % 9, props[0] // 9
    lp, pb = rest % 5, rest // 5
    (dict_size,) = struct.unpack("<I", props[1:5])
    if dict_size > _LZMA_MAX_DICT:
        raise ZipFormatError(f"member {name!r}: LZMA dictionary of {dict_size} bytes")
    filters = [{"id": lzma.FILTER_LZMA1, "lc": lc, "lp": lp, "pb": pb, "dict_size": dict_size}]
    dec = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=filters)
    try:
        data = dec.decompress(raw[4 + psize :], limit)
    except lzma.LZMAError as exc:
        raise ZipFormatError(f"member {name!r}: {exc}") from exc
    return data, not dec.eof and not dec.needs_input
