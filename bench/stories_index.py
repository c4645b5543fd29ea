"""What clustering pays, every run, for the articles already clustered: loading the stored
fingerprints into its index (`pipelines.stories.cluster._Index`), CPU and memory, at sizes a
long-running archive reaches, and the CPU of one new article's candidate lookup.

The stored rows are written into a real database's `article_fingerprints` table. Their
signatures are synthetic: families of five, each a random 128-value MinHash and four near
copies that keep 70 % of its values (the look of syndicated copies to LSH), serialised as
datasketch serialises a `LeanMinHash`. For reference the same rows are loaded, up to
--reference-max, as clustering loaded them before `BandIndex`: every signature deserialised
and inserted into datasketch's `MinHashLSH`; both indexes' candidates are compared on 500
lookups at that size.

    .venv/bin/python bench/stories_index.py [--sizes 100000 1000000] [--reference-max 100000]
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from datasketch import LeanMinHash, MinHashLSH

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.db import open_db  # noqa: E402
from pipelines.stories import cluster  # noqa: E402
from pipelines.stories import fingerprints as fp  # noqa: E402

FAMILY = 5
KEPT = 0.7
LOOKUPS = 500


def resident_mb() -> float:
    """The process's resident memory now (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


def synthetic_hashvalues(count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` signatures' hash values, in families of near copies."""
    values = rng.integers(0, 2**32 - 1, size=(count, fp.NUM_PERM), dtype=np.uint64)
    originals = np.arange(count) - np.arange(count) % FAMILY
    kept = rng.random((count, fp.NUM_PERM)) < KEPT
    values = np.where(kept, values[originals], values)
    return values.astype(np.uint32)


def serialised(hashvalues: np.ndarray) -> list[bytes]:
    template = fp.signature_bytes(fp.signature({"a b c d e"}))
    head = template[: len(template) - 4 * fp.NUM_PERM]
    return [head + row.tobytes() for row in hashvalues]


def stored_db(folder: Path, signatures: list[bytes]) -> Any:
    db = open_db(folder / "stories.db")
    with db.conn:
        db.conn.executemany(
            "insert into article_fingerprints (article_id, content_hash, fingerprint, tokens,"
            " signature) values (?, ?, ?, ?, ?)",
            (
                (n + 1, f"hash-{n}", f"{n // FAMILY if n % 7 == 0 else n:040x}", 400, signature)
                for n, signature in enumerate(signatures)
            ),
        )
    return db


def load_reference(db: Any) -> MinHashLSH:
    """The load as clustering did it before `BandIndex`."""
    lsh = MinHashLSH(
        threshold=cluster.LSH_THRESHOLD, num_perm=fp.NUM_PERM, weights=cluster.LSH_WEIGHTS
    )
    exact: dict[str, int] = {}
    for article_id, fingerprint, signature in db.execute(
        "select article_id, fingerprint, signature from article_fingerprints order by article_id"
    ).fetchall():
        lsh.insert(article_id, fp.signature_from_bytes(signature))
        exact.setdefault(fingerprint, article_id)
    return lsh


def measured(load: Any, db: Any) -> tuple[Any, float, float]:
    """What `load(db)` returns, its CPU seconds and the memory it added (MB)."""
    gc.collect()
    before, started = resident_mb(), time.process_time()
    index = load(db)
    return index, time.process_time() - started, resident_mb() - before


def one_size(size: int, reference_max: int) -> None:
    """Both loads at one size, in a process of its own (so memory grown is the load's)."""
    rng = np.random.default_rng(size)
    hashvalues = synthetic_hashvalues(size, rng)
    with tempfile.TemporaryDirectory(prefix="yrd-bench-") as tmp:
        db = stored_db(Path(tmp), serialised(hashvalues))
        index, cpu, grown = measured(cluster._Index, db)
        queries = [
            LeanMinHash(seed=fp.MINHASH_SEED, hashvalues=hashvalues[n], scheme="affine32")
            for n in rng.integers(0, size, LOOKUPS)
        ]
        del hashvalues
        started = time.process_time()
        found = [index.bands.query(q.hashvalues) for q in queries]
        lookup = (time.process_time() - started) / LOOKUPS
        print(
            f"{size:>9,} stored: BandIndex load {cpu:6.1f} s CPU, +{grown:6.0f} MB;"
            f" a lookup {1e6 * lookup:5.0f} µs CPU,"
            f" {np.mean([len(f) for f in found]):.1f} candidates",
            flush=True,
        )
        del index
        if size > reference_max:
            return
        lsh, cpu, grown = measured(load_reference, db)
        same = all(set(lsh.query(q)) == f for q, f in zip(queries, found, strict=True))
        print(
            f"{size:>9,} stored: MinHashLSH load {cpu:6.1f} s CPU, +{grown:6.0f} MB"
            f" (as before); the same candidates for {LOOKUPS} lookups: {same}"
        )
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--reference-max", type=int, default=100_000)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a size, in its own process
    args = parser.parse_args()
    if args.one:
        one_size(args.one, args.reference_max)
        return
    for size in args.sizes:
        command = [sys.executable, __file__, "--one", str(size)]
        subprocess.run([*command, "--reference-max", str(args.reference_max)], check=True)


if __name__ == "__main__":
    main()
