"""MinHash signatures and LSH banding for near-duplicate text, implemented natively.

Shingles are character ``k``-grams of the normalised text, hashed with CRC-32 (31 bits kept).
Each of ``permutations`` hash functions is ``h_i(x) = (a_i * x + b_i) mod (2^61 - 1)`` with
``a_i, b_i`` drawn from a seeded RNG below 2^31, so every product fits in 64 bits and the pure
Python and NumPy paths give identical signatures. LSH splits a signature into ``bands`` bands of
``rows = permutations / bands``; two texts become candidates when one band is equal, which
happens with probability ``1 - (1 - J^rows)^bands`` for Jaccard similarity ``J`` (64/16: 50 % at
J = 0.5, 99.6 % at J = 0.8). Candidates are confirmed by the estimated Jaccard similarity (the
fraction of equal signature slots) reaching the threshold.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

_PRIME = (1 << 61) - 1
_MASK31 = (1 << 31) - 1


@dataclass(frozen=True, slots=True, kw_only=True)
class MinHasher:
    """Seeded MinHash parameters."""

    permutations: int = 64
    bands: int = 16
    shingle: int = 5
    seed: int = 1
    a: tuple[int, ...] = ()
    b: tuple[int, ...] = ()

    @classmethod
    def create(
        cls, *, permutations: int = 64, bands: int = 16, shingle: int = 5, seed: int = 1
    ) -> MinHasher:
        """Draw the hash-function coefficients from ``seed``."""
        rng = random.Random(seed)  # noqa: S311 - seeded hash coefficients, not crypto
        a = tuple(rng.randrange(1, _MASK31) | 1 for _ in range(permutations))
        b = tuple(rng.randrange(0, _MASK31) for _ in range(permutations))
        return cls(permutations=permutations, bands=bands, shingle=shingle, seed=seed, a=a, b=b)

    def shingles(self, text: str) -> set[int]:
        """31-bit CRC hashes of the character k-grams (the whole text when shorter)."""
        k = self.shingle
        if len(text) <= k:
            return {zlib.crc32(text.encode("utf-8")) & _MASK31} if text else set()
        return {
            zlib.crc32(text[i : i + k].encode("utf-8")) & _MASK31 for i in range(len(text) - k + 1)
        }

    def signature(self, text: str) -> tuple[int, ...]:
        """The MinHash signature of ``text`` (empty text: an empty tuple)."""
        hashes = self.shingles(text)
        if not hashes:
            return ()
        try:
            import numpy as np
        except ImportError:
            return tuple(
                min((a * x + b) % _PRIME for x in hashes)
                for a, b in zip(self.a, self.b, strict=True)
            )
        values = np.fromiter(hashes, dtype=np.uint64, count=len(hashes))
        a = np.asarray(self.a, dtype=np.uint64)
        b = np.asarray(self.b, dtype=np.uint64)
        table = (np.outer(values, a) + b) % np.uint64(_PRIME)
        return tuple(int(v) for v in table.min(axis=0))

    def band_keys(self, signature: Sequence[int]) -> list[tuple[int, int]]:
        """One hashable key per band: ``(band index, hash of the band's slots)``."""
        rows = self.permutations // self.bands
        return [
            (band, hash(tuple(signature[band * rows : (band + 1) * rows])))
            for band in range(self.bands)
        ]


def similarity(left: Sequence[int], right: Sequence[int]) -> float:
    """Estimated Jaccard similarity: the fraction of equal signature slots."""
    if not left or len(left) != len(right):
        return 0.0
    return sum(x == y for x, y in zip(left, right, strict=True)) / len(left)
