"""Text geometry for figure extraction: spans where digits are never figures (sentences
are crawler.sentences'). Computed once per text with linear regexes, so the extractor can ask "which
sentence?" and "is this number inside a date, a phone number or a licence code?" with a bisect.
"""

from __future__ import annotations

import re
from bisect import bisect_right

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
MONTH_RE = re.compile(_MONTH)
_MASKS = [
    r"https?://\S+|www\.\S+",  # URLs
    rf"\b{_MONTH}\.?[ \u00a0]\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?[ \u00a0]\d{{4}}\b)?",  # May 12, 2021
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?[ \u00a0](?:of[ \u00a0])?{_MONTH}\b(?:,?[ \u00a0]\d{{4}}\b)?",
    rf"\b{_MONTH}[ \u00a0]\d{{4}}\b",  # July 2021
    r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b",  # 2020-11-07, 10/09/2020
    r"\b\d{1,2}:\d{2}(?::\d{2})?(?:[ \u00a0]?[ap]\.?m\.?)?|\bUTC[+-]\d{1,2}\b|\bGMT[+-]\d{1,2}\b",
    r"\b\d{1,2}[ \u00a0]?[ap]\.m\.",
    r"\d{2,4}年\d{1,2}月(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日|\d{1,2}时\d{1,2}分",
    r"\+?\b\d{3,5}-\d{7,8}\b|\(\d{3,4}\)[ \u00a0]?\d{7,8}\b|\+86[ \u00a0-]?\d[\d \u00a0-]{7,14}\d"
    r"|(?<!\d)1[3-9]\d{9}(?!\d)",  # phone numbers
    r"ICP[\u4e00-\u9fff]{0,2}\d+[\u4e00-\u9fff-]{0,20}\d*号?"
    r"|第\d+号|公网安备[ \u00a0]?\d+号?|[A-Z]\d?-\d{5,}",  # licences: 沪ICP备…, 沪字第354号
    r"(?i:\bcopyright\b)[^\n]{0,20}?\d{4}(?:[-–]\d{4})?|©[ \u00a0]?\d{4}(?:[-–]\d{4})?",
]
# Every mask starts with one of these characters: one cheap test rules out most positions.
_MASK_RE = re.compile(r"(?=[\dA-Zhwc(+©公第])(?:" + "|".join(f"(?:{m})" for m in _MASKS) + ")")
# An e-mail address is found from its "@" and only in texts that have one.
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}\.[\w.]{1,63}")


class Masks:
    """Spans of dates, times, phone numbers, URLs, e-mail, licence and copyright lines."""

    def __init__(self, text: str) -> None:
        spans = [(m.start(), m.end()) for m in _MASK_RE.finditer(text)]
        if "@" in text:
            spans = sorted(spans + [(m.start(), m.end()) for m in _EMAIL_RE.finditer(text)])
        self.spans: list[tuple[int, int]] = []
        for start, end in spans:  # overlapping spans from the two passes become one
            if self.spans and start < self.spans[-1][1]:
                self.spans[-1] = (self.spans[-1][0], max(end, self.spans[-1][1]))
            else:
                self.spans.append((start, end))
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
