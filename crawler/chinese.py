"""Chinese-text helpers shared by extraction, search and the CLI: one definition of
what counts as Chinese, one Traditional-to-Simplified table, and one set-up of jieba."""

from __future__ import annotations

import csv
import logging
import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jieba import Tokenizer

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
T2S_TABLE = resources.files("crawler") / "data" / "t2s.tsv"  # zip-safe (a Scrapyd egg)


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None


def cjk_share(text: str, sample: int = 5000) -> float:
    """Share of Chinese characters among the letters of the first `sample` characters."""
    head = text[:sample]
    letters = sum(map(str.isalpha, head))
    if not letters:
        return 0.0
    return sum(map(str.isalpha, CJK.findall(head))) / letters


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


@cache
def jieba_tokenizer() -> Tokenizer:
    """jieba's default tokenizer (the one `jieba.posseg` tags with), imported on first use:
    its import and dictionary cost about a second, which English text never pays.

    Quiet, and with its dictionary cache in the user's cache folder: jieba's own default,
    /tmp/jieba.cache, is another user's file on a shared machine (jieba then rebuilds the
    dictionary on every start, logs a traceback and leaves a 9 MB temporary file behind), and
    gone wherever /tmp is private to a service or emptied at boot."""
    import jieba

    from crawler.cache import cache_folder

    jieba.setLogLevel(logging.WARNING)
    folder = cache_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        jieba.dt.tmp_dir = str(folder)
    except OSError:
        pass  # an unwritable home: jieba's temporary folder will do
    return jieba.dt
