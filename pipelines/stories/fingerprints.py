"""What two copies of one story have in common, computed from a body alone.

Syndicated copies differ in everything a publisher adds: quotes straight or curly, full-width
digits, Traditional or Simplified characters, spaces after commas or none, a caption, a
"SOURCE" line, a cut at a different point. So a body is first reduced to a sequence of tokens
that none of those change (`tokens`), and then compared three ways:

- `fingerprint`: a hash of the whole token sequence; equal fingerprints are exact duplicates.
- `shingles`: every run of `SHINGLE_SIZE` tokens. English tokens are words; Chinese has no
  spaces, so every Han character is a token of its own (character shingles). Copies share
  most shingles even when one is cut short or carries extra boilerplate.
- `numbers`: the numbers in the text. Two releases from one template share almost all their
  shingles but not their numbers, which is what tells them apart.

`signature` turns the shingles into a MinHash (datasketch), so candidate copies are found with
LSH without comparing every pair of articles.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

from datasketch import LeanMinHash, MinHash

from crawler.chinese import to_simplified

SHINGLE_SIZE = 5
NUM_PERM = 128
# Fixed so that signatures stored in the database stay comparable across runs.
MINHASH_SEED = 1
MINHASH_SCHEME = "affine32"

# Pinyin in brackets after a character ("業(yè)"): damage left by some Traditional converters.
_PINYIN_NOTE = re.compile(r"(?<=[\u3400-\u9fff])\([a-zü\u00c0-\u01dc]{1,7}\)")
_TOKEN = re.compile(
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])"  # 1,006 and 12,500.5 (thousands commas)
    r"|\d+(?:\.\d+)?"  # 2019 and 84.76 ("4,2019" is two numbers)
    r"|[\u3400-\u9fff\uf900-\ufaff]"  # one Han character
    r"|[^\W\d_\u3400-\u9fff\uf900-\ufaff]+"  # a word in any other script
)


def normalize(text: str) -> str:
    """The body with what publishers change folded away: width, case, script variant."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _PINYIN_NOTE.sub("", to_simplified(text))
    return text.casefold()


def _number(token: str) -> str:
    token = token.replace(",", "")
    if "." in token:
        token = token.rstrip("0").rstrip(".")
    return token


def tokens(text: str) -> list[str]:
    """Words, numbers (thousands commas dropped) and single Han characters, in text order."""
    return [_number(t) if t[0].isdigit() else t for t in _TOKEN.findall(normalize(text))]


def fingerprint(token_list: list[str]) -> str:
    """Hash of the token sequence: the same for bodies that differ only in form."""
    return hashlib.sha1(" ".join(token_list).encode("utf-8")).hexdigest()


def shingles(token_list: list[str], size: int = SHINGLE_SIZE) -> set[str]:
    """Every run of `size` consecutive tokens (the whole text when it is shorter)."""
    if len(token_list) <= size:
        return {" ".join(token_list)} if token_list else set()
    return {" ".join(token_list[i : i + size]) for i in range(len(token_list) - size + 1)}


def numbers(token_list: list[str]) -> Counter[str]:
    return Counter(t for t in token_list if t[0].isdigit())


# An empty MinHash whose copies share its permutations, which take longer to draw from the
# seed than most articles take to hash (datasketch's `MinHash.generator` does the same).
_EMPTY = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme=MINHASH_SCHEME)


def signature(shingle_set: Iterable[str]) -> LeanMinHash:
    minhash = _EMPTY.copy()
    minhash.update_batch([s.encode("utf-8") for s in shingle_set])
    return LeanMinHash(minhash)


def signature_bytes(minhash: LeanMinHash) -> bytes:
    buffer = bytearray(minhash.bytesize())
    minhash.serialize(buffer)
    return bytes(buffer)


def signature_from_bytes(data: bytes) -> LeanMinHash:
    return LeanMinHash.deserialize(data)


def containment(a: set[str], b: set[str]) -> float:
    """Share of the smaller set found in the larger: a copy cut short still scores high."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def number_agreement(a: Counter[str], b: Counter[str]) -> float:
    """Share of the numbers of the text with fewer numbers that the other text has too
    (1.0 when either has none: then the numbers cannot tell the texts apart)."""
    smaller = min(sum(a.values()), sum(b.values()))
    if smaller == 0:
        return 1.0
    return sum((a & b).values()) / smaller
