"""Industry tags: phrases of the sector taxonomy in crawler/data/industries.yml, English and Chinese."""

from __future__ import annotations

import re
from functools import cache

from .lexicon import Lexicon, is_acronym, load
from .spans import Span


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(case-insensitive English, case-sensitive acronyms, Chinese) alternations, longest first."""
    lex = load()
    words, acronyms = [], []
    for phrase in sorted(lex.industries_en, key=len, reverse=True):
        body = r"[-\s]+".join(re.escape(w) for w in re.split(r"[-\s]+", phrase))
        (acronyms if is_acronym(phrase) else words).append(body)
    zh = sorted(lex.industries_zh, key=len, reverse=True)
    return (
        re.compile(r"(?<![\w-])(?:" + "|".join(words) + r")(?![\w-])", re.I),
        re.compile(r"(?<![\w-])(?:" + "|".join(acronyms) + r")(?![\w-])"),
        re.compile("|".join(map(re.escape, zh))),
    )


def _key(surface: str) -> str:
    return " ".join(re.split(r"[-\s]+", surface))


def find_industries(text: str, lex: Lexicon) -> list[Span]:
    en, acr, zh = _patterns()
    table = {_key(k).casefold(): v for k, v in lex.industries_en.items()}
    out = []
    for pattern in (en, acr):
        for m in pattern.finditer(text):
            ent = table.get(_key(m.group()).casefold())
            if ent is not None:
                out.append(Span(m.start(), m.end(), ent))
    for m in zh.finditer(text):
        out.append(Span(m.start(), m.end(), lex.industries_zh[m.group()]))
    return out
