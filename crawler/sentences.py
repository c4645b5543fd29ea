"""Sentences of a text as spans, found once: every extractor that quotes "the sentence a
figure or name stands in" asks here, so they all agree on what a sentence is.

Splits at Chinese and Western sentence ends, line breaks and a wire dateline's dash, but not
after abbreviations ("Jan.", "Co.", "U.S.") or initials.
"""

from __future__ import annotations

import re
from bisect import bisect_right

_ABBREVIATIONS = frozenset(
    (
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "co",
        "ltd", "inc", "corp", "mr", "mrs", "ms", "dr", "no", "nos", "st", "vs", "etc", "approx",
        "prof", "gov", "jr", "sr", "dept", "govt", "est", "fig", "u.s", "u.k", "e.g", "i.e"
    )
)  # fmt: skip
_BOUNDARY = re.compile(
    r"(?<=/)[ \u00a0]*(?:--|—|–)|[。！？!?]+[”\"’']?|\.(?=[ \t\u00a0]|\n|\Z)[”\"’']?|\n+"
)


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end), whitespace trimmed; abbreviations like "Jan." do not split."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.group().startswith("."):
            word = text[max(start, m.start() - 6) : m.start()].rsplit(None, 1)
            token = word[-1].lower() if word else ""
            if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
                continue
            nxt = text[m.end() : m.end() + 3].lstrip()
            if nxt[:1].islower():
                continue
        _add(text, start, m.end(), spans)
        start = m.end()
    _add(text, start, len(text), spans)
    return spans


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        lead = len(chunk) - len(chunk.lstrip())
        spans.append((start + lead, start + lead + len(stripped)))


class SentenceIndex:
    """Which sentence holds a character offset."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans = sentences(text) or [(0, len(text))]
        self._starts = [s for s, _ in self.spans]

    def at(self, offset: int) -> tuple[int, int]:
        i = max(0, bisect_right(self._starts, offset) - 1)
        return self.spans[i]

    def of(self, offset: int) -> tuple[int, str]:
        """(start, text) of the sentence holding `offset`."""
        start, end = self.at(offset)
        return start, self.text[start:end]
