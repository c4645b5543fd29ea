"""Industry tags: phrases of the sector taxonomy in crawler/data/industries.yml, English and Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from crawler.items import Entity

from .lexicon import Lexicon, is_acronym, load
from .spans import Span


class _Alternation:
    """Phrases tried first to last at each position, with the same matches as one compiled
    alternation's `finditer`, but trying at a position only the phrases that can start with
    the character found there (a text names few of the 200 phrases at each word).

    Case-insensitive phrases are grouped by their ASCII first letter folded; a non-ASCII
    character (ſ, the Kelvin sign) is tried against every phrase, as the regex engine folds it.
    """

    def __init__(self, phrases: list[tuple[str, str]], before: str, after: str, flags: int = 0):
        self.fold = bool(flags & re.IGNORECASE)
        self.whole = self._compile([body for _, body in phrases], before, after, flags)
        self.groups: dict[str, re.Pattern[str]] | None = None
        firsts = {phrase[:1] for phrase, _ in phrases}
        if all(c and c.isalnum() and (c.isascii() or not self.fold) for c in firsts):
            grouped: dict[str, list[str]] = {}
            for phrase, body in phrases:
                grouped.setdefault(self._key(phrase[0]), []).append(body)
            self.groups = {k: self._compile(v, before, after, flags) for k, v in grouped.items()}
            chars = "".join(map(re.escape, sorted(firsts)))
            self.starts = re.compile(f"{before}(?=[{chars}])", flags)

    @staticmethod
    def _compile(bodies: list[str], before: str, after: str, flags: int) -> re.Pattern[str]:
        return re.compile(before + "(?:" + "|".join(bodies) + ")" + after, flags)

    def _key(self, char: str) -> str:
        return char.lower() if self.fold else char

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        if self.groups is None:  # a phrase starts with no letter or digit: no grouping
            yield from self.whole.finditer(text)
            return
        pos = 0
        while found := self.starts.search(text, pos):
            p = found.start()
            char = text[p]
            if self.fold and not char.isascii():
                pattern: re.Pattern[str] | None = self.whole
            else:
                pattern = self.groups.get(self._key(char))
            m = pattern.match(text, p) if pattern is not None else None
            if m:
                yield m
                pos = m.end()
            else:
                pos = p + 1


@cache
def _patterns() -> tuple[_Alternation, _Alternation, _Alternation]:
    """(case-insensitive English, case-sensitive acronyms, Chinese) alternations, longest first."""
    lex = load()
    words, acronyms = [], []
    for phrase in sorted(lex.industries_en, key=len, reverse=True):
        body = r"[-\s]+".join(re.escape(w) for w in re.split(r"[-\s]+", phrase))
        (acronyms if is_acronym(phrase) else words).append((phrase, body))
    zh = sorted(lex.industries_zh, key=len, reverse=True)
    return (
        _Alternation(words, r"(?<![\w-])", r"(?![\w-])", re.I),
        _Alternation(acronyms, r"(?<![\w-])", r"(?![\w-])"),
        _Alternation([(p, re.escape(p)) for p in zh], "", ""),
    )


def _key(surface: str) -> str:
    return " ".join(re.split(r"[-\s]+", surface))


@cache
def _table(lex: Lexicon) -> dict[str, Entity]:
    """English phrases by their casefolded key, as a match is looked up."""
    return {_key(k).casefold(): v for k, v in lex.industries_en.items()}


def find_industries(text: str, lex: Lexicon) -> list[Span]:
    en, acr, zh = _patterns()
    table = _table(lex)
    out = []
    for pattern in (en, acr):
        for m in pattern.finditer(text):
            ent = table.get(_key(m.group()).casefold())
            if ent is not None:
                out.append(Span(m.start(), m.end(), ent))
    for m in zh.finditer(text):
        out.append(Span(m.start(), m.end(), lex.industries_zh[m.group()]))
    return out
