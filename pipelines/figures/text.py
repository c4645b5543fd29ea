"""Text geometry for figure extraction: sentences, and spans where digits are never figures.

Both are computed once per text with linear regexes, so the extractor can ask "which
sentence?" and "is this number inside a date, a phone number or a licence code?" with a bisect.
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

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
MONTH_RE = re.compile(_MONTH)
_MASKS = [
    r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+",  # URLs, e-mail
    rf"\b{_MONTH}\.?[ \u00a0]\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?[ \u00a0]\d{{4}}\b)?",  # May 12, 2021
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?[ \u00a0](?:of[ \u00a0])?{_MONTH}\b(?:,?[ \u00a0]\d{{4}}\b)?",
    rf"\b{_MONTH}[ \u00a0]\d{{4}}\b",  # July 2021
    r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b",  # 2020-11-07, 10/09/2020
    r"\b\d{1,2}:\d{2}(?::\d{2})?(?:[ \u00a0]?[ap]\.?m\.?)?|\bUTC[+-]\d{1,2}\b|\bGMT[+-]\d{1,2}\b",
    r"\b\d{1,2}[ \u00a0]?[ap]\.m\.",
    r"\d{2,4}年\d{1,2}月(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日|\d{1,2}时\d{1,2}分",
    r"\+?\b\d{3,5}-\d{7,8}\b|\(\d{3,4}\)[ \u00a0]?\d{7,8}\b|\+86[ \u00a0-]?\d[\d \u00a0-]{7,14}\d"
    r"|(?<!\d)1[3-9]\d{9}(?!\d)",  # phone numbers
    r"[A-Za-z\u4e00-\u9fff]{0,6}ICP[\u4e00-\u9fff]{0,2}\d+[\u4e00-\u9fff-]*\d*号?"
    r"|[\u4e00-\u9fff]{1,4}第\d+号|公网安备[ \u00a0]?\d+号?|[A-Z]\d?-\d{5,}",  # licences
    r"(?i:\bcopyright\b)[^\n]{0,20}?\d{4}(?:[-–]\d{4})?|©[ \u00a0]?\d{4}(?:[-–]\d{4})?",
]
_MASK_RE = re.compile("|".join(f"(?:{m})" for m in _MASKS))


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
        self.spans = sentences(text) or [(0, len(text))]
        self._starts = [s for s, _ in self.spans]

    def at(self, offset: int) -> tuple[int, int]:
        i = max(0, bisect_right(self._starts, offset) - 1)
        return self.spans[i]


class Masks:
    """Spans of dates, times, phone numbers, URLs, licence and copyright lines."""

    def __init__(self, text: str) -> None:
        self.spans = [(m.start(), m.end()) for m in _MASK_RE.finditer(text)]
        self._starts = [s for s, _ in self.spans]

    def contains(self, start: int, end: int) -> bool:
        """True when one masked span holds all of [start, end)."""
        i = bisect_right(self._starts, start) - 1
        return i >= 0 and self.spans[i][1] >= end

    def covers(self, start: int, end: int) -> bool:
        """True when [start, end) overlaps a masked span."""
        i = bisect_right(self._starts, start) - 1
        if i >= 0 and self.spans[i][1] > start:
            return True
        j = i + 1
        return j < len(self.spans) and self.spans[j][0] < end
