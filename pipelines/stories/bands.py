"""Candidate copies by MinHash LSH bands, over every stored signature, in memory a crawl of a
long-running archive can afford.

Clustering compares each new article with every article already clustered, so every run loads
the stored signatures. datasketch's `MinHashLSH` keeps a Python dict entry per band and article:
about 13 KB of memory and 150 µs of load per stored article, every run (a million articles:
13 GB and two and a half minutes before the first new article is compared). This index finds
the same candidates (the articles with at least one band equal to the query's, with the bands
`MinHashLSH` chooses for the threshold and weights) from one sorted array of every stored
article's band values, built from the signatures' bytes in vectorised passes (about 0.6 KB
and 15 µs per stored article), and one search of it per new article. Articles clustered during
the run are kept in a small dict beside the array.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

import numpy as np
from datasketch import MinHashLSH

# Signatures are read in slices of this many rows, so a large archive is never held twice.
LOAD_SLICE = 50_000
# A key is a band's number in its top bits and its value's high bits below: sorting band by
# band then sorts them all, and one search looks up every band of a signature.
_BAND_BITS = 6
_LOW = np.uint64(2**_BAND_BITS - 1)


def _keys(bands: np.ndarray, values: np.ndarray) -> np.ndarray:
    return (bands.astype(np.uint64) << np.uint64(64 - _BAND_BITS)) | (
        values >> np.uint64(_BAND_BITS)
    )


class BandIndex:
    """Which stored articles share a band of their MinHash signature with a given one."""

    def __init__(self, *, threshold: float, num_perm: int, weights: tuple[float, float]) -> None:
        # datasketch's own choice of bands for these parameters, so candidates are the same.
        ranges = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=weights).hashranges
        self.bands, self.rows = len(ranges), ranges[0][1] - ranges[0][0]
        if ranges != [(b * self.rows, (b + 1) * self.rows) for b in range(self.bands)]:
            raise ValueError(f"bands of unequal widths: {ranges}")
        if self.rows > 2:
            raise ValueError("a band of more than two hash values does not fit in 64 bits")
        if self.bands > 2**_BAND_BITS:
            raise ValueError(f"more than {2**_BAND_BITS} bands")
        self.num_perm = num_perm
        self.ids = np.zeros(0, dtype=np.int64)  # the loaded articles, in load order
        # Every band value of the loaded articles as one sorted array of keys (`_keys`), so
        # one search finds them all; for each key the article (its place in `ids`) and the
        # low bits of the value, which the key leaves out.
        self.keys = np.zeros(0, dtype=np.uint64)
        self.rows_of = np.zeros(0, dtype=np.uint32)
        self.low_bits = np.zeros(0, dtype=np.uint8)
        self.added: dict[tuple[int, int], list[int]] = {}  # (band, value) -> ids added since

    def band_values(self, hashvalues: np.ndarray) -> np.ndarray:
        """Each band's hash values as one uint64 (rows of signatures: one row each): two
        32-bit values side by side, so equal bands and only those have equal values."""
        used = hashvalues[..., : self.bands * self.rows].astype(np.uint64)
        by_band = used.reshape(*hashvalues.shape[:-1], self.bands, self.rows)
        values = by_band[..., 0]
        for at in range(1, self.rows):
            values = (values << np.uint64(32)) | by_band[..., at]
        return values

    def hashvalues(self, signatures: list[bytes]) -> np.ndarray:
        """The hash values of serialised datasketch `LeanMinHash`es (affine32): their last
        `num_perm` 32-bit words, in the machine's byte order, as `LeanMinHash.serialize`
        documents them."""
        width = 4 * self.num_perm
        if any(len(signature) < width for signature in signatures):
            raise ValueError(f"a stored signature is shorter than {self.num_perm} hash values")
        tails = b"".join(signature[-width:] for signature in signatures)
        return np.frombuffer(tails, dtype=np.uint32).reshape(len(signatures), self.num_perm)

    def load(self, rows: Iterable[tuple[int, bytes]]) -> None:
        """Index stored (article id, serialised signature) rows, replacing what was loaded."""
        ids: list[np.ndarray] = []
        values: list[np.ndarray] = []
        rows = iter(rows)
        while chunk := list(islice(rows, LOAD_SLICE)):
            ids.append(np.fromiter((i for i, _ in chunk), dtype=np.int64, count=len(chunk)))
            values.append(self.band_values(self.hashvalues([s for _, s in chunk])))
        self.ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        table = np.concatenate(values) if values else np.zeros((0, self.bands), np.uint64)
        count = len(self.ids)
        self.keys = np.empty(count * self.bands, dtype=np.uint64)
        self.rows_of = np.empty(count * self.bands, dtype=np.uint32 if count < 2**32 else np.uint64)
        self.low_bits = np.empty(count * self.bands, dtype=np.uint8)
        for band in range(self.bands):
            column = table[:, band]
            order = np.argsort(column)
            column = column[order]
            segment = slice(band * count, (band + 1) * count)
            self.keys[segment] = _keys(np.full(count, band), column)
            self.rows_of[segment] = order
            self.low_bits[segment] = column & _LOW
        self.added = {}

    def add(self, article_id: int, hashvalues: np.ndarray) -> None:
        for band, value in enumerate(self.band_values(hashvalues).tolist()):
            self.added.setdefault((band, value), []).append(article_id)

    def query(self, hashvalues: np.ndarray) -> set[int]:
        """The ids of every indexed article with at least one band equal to the signature's."""
        values = self.band_values(hashvalues)
        keys = _keys(np.arange(self.bands), values)
        starts = np.searchsorted(self.keys, keys, side="left")
        ends = np.searchsorted(self.keys, keys, side="right")
        hit = np.flatnonzero(ends > starts)  # the bands whose key is stored
        counts = ends[hit] - starts[hit]
        # Every stored place of those keys, in one array: each hit band's run of them.
        firsts = np.repeat(starts[hit] - np.cumsum(counts) + counts, counts)
        at = firsts + np.arange(counts.sum())
        # The key leaves out the value's low bits: an equal key with other low bits is no match.
        equal = self.low_bits[at] == (values[np.repeat(hit, counts)] & _LOW)
        found = set(self.ids[self.rows_of[at[equal]]].tolist())
        for band, value in enumerate(values.tolist()):
            found.update(self.added.get((band, value), ()))
        return found
