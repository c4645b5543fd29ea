"""Chinese-text helpers shared by extraction, search and the CLI: one definition of
what counts as Chinese, and one Traditional-to-Simplified table."""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
T2S_TABLE = resources.files("crawler") / "data" / "t2s.tsv"  # zip-safe (a Scrapyd egg)


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None


def cjk_share(text: str, sample: int = 5000) -> float:
    """Share of Chinese characters among the letters of the first `sample` characters."""
    letters = [ch for ch in text[:sample] if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if CJK.match(ch)) / len(letters)


def detect_lang(text: str) -> str:
    """ "zh" or "en": pages mixing both count as Chinese once a fifth of their letters are."""
    return "zh" if cjk_share(text) >= 0.2 else "en"


@cache
def _traditional_table() -> dict[int, str]:
    with T2S_TABLE.open(encoding="utf-8") as handle:
        return {
            ord(row["traditional"]): row["simplified"]
            for row in csv.DictReader(handle, delimiter="\t")
        }


@cache
def _traditional_chars() -> frozenset[str]:
    return frozenset(map(chr, _traditional_table()))


def to_simplified(text: str) -> str:
    """Traditional characters folded to Simplified, one character for one, so offsets into
    the result are offsets into the original."""
    # translate() looks every character up (a few hundred ns each): skip it for the usual
    # text that has nothing to fold (search snippets fold every result's body).
    if text.isascii() or _traditional_chars().isdisjoint(text):
        return text
    return text.translate(_traditional_table())
