"""Ordinary files that are not models: text, images, audio, video, documents, fonts, binaries.

A repository scanned as a whole holds READMEs, notebooks, pictures and recordings; they are
recognised positively (by signature, or as well-formed text) so they produce no finding. The
pickle and polyglot views run before this, so a pickle dressed up as one of these is still
scanned as what a loader would read.
"""

from __future__ import annotations

_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"\x00\x00\x01\x00", "ICO image"),
    (b"8BPS", "Photoshop image"),
    (b"\xff\x0a", "JPEG XL image"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL image"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000 image"),
    (b"%PDF-", "PDF document"),
    (b"%!PS", "PostScript document"),
    (b"{\\rtf", "RTF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2 document"),
    (b"OggS", "Ogg media"),
    (b"fLaC", "FLAC audio"),
    (b"ID3", "MP3 audio"),
    (b"MThd", "MIDI audio"),
    (b"\x1aE\xdf\xa3", "Matroska/WebM video"),
    (b"FLV\x01", "FLV video"),
    (b"\x00\x00\x01\xba", "MPEG program stream"),
    (b"\x00\x00\x01\xb3", "MPEG video"),
    (b"0&\xb2u\x8ef\xcf\x11", "ASF/WMV media"),
    (b"#!AMR", "AMR audio"),
    (b"wOFF", "WOFF font"),
    (b"wOF2", "WOFF2 font"),
    (b"OTTO", "OpenType font"),
    (b"\x00\x01\x00\x00\x00", "TrueType font"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"PAR1", "Parquet data"),
    (b"ARROW1", "Arrow data"),
    (b"Obj\x01", "Avro data"),
    (b"ORC", "ORC data"),
    (b"\x7fELF", "ELF executable"),
    (b"\xca\xfe\xba\xbe", "Mach-O/Java binary"),
    (b"\xcf\xfa\xed\xfe", "Mach-O binary"),
    (b"\xce\xfa\xed\xfe", "Mach-O binary"),
    (b"\x00asm", "WebAssembly module"),
    (b"MZ", "Windows executable"),
    (b"\x00\x00\x00\x01Bud1", "macOS .DS_Store"),
    (b"SIMPLE  =", "FITS data"),
    (b"\xde\x12\x04\x95", "gettext message catalog"),  # .mo, little-endian
    (b"\x95\x04\x12\xde", "gettext message catalog"),  # .mo, big-endian
    (b"\xfe\xff", "UTF-16 text"),
    (b"\xff\xfe", "UTF-16 text"),
)
_RIFF_KINDS = {b"WAVE": "WAV audio", b"AVI ": "AVI video", b"WEBP": "WebP image"}
_ISO_BRANDS = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip")


_BY_FIRST_BYTE: dict[int, tuple[tuple[bytes, str], ...]] = {
    first: tuple(entry for entry in _PREFIXES if entry[0][0] == first)
    for first in {prefix[0] for prefix, _ in _PREFIXES}
}
"""``_PREFIXES`` by first byte, in their order: a text file costs one lookup, not 55 tests."""


def describe(head: bytes, size: int) -> str | None:
    """What kind of ordinary non-model file ``head`` starts, or None."""
    for prefix, kind in _BY_FIRST_BYTE.get(head[0], ()) if head else ():
        if head.startswith(prefix):
            return kind
    if head.startswith(b"RIFF") and len(head) >= 12:
        return _RIFF_KINDS.get(head[8:12], "RIFF media")
    if len(head) >= 128 and head[36:40] == b"acsp":
        return "ICC color profile"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "AIFF audio"
    if len(head) >= 8 and head[4:8] in _ISO_BRANDS:
        return "MP4/QuickTime media"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return "MPEG audio"
    if head.startswith(b"BM") and len(head) >= 14 and int.from_bytes(head[2:6], "little") == size:
        return "BMP image"
    if _is_eot(head, size):
        return "Embedded OpenType font"
    if head.startswith(b"MATLAB 5.0 MAT-file") and head[126:128] in (b"IM", b"MI"):
        return "MATLAB MAT-file (v5)"
    if _is_stata(head):
        return "Stata data"
    if _is_der(head, size):
        return "DER-encoded ASN.1 (certificate, key or PKCS#12 store)"
    if _is_key_blob(head):
        return "Windows key blob (.snk strong-name key)"
    if is_text(head, truncated=size > len(head)):
        return "text"
    return None


_EOT_VERSIONS = (0x00010000, 0x00020001, 0x00020002)


def _is_eot(head: bytes, size: int) -> bool:
    """An EOT header (the web fonts of older docs themes): its own size first, a known version,
    the magic number 0x504C at byte 34."""
    return (
        len(head) >= 36
        and head[34:36] == b"LP"
        and int.from_bytes(head[0:4], "little") == size
        and int.from_bytes(head[8:12], "little") in _EOT_VERSIONS
    )


_STATA_RELEASES = frozenset({102, 103, 104, 105, 108, 110, 111, 113, 114, 115})
"""Stata .dta formats before 117 open with their release number as one byte."""


def _is_stata(head: bytes) -> bool:
    """A Stata .dta: the XML-like opening of releases 117-121, or the binary header of older
    ones (release, byte order 1 or 2, file type 1, a zero byte)."""
    if head.startswith(b"<stata_dta><header><release>"):
        return True
    return (
        len(head) >= 4
        and head[0] in _STATA_RELEASES
        and head[1] in (1, 2)
        and head[2:4] == b"\x01\x00"
    )


_DER_INNER_TAGS = frozenset({0x02, 0x06, 0x30, 0xA0})
"""What the outer SEQUENCE of a certificate, key or PKCS#12 store opens with: INTEGER (a
version), OBJECT IDENTIFIER, SEQUENCE, or an explicit [0] tag."""


def _is_der(head: bytes, size: int) -> bool:
    """One DER SEQUENCE spanning the file exactly, its length in the long form (a file of at
    least 128 bytes), opening with a tag such files open with."""
    if len(head) < 6 or head[0] != 0x30 or not 0x81 <= head[1] <= 0x84:
        return False
    width = head[1] & 0x7F
    length = int.from_bytes(head[2 : 2 + width], "big")
    return length >= 0x80 and 2 + width + length == size and head[2 + width] in _DER_INNER_TAGS


_KEY_BLOBS = {b"\x06\x02\x00\x00": b"RSA1", b"\x07\x02\x00\x00": b"RSA2"}
"""PUBLICKEYBLOB / PRIVATEKEYBLOB (version 2) and the RSA key magic that follows their
algorithm id."""


def _is_key_blob(head: bytes) -> bool:
    """A CryptoAPI RSA key blob, bare (a private .snk) or behind the 12-byte strong-name header
    of a public .snk."""
    for start in (0, 12):
        magic = _KEY_BLOBS.get(head[start : start + 4])
        if magic is not None and head[start + 8 : start + 12] == magic:
            return True
    return False


_LEGACY_CODECS = ("cp1252", "gb18030", "big5", "shift_jis", "euc_kr")
"""Encodings of older text files (Windows-1252 READMEs, GBK/Big5/Shift-JIS sources and
notebooks). Each refuses bytes it does not define, and the control-byte limit below still
applies, so compressed or binary data does not pass as text."""


_CONTROLS = bytes(c for c in range(32) if chr(c) not in "\t\n\r\f\v\x1b")
"""Control bytes that make a file binary. Counted in the bytes: below 0x20 a byte is never part
of a multi-byte character in UTF-8 or in any of ``_LEGACY_CODECS`` (their lead and trail bytes
are all 0x30 or above), so the count equals that of control characters in the decoded text,
and ``bytes.translate`` counts it in C at memory speed (``str.translate`` with a mapping costs
~60 ns a character: 0.6 s for a numpy checkout's 2,300 text files)."""


def is_text(head: bytes, *, truncated: bool) -> bool:
    """Text without NULs or control bytes: UTF-8 or a common legacy encoding. When the window
    cut the file, a multi-byte character split at the window's end is allowed (a README ending
    in an emoji, CJK text)."""
    if not head or b"\x00" in head:
        return False
    data = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if data.isascii():  # valid in every codec below, one character a byte: nothing to decode
        characters = len(data)
    else:
        text = _decode(data, "utf-8", truncated=truncated)
        for codec in _LEGACY_CODECS:
            if text is not None:
                break
            text = _decode(data, codec, truncated=truncated)
        if text is None:
            return False
        characters = len(text)
    controls = len(data) - len(data.translate(None, _CONTROLS))
    return controls * 100 <= characters


def _decode(data: bytes, codec: str, *, truncated: bool) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        if not truncated or exc.start < len(data) - 3 or exc.end < len(data):
            return None
        try:
            return data[: exc.start].decode(codec)
        except UnicodeDecodeError:
            return None
