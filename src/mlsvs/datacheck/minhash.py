"""MinHash signatures and LSH banding for near-duplicate text, implemented natively (NumPy).

Shingles are the byte ``k``-grams of the UTF-8 text (texts shorter than ``k`` are one shingle,
zero-padded), read as little-endian integers ``x`` (``k <= 7``). Each of ``permutations`` hash
functions is multiply-shift hashing ``h_i(x) = ((a_i * x + b_i) mod 2^64) >> 32`` with odd
64-bit ``a_i`` and 64-bit ``b_i`` from a seeded RNG (Dietzfelbinger et al. 1997), so a signature
slot is a 32-bit value. Signatures are computed for a whole batch of texts at once
(``np.minimum.reduceat`` over the permutation-by-shingle matrix, 16 Ki shingles per step).
LSH splits a signature into ``bands`` bands of ``rows = permutations / bands`` slots; two texts
become candidates when one band is equal, which happens with probability
``1 - (1 - J^rows)^bands`` for Jaccard similarity ``J`` (128 permutations in 16 bands of 8: 50 %
at J = 0.67, 95 % at J = 0.8, 1 % at J = 0.4, so unrelated texts rarely become candidates).
Candidates are confirmed by the estimated Jaccard similarity (the fraction of equal signature
slots) reaching the threshold.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.datacheck.errors import DataFileError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt

_MIX = 0x9E3779B97F4A7C15
_WINDOWS = 1 << 14
"""Shingles hashed per NumPy step (temporaries of ~16 MiB at 128 permutations)."""
EMPTY = 0xFFFFFFFF
"""Fill value of an empty text's signature row (all slots; a real row is never all-ones in
practice: probability 2^-32 per slot)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MinHasher:
    """Seeded MinHash parameters."""

    permutations: int = 128
    bands: int = 16
    shingle: int = 5
    seed: int = 1
    a: tuple[int, ...] = ()
    b: tuple[int, ...] = ()

    @classmethod
    def create(
        cls, *, permutations: int = 128, bands: int = 16, shingle: int = 5, seed: int = 1
    ) -> MinHasher:
        """Draw the hash-function coefficients from ``seed``."""
        rng = random.Random(seed)  # noqa: S311 - seeded hash coefficients, not crypto
        a = tuple(rng.getrandbits(64) | 1 for _ in range(permutations))
        b = tuple(rng.getrandbits(64) for _ in range(permutations))
        return cls(permutations=permutations, bands=bands, shingle=shingle, seed=seed, a=a, b=b)

    def shingles(self, text: str) -> set[int]:
        """The shingle values of ``text`` (for tests and explanations; not used in batches)."""
        data = text.encode("utf-8")
        if not data:
            return set()
        k = self.shingle
        if len(data) < k:
            return {int.from_bytes(data, "little")}
        return {int.from_bytes(data[i : i + k], "little") for i in range(len(data) - k + 1)}

    def signatures(self, texts: Sequence[str]) -> npt.NDArray[np.uint32]:
        """One signature row per text; an empty text gets a row of ``EMPTY``."""
        import numpy as np

        out = np.full((len(texts), self.permutations), EMPTY, dtype=np.uint32)
        encoded = [t.encode("utf-8") for t in texts]
        a = np.asarray(self.a, dtype=np.uint64)
        b = np.asarray(self.b, dtype=np.uint64)
        start = 0
        while start < len(encoded):
            stop, windows = start, 0
            while stop < len(encoded) and (windows < _WINDOWS or stop == start):
                windows += max(len(encoded[stop]) - self.shingle + 1, 1)
                stop += 1
            self._fill(encoded[start:stop], out[start:stop], a, b)
            start = stop
        result: npt.NDArray[np.uint32] = out
        return result

    def _fill(
        self,
        texts: list[bytes],
        out: npt.NDArray[np.uint32],
        a: npt.NDArray[np.uint64],
        b: npt.NDArray[np.uint64],
    ) -> None:
        import numpy as np

        k = self.shingle
        keep = [i for i, t in enumerate(texts) if t]
        if not keep:
            return
        padded = [texts[i].ljust(k, b"\0") for i in keep]
        lengths = np.fromiter((len(t) for t in padded), dtype=np.int64, count=len(padded))
        buffer = np.frombuffer(b"".join(padded), dtype=np.uint8)
        counts = lengths - k + 1
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        firsts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        starts = np.arange(int(counts.sum())) + np.repeat(offsets - firsts, counts)
        values = np.zeros(starts.shape[0], dtype=np.uint64)
        for j in range(k):
            values |= buffer[starts + j].astype(np.uint64) << np.uint64(8 * j)
        # Permutation-major layout: about 2.5x faster than shingle-major for both steps. In-place
        # arithmetic on one buffer (no temporaries); the shifted values fit 32 bits, so the
        # minimum is taken before narrowing.
        hashed = np.multiply(a[:, None], values[None, :])
        hashed += b[:, None]
        hashed >>= np.uint64(32)
        out[keep] = np.minimum.reduceat(hashed, firsts, axis=1).T.astype(np.uint32)

    def band_keys(self, signatures: npt.NDArray[np.uint32]) -> list[list[int]]:
        """Per signature, one integer key per band (band index mixed in)."""
        result: list[list[int]] = self.band_array(signatures).tolist()
        return result

    def band_array(self, signatures: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint64]:
        """``band_keys`` as a (signatures x bands) array."""
        import numpy as np

        rows = self.permutations // self.bands
        shaped = signatures.astype(np.uint64).reshape(len(signatures), self.bands, rows)
        keys = np.zeros((len(signatures), self.bands), dtype=np.uint64)
        for j in range(rows):
            keys = keys * np.uint64(_MIX) + shaped[:, :, j]
        keys = keys * np.uint64(_MIX) + np.arange(self.bands, dtype=np.uint64)[None, :]
        result: npt.NDArray[np.uint64] = keys
        return result


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
