"""What the words around a figure say about it: bound, change, period, metric, subject.

Each reader looks at a short window of the figure's own sentence; all are pure and never raise.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from .lexicon import (
    COUNT_METRICS,
    EN_CHANGE_DOWN,
    EN_CHANGE_UP,
    METRIC_KINDS,
    METRICS,
    QUALIFIERS_AFTER,
    QUALIFIERS_BEFORE,
    ZH_CHANGE_DOWN,
    ZH_CHANGE_UP,
    alternation,
)
from .text import MONTH_RE, Masks

_QUAL_BEFORE_RE = re.compile(
    rf"((?<![A-Za-z])(?:{alternation(w for w in QUALIFIERS_BEFORE if w.isascii())})"
    rf"|{alternation(w for w in QUALIFIERS_BEFORE if not w.isascii())})[ \u00a0]*\Z",
    re.IGNORECASE,
)
_QUAL_AFTER_RE = re.compile(rf"[ \u00a0]*({alternation(QUALIFIERS_AFTER)})(?![A-Za-z])")

_EN_CHANGE_BEFORE_RE = re.compile(
    r"(?<![A-Za-z])((?:an? )?(?:year[- ]on[- ]year )?"
    rf"({alternation(EN_CHANGE_UP + EN_CHANGE_DOWN)})"
    r"(?: (?:by|of))?(?: (?:year[- ]on[- ]year|yoy))?),?[ \u00a0]*\Z",
    re.IGNORECASE,
)
_EN_CHANGE_AFTER_RE = re.compile(
    r"[ \u00a0]+(?:year[- ]on[- ]year[ \u00a0]+)?"
    r"(increase|growth|rise|jump|decline|drop|decrease|higher|lower|more|less|fewer)\b",
    re.IGNORECASE,
)
_ZH_CHANGE_BEFORE_RE = re.compile(
    r"((?:同比|环比|比上年同期|比去年同期|比上年|比去年|较上年|较去年同期|较去年)?(?:分别)?"
    rf"({alternation(ZH_CHANGE_UP + ZH_CHANGE_DOWN)})(?:了|为|达)?)[ \u00a0]*\Z"
)
_PHRASAL_UP_RE = re.compile(
    r"\b(?:mak(?:e|es|ing)|made|t(?:ake|akes|aking|ook)|set(?:s|ting)?|end(?:s|ed|ing)?|add(?:s|ed|ing)?"
    r"|sum(?:s|med)?|pick(?:s|ed)?|sign(?:s|ed)?|step(?:s|ped)?|buil[dt]s?|open(?:s|ed)?) \Z",
    re.IGNORECASE,
)
_DOWN = frozenset(w.lower() for w in EN_CHANGE_DOWN + ZH_CHANGE_DOWN) | {"decline", "drop"}

_EN_PART = (
    r"(?:(?:first|second|third|fourth|1st|2nd|3rd|4th)[ \u00a0]+"
    r"(?:half|quarter|three quarters|two quarters|(?:two|three|four|five|six|seven|eight|nine|"
    r"ten|eleven) months))"
)
_EN_PERIOD = (
    r"(?:(?:[Ii]n|[Dd]uring|[Ff]rom|[Ff]or|[Bb]y|[Aa]s of|[Ss]ince|[Tt]hrough|[Oo]ver|of|"
    r"(?:[Aa]t|[Bb]y) the end of)[ \u00a0]+)?(?:the[ \u00a0]+)?"
    rf"(?:{_EN_PART}(?:[ \u00a0]+of[ \u00a0]+(?:(?:19|20)\d{{2}}|this year|last year))?"
    r"|(?:[Ll]ast|[Tt]his|[Nn]ext|the previous|the past)[ \u00a0]+(?:half|quarter)"
    r"|Q[1-4](?:[ \u00a0]+(?:19|20)\d{2})?"
    rf"|{MONTH_RE.pattern}[ \u00a0]*(?:-|–|to|through)[ \u00a0]*{MONTH_RE.pattern}"
    r"(?:[ \u00a0]+(?:of[ \u00a0]+)?(?:(?:19|20)\d{2}|this year|last year))?"
    r"|\d{1,2}(?:st|nd|rd|th)[ \u00a0]+Five-Year[ \u00a0]+Plan(?:[ \u00a0]+period)?"
    r"(?:[ \u00a0]*\((?:19|20)\d{2}[ \u00a0]*[-–][ \u00a0]*(?:19|20)\d{2}\))?"
    r"|(?:year[ \u00a0]+)?(?:19|20)\d{2}(?:[ \u00a0]*[-–][ \u00a0]*(?:19|20)\d{2})?(?!\d|,\d)"
    r"|(?:[Ll]ast|[Tt]his|[Nn]ext|the previous|the past) year)(?![A-Za-z])"
)
_ZH_PART = (
    r"(?:上半年|下半年|全年|前三季度|前[一二三四1-4]季度|第?[一二三四1-4]季度"
    r"|\d{1,2}[-—~至到]\d{1,2}(?:月份?|季度)|[一二三四][-—~至到][一二三四]季度|\d{1,2}月份?)"
)
_ZH_PERIOD = (
    rf"(?:(?:19|20)\d{{2}}年|今年|去年|上年|明年|前年|本年)(?:{_ZH_PART})?|{_ZH_PART}"
    r"|“?十[一二三四五六]五”?(?:期间|时期)"
)
PERIOD_RE = re.compile(rf"(?<![A-Za-z\d])(?:{_ZH_PERIOD}|{_EN_PERIOD})")
_YEAR_RE = re.compile(r"(?:19|20)\d{2}")
_BARE_YEAR_RE = re.compile(
    r"(?:the[ \u00a0]+)?(?:year[ \u00a0]+)?(?:19|20)\d{2}(?:[ \u00a0]*[-–][ \u00a0]*(?:19|20)\d{2})?"
)
# "from last year", "since last year", "the past year": a comparison base or a duration
_RELATIVE_RE = re.compile(
    r"(?:(?:[Ff]rom|[Oo]ver|[Ss]ince|[Tt]hrough)[ \u00a0]+(?:the[ \u00a0]+)?"
    r"(?:last|this|next|the previous|the past) year|(?:the[ \u00a0]+)?(?:the previous|the past) year)",
    re.IGNORECASE,
)
# a period after these words is what a figure is compared with, not its period: "up 5% from
# last year", 比上年增长, 比一季度和上半年收窄 (the second base joined to the first by 和)
_COMPARED_BEFORE_RE = re.compile(
    r"(?:\b(?:than|from|over|compared (?:with|to)|versus|vs\.?|against|on|same period|same time)"
    r"(?:[ \u00a0]+(?:in|the))*|比|较|与|同比|相比|相较|跟|高于|低于|快于|慢于)[ \u00a0]*\Z",
    re.IGNORECASE,
)
_JOINED_RE = re.compile(r"[ \u00a0]*(?:和|与|及|、|and|or)[ \u00a0]*", re.IGNORECASE)
_RELATIVE_YEARS: dict[str, int] = {
    "今年": 0, "本年": 0, "去年": -1, "上年": -1, "前年": -2, "明年": 1,
    "this year": 0, "last year": -1, "next year": 1,
}  # fmt: skip
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_ORDINAL_COUNTS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4,
    "一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4, "two": 2, "three": 3,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
}  # fmt: skip
_QUARTER_END_RE = re.compile(
    r"(?:前|[一二三四1-4][-—~至到]|第)?([一二三四1-4])季度|\bq([1-4])\b"
    r"|\b(first|second|third|fourth|1st|2nd|3rd|4th) quarter\b|\bfirst (two|three) quarters\b"
)
_MONTH_END_RE = re.compile(
    r"(\d{1,2})月|\bfirst (two|three|four|five|six|seven|eight|nine|ten|eleven) months\b"
)
_MONTH_NAME_RE = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)")


def _end_month(surface: str) -> int | None:
    """Last month of a within-year period ("1-8月" 8, "前三季度" 9, "first half" 6); None for
    全年, 下半年, "the second half" and periods that are not within one year."""
    s = surface.lower()
    if "上半年" in s or "first half" in s:
        return 6
    q = _QUARTER_END_RE.search(s)
    if q:
        return 3 * _ORDINAL_COUNTS[next(g for g in q.groups() if g)]
    m = _MONTH_END_RE.search(s)
    if m:
        value = int(m.group(1)) if m.group(1) else _ORDINAL_COUNTS[m.group(2)]
        return value if 1 <= value <= 12 else None
    names = _MONTH_NAME_RE.findall(s)
    return _MONTH_NAMES.index(names[-1]) + 1 if names else None


def period_year(surface: str, published: tuple[int, int] | None) -> tuple[int | None, str | None]:
    """(year, source) of a period: ("2020年1-8月") -> (2020, "stated"); against an article of
    September 2021, "last year" -> (2020, "article_date"), "1-8月" -> (2021, "article_date").

    A within-year period written without its year is the latest one that had ended when the
    article appeared: "1-8月" in a March article is last year's. (None, None) when the period
    names no year and the article date is unknown or does not settle it (全年, 十四五期间).
    """
    stated = _YEAR_RE.search(surface)
    if stated:
        return int(stated.group()), "stated"
    if published is None:
        return None, None
    year, month = published
    low = surface.lower()
    for word, delta in _RELATIVE_YEARS.items():
        if word in low:
            return year + delta, "article_date"
    end = _end_month(surface)
    if end is None:
        return None, None
    return (year if end <= month else year - 1), "article_date"


_METRIC_LABELS: dict[str, str] = {}
for _label, _words in METRICS.items():
    for _w in _words:
        _METRIC_LABELS.setdefault(_w.lower(), _label)
_METRIC_RE = re.compile(
    rf"(?<![A-Za-z])(?:{alternation(_METRIC_LABELS)})(?![A-Za-z])", re.IGNORECASE
)
_ASIDE_RE = re.compile(
    r",[ \u00a0]*(?:meaning|which|who|including|such as|i\.e\.|that is|namely)\b[^,;]*,"
)

_SUBJECT_STOP = frozenset(
    (
        "a", "an", "the", "in", "on", "at", "of", "for", "to", "by", "with", "from", "during",
        "after", "before", "since", "as", "and", "but", "or", "so", "meanwhile", "however",
        "moreover", "besides", "also", "according", "among", "last", "this", "that", "these", "those",
        "it", "its", "their", "his", "her", "our", "we", "they", "he", "she", "photo", "statistics",
        "there", "here", "now", "currently", "total", "all", "some", "more", "over", "nearly",
        "about", "around", "almost", "only", "up", "under"
    )
)  # fmt: skip
_ZH_SUBJECT_RE = re.compile(
    r"[\u4e00-\u9fff]{2,8}?(?<![全本该各我此两])"
    r"(?:省|市|区|县|镇|街道|园区|开发区|高新区|新区|集团|公司|银行|委员会)(?![场民值长委])"
)
_TOKEN_RE = re.compile(r"[^\s,;:()\"“”]+")
_OPENER_RE = re.compile(
    r"[ \u00a0]*(?:In|During|On|At|By|Since|For|From|After|Before|According to|Meanwhile|"
    r"In addition|Besides|Moreover|However|Also|Currently|At present|Last year|This year)\b"
    r"[^,\n]{0,80},[ \u00a0]*"
)
_MID_CAPS_RE = re.compile(r"[a-z,] ([A-Z][^\s,;:()\"“”.'’]*)")
_AUXILIARIES = frozenset(
    (
        "will", "has", "have", "had", "is", "was", "are", "were", "plans", "aims", "expects", "would",
        "can"
    )
)  # fmt: skip
_CONNECTORS = frozenset({"of", "and", "&", "for", "de"})


def qualifier_before(window: str) -> tuple[str, str, int] | None:
    """("more than", ">", where it starts) when the window ends with a qualifier."""
    m = _QUAL_BEFORE_RE.search(window, max(0, len(window) - 20))
    if not m:
        return None
    word = m.group(1)
    return word, QUALIFIERS_BEFORE.get(word, QUALIFIERS_BEFORE.get(word.lower(), "~")), m.start()


def qualifier_after(text: str, pos: int) -> tuple[str, str, int] | None:
    """("or more", ">=", end) when a qualifier follows the figure at `pos`."""
    m = _QUAL_AFTER_RE.match(text, pos)
    if not m:
        return None
    return m.group(1), QUALIFIERS_AFTER[m.group(1)], m.end()


def change_before(window: str) -> tuple[str, str] | None:
    """("surging", "increase") when the window ends with a growth or decline phrase."""
    tail = window[-40:]
    for regex in (_EN_CHANGE_BEFORE_RE, _ZH_CHANGE_BEFORE_RE):
        m = regex.search(tail)
        if m and not (m.group(2).lower() == "up" and _PHRASAL_UP_RE.search(tail, 0, m.start(2))):
            return m.group(1), _direction(m.group(2))
    return None


def change_after(text: str, pos: int) -> tuple[str, str] | None:
    """("increase", "increase") for "5.2 percent year-on-year increase"."""
    m = _EN_CHANGE_AFTER_RE.match(text, pos)
    if not m:
        return None
    return m.group(1), _direction(m.group(1))


def _direction(word: str) -> str:
    return "decrease" if word.lower() in _DOWN else "increase"


MAX_CLAUSE = 600  # longest stretch of text one figure's context is read from


def clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence as spans of at most MAX_CLAUSE characters: itself when short enough, else cut
    after clause punctuation (；;，,、) or, failing that, at the limit. Reading each figure's
    context from a bounded span keeps extraction linear on text without sentence ends."""
    if end - start <= MAX_CLAUSE:
        return [(start, end)]
    spans: list[tuple[int, int]] = []
    piece = start
    last_break = None
    for m in _CLAUSE_BREAK_RE.finditer(text, start, end):
        while m.end() - piece > MAX_CLAUSE:
            cut = last_break if last_break and last_break > piece else piece + MAX_CLAUSE
            spans.append((piece, cut))
            piece, last_break = cut, None
        last_break = m.end()
    while end - piece > MAX_CLAUSE:
        cut = last_break if last_break and last_break > piece else piece + MAX_CLAUSE
        spans.append((piece, cut))
        piece, last_break = cut, None
    spans.append((piece, end))
    return spans


_CLAUSE_BREAK_RE = re.compile(r"[；;，,、]")


class Clause:
    """A sentence (or a piece of a very long one) read once: its asides, periods and metric
    words are each found in one pass, so each figure in it costs a bisect, not a rescan."""

    def __init__(self, text: str, start: int, end: int, masks: Masks) -> None:
        self.text, self.start, self.end = text, start, end
        self.asides = [m.span() for m in _ASIDE_RE.finditer(text, start, end)]
        self._aside_starts = [a for a, _ in self.asides]
        self.periods = [
            (s, e, surface, self.aside_of(s)) for s, e, surface in periods(text, start, end, masks)
        ]
        self._metric_words = [
            (m.start(), m.end(), _METRIC_LABELS[m.group().lower()], self.aside_of(m.start()))
            for m in _METRIC_RE.finditer(text, start, end)
        ]
        self._metric_starts = [s for s, *_ in self._metric_words]

    def aside_of(self, pos: int) -> int | None:
        """Index of the aside (", which was set up in 2019,") holding `pos`, if any."""
        i = bisect_right(self._aside_starts, pos) - 1
        return i if i >= 0 and pos < self.asides[i][1] else None

    def period(self, start: int, end: int) -> str | None:
        """The period right after the figure ("37 in 2020"), else the closest before, else after.

        Periods inside an aside belong to the aside.
        """
        own = self.aside_of(start)
        before = after = None
        for p in self.periods:
            if p[3] != own:
                continue
            if p[1] <= start:
                before = p
            elif p[0] >= end and after is None:
                after = p
        if after and after[0] - end <= 4:
            return after[2]
        pick = before or after
        return pick[2] if pick else None

    def metric(self, start: int, end: int, kind: str) -> str | None:
        """The metric label nearest the figure, ignoring asides about other figures; a word
        after the figure counts half again as far as one before it."""
        own = self.aside_of(start)
        i = bisect_right(self._metric_starts, start)
        best: tuple[float, str] | None = None
        for j in range(i - 1, -1, -1):  # before, nearest first
            s, e, label, aside = self._metric_words[j]
            if e > start or aside != own or kind not in METRIC_KINDS.get(label, (kind,)):
                continue
            best = (start - e, label)
            break
        for j in range(i, len(self._metric_words)):  # after, nearest first
            s, e, label, aside = self._metric_words[j]
            if s < end or aside != own or kind not in METRIC_KINDS.get(label, (kind,)):
                continue
            if best is None or (s - end) * 1.5 < best[0]:
                best = ((s - end) * 1.5, label)
            break
        return best[1] if best else None


def periods(text: str, start: int, end: int, masks: Masks) -> list[tuple[int, int, str]]:
    """Period expressions in text[start:end] as (start, end, surface).

    Years inside dates ("Jan. 7, 2022") are datelines, not periods; a bare year or a "last
    year" that a figure is compared with ("up 5% from last year", 比上年增长) is not its period.
    """
    found = []
    base_end = -1  # end of the last comparison base: a period joined to it is one too
    for m in PERIOD_RE.finditer(text, start, end):
        surface = m.group()
        if masks.contains(m.start(), m.end()):
            continue
        if _RELATIVE_RE.fullmatch(surface) or _BARE_YEAR_RE.fullmatch(surface):
            continue
        if _COMPARED_BEFORE_RE.search(text, max(start, m.start() - 24), m.start()) or (
            base_end >= 0 and _JOINED_RE.fullmatch(text, base_end, m.start())
        ):
            base_end = m.end()
            continue
        found.append((m.start(), m.end(), surface))
    return found


_COUNT_METRIC: dict[str, str] = {
    noun: label for label, nouns in COUNT_METRICS.items() for noun in nouns
}


def count_metric(counted: str | None) -> str | None:
    """ "companies" for "330 German companies" or 20家企业: what a count counts, by its head noun."""
    if not counted:
        return None
    head = counted.split()[-1].lower() if counted.isascii() else counted
    if head in _COUNT_METRIC:
        return _COUNT_METRIC[head]
    return next((label for noun, label in _COUNT_METRIC.items() if not noun.isascii()
                 and counted.endswith(noun)), None)  # fmt: skip


def names_in_running_text(text: str) -> frozenset[str]:
    """Capitalised words that also occur mid-sentence: names, not sentence-initial nouns."""
    return frozenset(m.group(1) for m in _MID_CAPS_RE.finditer(text))


def subject(text: str, sent_start: int, start: int, names: frozenset[str]) -> str | None:
    """The sentence's grammatical subject when it is a name: "Suzhou will invest ...".

    An opening adverbial ("In 2020, ...", "During the plan period, ...") is skipped; a single
    capitalised word counts as a name only if the text also capitalises it mid-sentence.
    """
    prefix = text[sent_start : min(start, sent_start + 200)]  # the subject opens the sentence
    zh = _ZH_SUBJECT_RE.search(prefix[:16])
    if zh:
        return zh.group()
    opener = _OPENER_RE.match(prefix)
    if opener:
        prefix = prefix[opener.end() :]
    run: list[str] = []
    for i, m in enumerate(_TOKEN_RE.finditer(prefix)):
        tok = m.group().strip(".'’")
        if i == 0 and tok.lower() == "the":
            continue
        if tok[:1].isupper() and not any(c.isdigit() for c in tok) and not MONTH_RE.fullmatch(tok):
            if run or tok.lower() not in _SUBJECT_STOP:
                run.append(tok)
                continue
        elif run and tok.lower() in _CONNECTORS:
            run.append(tok)
            continue
        break
    while run and run[-1].lower() in _CONNECTORS:
        run.pop()
    if len(run) == 1 and run[0] not in names:
        rest = prefix[prefix.find(run[0]) + len(run[0]) :].split(None, 1)
        if not rest or rest[0].lower() not in _AUXILIARIES:
            return None  # "Companies in ..." is a common noun at the start, not a name
    return " ".join(run) or None
