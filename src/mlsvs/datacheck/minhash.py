"""Near-duplicate text: MinHash-style sketches, LSH banding and exact Jaccard, vectorised (NumPy).

Shingles are the byte ``k``-grams of the UTF-8 text (a text shorter than ``k`` is one shingle,
zero-padded; an empty text has none), read as little-endian integers (``k <= 8``). Texts travel
as one byte buffer plus offsets (``Texts``, zero-copy from an Arrow string array), and every
shingle of a batch is read in one pass (unaligned 8-byte loads at each byte offset, masked).

Sketch: each shingle is mixed once (SplitMix64 finaliser of the value and the seed), then
``permutations / 16`` *rounds* of one-permutation hashing (Li, Owen & Zhang 2012) follow: round
``r`` maps the mixed value ``y`` to ``h = a_r * y + b_r (mod 2^64)``, the top 4 bits choose one of
16 bins and the smallest ``h`` per (text, bin) is kept (``np.minimum.at``), so a text costs one
multiply-add per shingle and round rather than one per signature slot (8 instead of 128). Empty
bins are filled by optimal densification (Shrivastava 2017: bin ``j`` takes the value of the
first non-empty bin in a fixed pseudo-random probe sequence of ``j``), which keeps
``P(slot equal) = J``. A slot is the 32 bits under the bin bits. For every slot the probability
that two texts agree is their Jaccard similarity ``J``, as for classic MinHash.

LSH splits a signature into ``bands`` bands of ``rows = permutations / bands`` slots; two texts
become candidates when one band is equal, with probability about ``1 - (1 - J^rows)^bands``
(128 slots in 16 bands of 8: 95 % at J = 0.8, 1 % at J = 0.4). Candidates whose estimated
similarity (the fraction of equal slots) is far below the threshold are dropped; the rest are
decided by their **exact** Jaccard similarity over the shingle sets (``exact_jaccard``), so a
verdict never rests on an estimate.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlsvs.datacheck.errors import DataFileError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt

    I64 = npt.NDArray[np.int64]
    U64 = npt.NDArray[np.uint64]

_MIX = 0x9E3779B97F4A7C15
BINS = 16
"""Bins per one-permutation round (a power of two)."""
_BIN_BITS = 4
_CHUNK = 1 << 16
"""Shingles hashed per NumPy step (buffers stay in cache)."""
_PROBES = 64
"""Densification probes per empty bin before the deterministic fallback (first non-empty bin)."""
_FULL = 0xFFFFFFFFFFFFFFFF
EMPTY = 0xFFFFFFFF
"""Value of every slot of an empty text's signature (a real slot equals it with p = 2^-32)."""
ESTIMATE_MARGIN = 0.2
"""Candidates whose estimated similarity is below ``threshold - ESTIMATE_MARGIN`` are dropped
before the exact comparison (over 4 standard deviations of the 128-slot estimate at J = 0.8)."""


@dataclass(frozen=True, slots=True)
class Texts:
    """Texts as one UTF-8 byte buffer and ``len + 1`` offsets."""

    data: Any
    """``uint8`` array."""
    offsets: Any
    """``int64`` array, ``offsets[i]:offsets[i+1]`` is text ``i``."""

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @classmethod
    def from_strings(cls, texts: Sequence[str]) -> Texts:
        """Encode Python strings."""
        import numpy as np

        encoded = [t.encode("utf-8") for t in texts]
        lengths = np.fromiter((len(t) for t in encoded), dtype=np.int64, count=len(encoded))
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    @classmethod
    def from_arrow(cls, source: object) -> Texts:
        """View of a pyarrow string (or large string) array; nulls read as empty texts."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        array: Any = source
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks() if array.num_chunks else pa.array([], pa.string())
        if array.null_count:
            array = pc.fill_null(array, "")
        width = np.int64 if pa.types.is_large_string(array.type) else np.int32
        buffers = array.buffers()
        n = len(array)
        if n == 0 or buffers[1] is None:
            return cls(np.zeros(0, dtype=np.uint8), np.zeros(n + 1, dtype=np.int64))
        raw = np.frombuffer(buffers[1], dtype=width)
        offsets = raw[array.offset : array.offset + n + 1].astype(np.int64)
        data = (
            np.frombuffer(buffers[2], dtype=np.uint8)
            if buffers[2] is not None
            else np.zeros(0, dtype=np.uint8)
        )
        return cls(data, offsets)

    def take(self, rows: I64) -> Texts:
        """The texts at ``rows`` (copied)."""
        import numpy as np

        lengths = np.diff(self.offsets)[rows]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        index = _ranges(self.offsets[:-1][rows], lengths)
        return Texts(self.data[index], offsets)

    @staticmethod
    def concat(parts: Sequence[Texts]) -> Texts:
        """One ``Texts`` of all ``parts`` in order."""
        import numpy as np

        if not parts:
            return Texts(np.zeros(0, dtype=np.uint8), np.zeros(1, dtype=np.int64))
        datas = [p.data[p.offsets[0] : p.offsets[-1]] for p in parts]
        shifts = np.cumsum([0] + [len(d) for d in datas])
        offsets = np.concatenate(
            [np.zeros(1, dtype=np.int64)]
            + [p.offsets[1:] - p.offsets[0] + s for p, s in zip(parts, shifts, strict=False)]
        )
        return Texts(np.concatenate(datas), offsets)

    def text(self, row: int) -> str:
        """Text ``row`` decoded (for messages and tests)."""
        start, stop = int(self.offsets[row]), int(self.offsets[row + 1])
        return bytes(self.data[start:stop]).decode("utf-8", "replace")


def _ranges(starts: I64, lengths: I64) -> I64:
    """Concatenated ``arange(s, s + n)`` for every (s, n)."""
    import numpy as np

    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    firsts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=firsts[1:])
    result: I64 = np.arange(total, dtype=np.int64) + np.repeat(starts - firsts, lengths)
    return result


def _splitmix(values: U64) -> U64:
    import numpy as np

    values ^= values >> np.uint64(30)
    values *= np.uint64(0xBF58476D1CE4E5B9)
    values ^= values >> np.uint64(27)
    values *= np.uint64(0x94D049BB133111EB)
    values ^= values >> np.uint64(31)
    return values


def _windows(data: npt.NDArray[np.uint8]) -> U64:
    """Little-endian 8-byte words starting at every byte of ``data`` (zero-padded)."""
    import numpy as np

    padded = np.zeros(len(data) + 8, dtype=np.uint8)
    padded[: len(data)] = data
    result: U64 = np.ndarray(shape=(len(data) + 1,), dtype="<u8", buffer=padded, strides=(1,))
    return result


def hash_texts(texts: Texts) -> U64:
    """A 64-bit digest of every text's bytes, vectorised.

    Each 8-byte word ``w_j`` of a text (the last one zero-padded) is mixed with its index,
    ``f(j, w_j) = splitmix64(w_j + (j + 1) * K)``; the digest is ``splitmix64(sum_j f(j, w_j) xor
    length * K')``. Different texts collide with probability ~2^-64 per pair; a collision can
    only merge two rows (a reported overlap that is not one), never hide an equal pair.
    """
    import numpy as np

    lengths = np.diff(texts.offsets)
    words = (lengths + 7) // 8
    total = int(words.sum())
    out = np.zeros(len(lengths), dtype=np.uint64)
    with np.errstate(over="ignore"):
        if total:
            firsts = np.zeros(len(words), dtype=np.int64)
            np.cumsum(words[:-1], out=firsts[1:])
            owners = np.repeat(np.arange(len(words), dtype=np.int64), words)
            index = np.arange(total, dtype=np.int64) - firsts[owners]
            values = _windows(texts.data)[texts.offsets[:-1][owners] + 8 * index]
            rest = lengths % 8
            tails = np.flatnonzero((rest > 0) & (words > 0))
            last = firsts[tails] + words[tails] - 1
            values[last] &= (np.uint64(1) << (np.uint64(8) * rest[tails].astype(np.uint64))) - (
                np.uint64(1)
            )
            values += (index.astype(np.uint64) + np.uint64(1)) * np.uint64(_MIX)
            np.add.at(out, owners, _splitmix(values))
        out ^= lengths.astype(np.uint64) * np.uint64(0xD6E8FEB86659FD93)
        return _splitmix(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class MinHasher:
    """Seeded sketch parameters (see the module docstring)."""

    permutations: int = 128
    bands: int = 16
    shingle: int = 5
    seed: int = 1
    a: tuple[int, ...] = ()
    """One odd multiplier per round."""
    b: tuple[int, ...] = ()
    probes: tuple[tuple[int, ...], ...] = ()
    """Per round and bin, the densification probe sequence (``_PROBES`` bins)."""

    @classmethod
    def create(
        cls, *, permutations: int = 128, bands: int = 16, shingle: int = 5, seed: int = 1
    ) -> MinHasher:
        """Draw the hash-function coefficients and probe sequences from ``seed``."""
        if not 1 <= shingle <= 8:
            raise ValueError("shingle size must be 1-8 bytes")
        rng = random.Random(seed)  # noqa: S311 - seeded hash coefficients, not crypto
        rounds = -(-permutations // BINS)
        a = tuple(rng.getrandbits(64) | 1 for _ in range(rounds))
        b = tuple(rng.getrandbits(64) for _ in range(rounds))
        probes = tuple(
            tuple(rng.randrange(BINS) for _ in range(_PROBES)) for _ in range(rounds * BINS)
        )
        return cls(
            permutations=permutations, bands=bands, shingle=shingle, seed=seed, a=a, b=b,
            probes=probes,
        )  # fmt: skip

    def shingles(self, text: str) -> set[int]:
        """The shingle values of ``text`` (the reference for ``shingle_values``)."""
        data = text.encode("utf-8")
        if not data:
            return set()
        k = self.shingle
        if len(data) < k:
            return {int.from_bytes(data, "little")}
        return {int.from_bytes(data[i : i + k], "little") for i in range(len(data) - k + 1)}

    def shingle_values(self, texts: Texts) -> tuple[U64, I64]:
        """Every shingle of every text (``uint64``) and the number per text, in text order."""
        import numpy as np

        k = self.shingle
        lengths = np.diff(texts.offsets)
        counts = np.where(lengths >= k, lengths - k + 1, np.minimum(lengths, 1))
        positions = _ranges(texts.offsets[:-1], counts)
        values: U64 = _windows(texts.data)[positions]
        if k < 8:
            values &= np.uint64((1 << (8 * k)) - 1)
        short = np.flatnonzero((lengths > 0) & (lengths < k))
        if len(short):
            firsts = np.zeros(len(counts), dtype=np.int64)
            np.cumsum(counts[:-1], out=firsts[1:])
            masks = (np.uint64(1) << (np.uint64(8) * lengths[short].astype(np.uint64))) - 1
            values[firsts[short]] &= masks.astype(np.uint64)
        return values, counts

    def signatures(self, texts: Sequence[str] | Texts) -> npt.NDArray[np.uint32]:
        """One signature row (``permutations`` slots) per text; an empty text is all ``EMPTY``."""
        return self._sketch(texts, bands=False)[0]

    def sketch(
        self, texts: Sequence[str] | Texts
    ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint64]]:
        """``signatures`` and their ``band_array`` in one pass (see ``_sketch``)."""
        signatures, keys = self._sketch(texts, bands=True)
        return signatures, keys if keys is not None else self.band_array(signatures)

    def _sketch(
        self, texts: Sequence[str] | Texts, *, bands: bool
    ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint64] | None]:
        """Signatures and (with ``bands``) their band keys, computed chunk by chunk.

        Every step (shingle reading, mixing, the rounds, densification, band keys) runs on about
        ``_CHUNK`` shingles at a time, so the intermediate arrays stay in the CPU cache instead
        of streaming the whole batch's shingles through memory once per step.
        """
        import numpy as np

        if not isinstance(texts, Texts):
            texts = Texts.from_strings(texts)
        rounds = len(self.a)
        n = len(texts)
        out = np.empty((n, rounds * BINS), dtype=np.uint32)
        keys = np.zeros((n, self.bands), dtype=np.uint64) if bands else None
        k = self.shingle
        lengths = np.diff(texts.offsets)
        counts = np.where(lengths >= k, lengths - k + 1, np.minimum(lengths, 1))
        ends = np.cumsum(counts)
        windows = _windows(texts.data)
        seed = np.uint64((self.seed * _MIX) & _FULL)
        keep = np.uint64((1 << (8 * k)) - 1) if k < 8 else None
        a = np.asarray(self.a, dtype=np.uint64)[:, None]
        b = np.asarray(self.b, dtype=np.uint64)[:, None]
        width = rounds * BINS
        offsets = (np.arange(rounds, dtype=np.int64) * BINS)[:, None]
        probes = np.asarray(self.probes, dtype=np.int64)
        first = 0
        while first < n:
            done = int(ends[first - 1]) if first else 0
            last = int(np.searchsorted(ends, done + _CHUNK, side="right"))
            last = min(max(last, first + 1), n)
            rows = last - first
            chunk_counts = counts[first:last]
            values: U64 = windows[_ranges(texts.offsets[first:last], chunk_counts)]
            if keep is not None:
                values &= keep
            short = np.flatnonzero((lengths[first:last] > 0) & (lengths[first:last] < k))
            if len(short):
                starts = np.zeros(rows, dtype=np.int64)
                np.cumsum(chunk_counts[:-1], out=starts[1:])
                bits = np.uint64(8) * lengths[first:last][short].astype(np.uint64)
                values[starts[short]] &= (np.uint64(1) << bits) - np.uint64(1)
            with np.errstate(over="ignore"):
                values ^= seed
                block = _splitmix(values)
                h = block[None, :] * a
                h += b
            # Slot r * BINS + j of text t (bin j of round r) in a (rows, rounds * BINS) grid.
            slots = (h >> np.uint64(64 - _BIN_BITS)).view(np.int64)
            slots += offsets
            slots += np.repeat(np.arange(0, rows * width, width, dtype=np.int64), chunk_counts)
            grid = np.full((rows, width), _FULL, dtype=np.uint64)
            np.minimum.at(grid.ravel(), slots.ravel(), h.ravel())
            filled = chunk_counts > 0
            _densify(grid, filled, probes)
            # The 32 bits under the bin bits (the cast to uint32 drops the bits above).
            grid >>= np.uint64(32 - _BIN_BITS)
            out[first:last] = grid
            out[first:last][~filled] = EMPTY
            if keys is not None:
                keys[first:last] = self.band_array(out[first:last, : self.permutations])
            first = last
        result: npt.NDArray[np.uint32] = out[:, : self.permutations]
        return result, keys

    def band_keys(self, signatures: npt.NDArray[np.uint32]) -> list[list[int]]:
        """Per signature, one integer key per band (band index mixed in)."""
        result: list[list[int]] = self.band_array(signatures).tolist()
        return result

    def band_array(self, signatures: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint64]:
        """``band_keys`` as a (signatures x bands) array."""
        import numpy as np

        rows = self.permutations // self.bands
        shaped = signatures.reshape(len(signatures), self.bands, rows)
        keys = np.zeros((len(signatures), self.bands), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(rows):
                keys *= np.uint64(_MIX)
                keys += shaped[:, :, j]
            keys *= np.uint64(_MIX)
            keys += np.arange(self.bands, dtype=np.uint64)[None, :]
        result: npt.NDArray[np.uint64] = keys
        return result

    def shingle_sets(self, texts: Texts) -> tuple[U64, I64]:
        """Per text, its distinct shingles sorted, concatenated; and ``len + 1`` offsets."""
        import numpy as np

        values, counts = self.shingle_values(texts)
        owners = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        order = np.lexsort((values, owners))
        values, owners = values[order], owners[order]
        keep = np.ones(len(values), dtype=bool)
        keep[1:] = (values[1:] != values[:-1]) | (owners[1:] != owners[:-1])
        values, owners = values[keep], owners[keep]
        offsets = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(np.bincount(owners, minlength=len(counts)), out=offsets[1:])
        return values, offsets


def exact_jaccard(
    left: tuple[U64, I64], right: tuple[U64, I64], pairs_left: I64, pairs_right: I64
) -> npt.NDArray[np.float64]:
    """Jaccard similarity of the shingle sets of each (left text, right text) pair.

    ``left``/``right`` are ``MinHasher.shingle_sets``; empty texts have similarity 0.
    """
    import numpy as np

    lv, lo = left
    rv, ro = right
    len_l = np.diff(lo)[pairs_left]
    len_r = np.diff(ro)[pairs_right]
    pairs = np.arange(len(pairs_left), dtype=np.int64)
    values = np.concatenate([lv[_ranges(lo[:-1][pairs_left], len_l)],
                             rv[_ranges(ro[:-1][pairs_right], len_r)]])  # fmt: skip
    owners = np.concatenate([np.repeat(pairs, len_l), np.repeat(pairs, len_r)])
    order = np.lexsort((values, owners))
    values, owners = values[order], owners[order]
    same = (values[1:] == values[:-1]) & (owners[1:] == owners[:-1])
    inter = np.bincount(owners[1:][same], minlength=len(pairs)).astype(np.float64)
    union = (len_l + len_r).astype(np.float64) - inter
    result: npt.NDArray[np.float64] = np.divide(
        inter, union, out=np.zeros(len(pairs)), where=union > 0
    )
    return result


def _densify(grid: U64, filled: npt.NDArray[np.bool_], probes: I64) -> None:
    """Fill empty bins of non-empty rows in place from their probe sequences (originals only).

    ``grid`` is (rows, rounds * BINS); ``probes[c]`` is the probe sequence of column ``c``, bins
    of the same round. A non-empty text has at least one shingle in every round. The fills are
    written after every probe is read, so a probe only ever sees the original bins.
    """
    import numpy as np

    empty = grid == np.uint64(_FULL)
    empty &= filled[:, None]
    rows, bins = np.nonzero(empty)
    if not len(rows):
        return
    fills = np.full(len(rows), _FULL, dtype=np.uint64)
    pending = np.arange(len(rows))
    base = bins - bins % BINS
    for t in range(probes.shape[1]):
        source = base[pending] + probes[bins[pending], t]
        found = grid[rows[pending], source]
        hit = found != np.uint64(_FULL)
        fills[pending[hit]] = found[hit]
        pending = pending[~hit]
        if not len(pending):
            break
    if len(pending):
        # Deterministic fallback: the first non-empty bin of the same round.
        segments = base[pending][:, None] + np.arange(BINS)[None, :]
        candidates = grid[rows[pending][:, None], segments]
        first = np.argmax(candidates != np.uint64(_FULL), axis=1)
        fills[pending] = candidates[np.arange(len(first)), first]
    grid[rows, bins] = fills


def require_numpy() -> None:
    """``DataFileError`` with an install hint when NumPy is missing."""
    import importlib.util

    if importlib.util.find_spec("numpy") is None:
        raise DataFileError("near-duplicate text detection needs numpy: pip install 'mlsvs[data]'")


def similarity(left: npt.NDArray[np.uint32], right: npt.NDArray[np.uint32]) -> float:
    """Estimated Jaccard similarity: the fraction of equal signature slots (0 for empty texts)."""
    if len(left) == 0 or len(left) != len(right) or _empty(left) or _empty(right):
        return 0.0
    return float((left == right).mean())


def _empty(signature: npt.NDArray[np.uint32]) -> bool:
    return bool((signature == EMPTY).all())
